module github.com/hookstream/hookstream/services/shipment-tracker

go 1.26.0

replace github.com/hookstream/hookstream/pkg => ../../pkg

replace github.com/hookstream/hookstream/schemas => ../../schemas
