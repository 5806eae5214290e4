module github.com/hookstream/hookstream/schemas

go 1.26.0

require (
	github.com/hookstream/hookstream/pkg v0.0.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
)

require golang.org/x/text v0.43.0 // indirect

replace github.com/hookstream/hookstream/pkg => ../pkg
