module github.com/hookstream/hookstream/services/fulfillment-holds

go 1.26.0

replace github.com/hookstream/hookstream/pkg => ../../pkg

replace github.com/hookstream/hookstream/schemas => ../../schemas
