package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookstream/hookstream/pkg/catalog"
)

// AsyncAPIFile is the AsyncAPI document's path in FS (and in the schemas
// directory of the repository): AsyncAPI builds it, a test keeps the file
// identical, and .ci/run validates it with the official AsyncAPI parser.
const AsyncAPIFile = "asyncapi.json"

// AsyncAPIVersion is the version of the AsyncAPI specification the
// document follows.
const AsyncAPIVersion = "3.0.0"

// ContractVersion is the version of hookstream's event contract, the
// document's info.version. It changes only with a breaking change, which
// also gets new schema files and new event type names (docs/events.md).
const ContractVersion = "1.0.0"

// EntityParameter names the channel parameter of a canonical event's
// address: the entity key, the last one or more subject tokens.
const EntityParameter = "entity"

// publishers are the ce-source of each canonical stream's events: the
// service that publishes them (its Source constant).
var publishers = map[string]string{
	catalog.StreamOrders:      "/hookstream/order-enricher",
	catalog.StreamShipments:   "/hookstream/shipment-tracker",
	catalog.StreamFulfillment: "/hookstream/fulfillment-holds",
}

// entityExamples are real-looking entity keys for each canonical stream,
// for the channel parameter's examples.
var entityExamples = map[string][]string{
	catalog.StreamOrders:      {"123456789", "1912e4c1-d008-4c15-ab12-fe21a76d30d4"},
	catalog.StreamShipments:   {"f99887766", "12345678"},
	catalog.StreamFulfillment: {"1610418123456.4005740193290131085320"},
}

// Header schemas shared by the messages, in components.schemas.
const (
	canonicalHeaders = "CanonicalEventHeaders"
	webhookHeaders   = "WebhookHeaders"
)

// AsyncAPI renders hookstream's AsyncAPI 3.0 document from the catalog:
// one channel and one send operation per catalog row (raw webhooks on
// their subjects, canonical events on <subject>.{entity}), one message per
// CloudEvents type with its headers and the JSON Schema of its data by
// relative reference, and the NATS server and user. The output is
// deterministic: the same catalog gives the same bytes.
func AsyncAPI() ([]byte, error) {
	doc := document{
		AsyncAPI:   AsyncAPIVersion,
		ID:         "urn:dev:hookstream:events",
		XGenerated: "by schemas.AsyncAPI from pkg/catalog: do not edit; regenerate with go test ./schemas -run AsyncAPI -update",
		Info: info{
			Title:   "hookstream events",
			Version: ContractVersion,
			Description: strings.Join([]string{
				"Every event hookstream stores on NATS JetStream, as binary-mode CloudEvents (attributes in ce-* headers, the data as the payload).",
				"Raw webhooks: the provider's body byte for byte on `webhooks.<provider>.<event>`, stream WEBHOOKS. An event the catalog does not know yet is stored by the same rule, not dropped.",
				"Canonical events: hookstream's own records on `<domain>.<provider>.<event>.<entity key>`, streams ORDERS, SHIPMENTS and FULFILLMENT. Per entity, events are stored in strictly increasing `ce-entityversion`; delivery is at-least-once, so de-duplicate on `ce-id`.",
				"The contract (guarantees, retention, replay, how schemas evolve) is docs/events.md in the repository. This document is generated from pkg/catalog (go test ./schemas -run AsyncAPI -update).",
			}, "\n\n"),
		},
		DefaultContentType: "application/json",
		Servers: map[string]server{
			"dev": {
				Host: "127.0.0.1:4222", Protocol: "nats",
				Description: "`hookstream dev`: an embedded NATS server with JetStream, no authentication.",
			},
			"compose": {
				Host: "nats:4222", Protocol: "nats",
				Description: "docker compose and Kubernetes: users and permissions from deploy/nats/accounts.conf.",
				Security:    []ref{{Ref: "#/components/securitySchemes/subscriber"}},
			},
		},
		Channels:   map[string]channel{},
		Operations: map[string]operation{},
		Components: components{
			Messages: map[string]message{},
			Schemas: map[string]any{
				canonicalHeaders: canonicalHeaderSchema(),
				webhookHeaders:   webhookHeaderSchema(),
			},
			SecuritySchemes: map[string]securityScheme{
				"subscriber": {
					Type: "userPassword",
					Description: "The NATS user `subscriber` (password NATS_PASSWORD_SUBSCRIBER): reads the canonical streams through consumers of its own " +
						"and the buckets orders, shipments and holds; must connect with the inbox prefix `_INBOX_subscriber` (deploy/nats/README.md).",
				},
			},
		},
	}
	for _, et := range catalog.All() {
		if err := addRow(&doc, et); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("schemas: asyncapi: %w", err)
	}
	return b.Bytes(), nil
}

