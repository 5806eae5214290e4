module github.com/hookstream/hookstream/services/gateway

go 1.26.0

require (
	github.com/hookstream/hookstream/pkg v0.0.0
	github.com/hookstream/hookstream/schemas v0.0.0
)

replace github.com/hookstream/hookstream/pkg => ../../pkg

replace github.com/hookstream/hookstream/schemas => ../../schemas
