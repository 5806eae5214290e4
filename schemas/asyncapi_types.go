package schemas

// The parts of an AsyncAPI 3.0 document that AsyncAPI writes, in the
// specification's order (encoding/json keeps struct field order and sorts map keys).

type document struct {
	AsyncAPI string `json:"asyncapi"`
	ID       string `json:"id"`
	// XGenerated says where the document comes from (JSON has no comments).
	XGenerated         string               `json:"x-generated"`
	Info               info                 `json:"info"`
	DefaultContentType string               `json:"defaultContentType"`
	Servers            map[string]server    `json:"servers"`
	Channels           map[string]channel   `json:"channels"`
	Operations         map[string]operation `json:"operations"`
	Components         components           `json:"components"`
}

type info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type server struct {
	Host        string `json:"host"`
	Protocol    string `json:"protocol"`
	Description string `json:"description,omitempty"`
	Security    []ref  `json:"security,omitempty"`
}

type channel struct {
	Address     string               `json:"address"`
	Description string               `json:"description,omitempty"`
	Messages    map[string]ref       `json:"messages"`
	Parameters  map[string]parameter `json:"parameters,omitempty"`
	Bindings    natsBindings         `json:"bindings"`
	// XStream is the JetStream stream that stores the channel's messages.
	XStream string `json:"x-jetstream-stream"`
}

type parameter struct {
	Description string   `json:"description"`
	Examples    []string `json:"examples,omitempty"`
}

type operation struct {
	Action   string       `json:"action"`
	Channel  ref          `json:"channel"`
	Summary  string       `json:"summary,omitempty"`
	Messages []ref        `json:"messages"`
	Bindings natsBindings `json:"bindings"`
}

type message struct {
	Name        string            `json:"name"`
	Title       string            `json:"title"`
	Summary     string            `json:"summary,omitempty"`
	ContentType string            `json:"contentType"`
	Headers     map[string]any    `json:"headers"`
	Payload     multiFormatSchema `json:"payload"`
	Bindings    natsBindings      `json:"bindings"`
}

// multiFormatSchema is a payload in a schema format other than AsyncAPI's
// own: the JSON Schema files under webhooks/ and canonical/.
type multiFormatSchema struct {
	SchemaFormat string `json:"schemaFormat"`
	Schema       ref    `json:"schema"`
}

// natsBindings are the NATS protocol bindings: the channel and message
// bindings are reserved (empty), the operation's names the binding version.
type natsBindings struct {
	NATS map[string]any `json:"nats"`
}

type components struct {
	Schemas         map[string]any            `json:"schemas"`
	Messages        map[string]message        `json:"messages"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type        string `json:"type"`
	Description string `json:"description"`
}

type ref struct {
	Ref string `json:"$ref"`
}