// addRow adds a catalog row's channel and operation, and its type's
// message when it is the first row of that type.
func addRow(doc *document, et catalog.EventType) error {
	if !et.Known || et.Schema == "" {
		return fmt.Errorf("schemas: asyncapi: catalog row %s has no schema", et.Subject)
	}
	msgID := et.Type
	if _, seen := doc.Components.Messages[msgID]; !seen {
		doc.Components.Messages[msgID] = newMessage(et)
	}
	ch := channel{
		Address:     et.Subject,
		Messages:    map[string]ref{msgID: {Ref: "#/components/messages/" + msgID}},
		XStream:     et.Stream,
		Bindings:    natsBindings{NATS: map[string]any{}},
		Description: fmt.Sprintf("%s `%s` webhooks, verified and stored unchanged by the gateway.", providerTitle(et.Provider), et.Event),
	}
	if et.Canonical() {
		source, ok := publishers[et.Stream]
		if !ok {
			return fmt.Errorf("schemas: asyncapi: no publisher for stream %s", et.Stream)
		}
		ch.Address = et.Subject + ".{" + EntityParameter + "}"
		domain, _, _ := strings.Cut(et.Subject, ".")
		ch.Description = fmt.Sprintf("`%s` events from %s, published by %s, one subject per entity. Filter this type with `%s.>`, all of one entity's events with `%s.%s.*.<entity key>`.",
			et.Type, providerTitle(et.Provider), strings.TrimPrefix(source, "/hookstream/"), et.Subject, domain, et.Provider)
		ch.Parameters = map[string]parameter{EntityParameter: {
			Description: "The entity's key without its provider: one or more subject tokens of `[A-Za-z0-9_=-]` " +
				"(an id with any other character is `=` followed by its unpadded base64url). It is the entity's KV key after `<provider>.`.",
			Examples: entityExamples[et.Stream],
		}}
	}
	doc.Channels[et.Subject] = ch
	doc.Operations["send."+et.Subject] = operation{
		Action:   "send",
		Channel:  ref{Ref: "#/channels/" + jsonPointerEscape(et.Subject)},
		Summary:  "hookstream publishes " + et.Type + " to JetStream stream " + et.Stream + ".",
		Messages: []ref{{Ref: "#/channels/" + jsonPointerEscape(et.Subject) + "/messages/" + jsonPointerEscape(msgID)}},
		Bindings: natsBindings{NATS: map[string]any{"bindingVersion": "0.1.0"}},
	}
	return nil
}

// newMessage describes the events of one CloudEvents type.
func newMessage(et catalog.EventType) message {
	m := message{
		Name:        et.Type,
		Title:       et.Type,
		ContentType: "application/json",
		Payload: multiFormatSchema{
			// The files are draft 2020-12, written so that draft-07 (the
			// only JSON Schema version the AsyncAPI parser knows) reads
			// them the same: TestSchemasReadTheSameAsDraft07.
			SchemaFormat: "application/schema+json;version=draft-07",
			Schema:       ref{Ref: "./" + et.Schema},
		},
		Bindings: natsBindings{NATS: map[string]any{}},
	}
	if et.Canonical() {
		m.Summary = "A canonical event: the data is the entity's whole new state."
		m.Headers = map[string]any{"allOf": []any{
			ref{Ref: "#/components/schemas/" + canonicalHeaders},
			map[string]any{"type": "object", "properties": map[string]any{
				"ce-type":       map[string]any{"type": "string", "const": et.Type},
				"ce-dataschema": map[string]any{"type": "string", "const": BaseURL + et.Schema},
			}},
		}}
		return m
	}
	m.Summary = fmt.Sprintf("A %s webhook, the body byte for byte.", providerTitle(et.Provider))
	m.Headers = map[string]any{"allOf": []any{
		ref{Ref: "#/components/schemas/" + webhookHeaders},
		map[string]any{"type": "object", "properties": map[string]any{
			"ce-type":     map[string]any{"type": "string", "const": et.Type},
			"ce-provider": map[string]any{"type": "string", "const": et.Provider},
		}},
	}}
	return m
}

// str is a string header with a description, and optionally a pattern or
// an example.
func str(description string, extra ...string) map[string]any {
	s := map[string]any{"type": "string", "description": description}
	for i := 0; i+1 < len(extra); i += 2 {
		s[extra[i]] = extra[i+1]
	}
	return s
}

// traceHeaders are the W3C trace-context extensions, on both kinds of
// event.
func traceHeaders(props map[string]any, what string) {
	props["ce-traceparent"] = str("W3C traceparent "+what+", when it carried one.", "pattern", `^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`)
	props["ce-tracestate"] = str("W3C tracestate " + what + ", with ce-traceparent.")
}

// accountPattern is a named account (HOOKSTREAM_ACCOUNTS_FILE).
const accountPattern = `[a-z0-9][a-z0-9_-]{0,39}`

func canonicalHeaderSchema() map[string]any {
	props := map[string]any{
		"ce-specversion": map[string]any{"type": "string", "const": "1.0"},
		"ce-id":          str("<entity id>@<entity version>, e.g. shipstation:123456789@3: stable, so a redelivery carries the same id. De-duplicate on it.", "pattern", `^.+@[1-9][0-9]*$`),
		"Nats-Msg-Id":    str("The same as ce-id: JetStream refuses to store an event twice."),
		"ce-type":        str("The catalog's type, dev.hookstream.<entity>.<event>."),
		"ce-source": str("The publishing service, followed by /accounts/<account> for a named account's entity.", "pattern",
			"^("+strings.Join([]string{publishers[catalog.StreamOrders], publishers[catalog.StreamShipments], publishers[catalog.StreamFulfillment]}, "|")+")(/accounts/"+accountPattern+")?$"),
		"ce-account":         str("The named account of the entity (also in its id and subject); absent for the default account.", "pattern", "^"+accountPattern+"$"),
		"ce-subject":         str("The entity id: shipstation:123456789, snipcart:<token>, shopline:<shop>:<fulfillment order id>."),
		"ce-time":            str("The state's updated_at (RFC 3339, UTC).", "format", "date-time"),
		"ce-datacontenttype": map[string]any{"type": "string", "const": "application/json"},
		"ce-dataschema":      str("The $id of the JSON Schema of the data.", "format", "uri"),
		"ce-entityversion":   str("The entity's version: 1 for its first event, +1 for each later event of the entity (all its event types share it); strictly increasing in stream order.", "pattern", `^[1-9][0-9]*$`),
	}
	traceHeaders(props, "of the webhook that caused the event")
	return map[string]any{
		"type":        "object",
		"description": "Binary-mode CloudEvents attributes of a canonical event, as NATS headers.",
		"required":    []string{"ce-specversion", "ce-id", "Nats-Msg-Id", "ce-type", "ce-source", "ce-subject", "ce-time", "ce-datacontenttype", "ce-dataschema", "ce-entityversion"},
		"properties":  props,
	}
}

func webhookHeaderSchema() map[string]any {
	props := map[string]any{
		"ce-specversion":     map[string]any{"type": "string", "const": "1.0"},
		"ce-id":              str("The provider's delivery id, or a hash of what identifies the delivery (see the README), prefixed with <account>/ for a named account: JetStream de-duplicates on it."),
		"Nats-Msg-Id":        str("The same as ce-id."),
		"ce-type":            str("com.<provider>.webhook.<event tokens>."),
		"ce-source":          str("Where the webhook comes from: /shipstation/stores/<store id>, /shipstation, /shipstation/v2, /snipcart/<mode>, /shopline/shops/<shop id>; a named account's has /accounts/<account> after the provider (/shipstation/accounts/east/stores/<store id>)."),
		"ce-subject":         str("The resource the webhook is about, when the body names one."),
		"ce-time":            str("When the provider says the event happened, else when the gateway received it.", "format", "date-time"),
		"ce-datacontenttype": map[string]any{"type": "string", "const": "application/json"},
		"ce-provider":        map[string]any{"type": "string", "enum": []string{catalog.ShipStation, catalog.Snipcart, catalog.Shopline}},
		"ce-mode":            str("Snipcart: Live or Test."),
		"ce-shopid":          str("SHOPLINE: X-Shopline-Shop-Id."),
		"ce-merchantid":      str("SHOPLINE: X-Shopline-Merchant-Id."),
		"ce-shopdomain":      str("SHOPLINE: X-Shopline-Shop-Domain."),
		"ce-apiversion":      str("SHOPLINE: X-Shopline-Api-Version."),
		"ce-account":         str("The named account whose URL the webhook arrived at (/webhooks/<provider>/<account>); absent for the default account.", "pattern", "^"+accountPattern+"$"),
	}
	traceHeaders(props, "of the provider's request")
	return map[string]any{
		"type":        "object",
		"description": "Binary-mode CloudEvents attributes of a raw webhook, as NATS headers.",
		"required":    []string{"ce-specversion", "ce-id", "Nats-Msg-Id", "ce-type", "ce-source", "ce-time", "ce-datacontenttype", "ce-provider"},
		"properties":  props,
	}
}

func providerTitle(p string) string {
	switch p {
	case catalog.ShipStation:
		return "ShipStation"
	case catalog.Snipcart:
		return "Snipcart"
	case catalog.Shopline:
		return "SHOPLINE"
	}
	return p
}

// jsonPointerEscape escapes a key for a JSON Pointer (RFC 6901).
func jsonPointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
