package snipcart

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
)

// maxSubjectLen bounds the order token or subscription id used as the
// event's subject (a NATS header); real ones are UUIDs. A longer value
// still goes into the ID hash, but the subject is left empty.
const maxSubjectLen = 256

// envelope is the part of a Snipcart webhook body the verifier reads.
// Fields are raw so that a member of an unexpected type is reported as
// such instead of failing the decoding with a less useful message.
type envelope struct {
	EventName json.RawMessage `json:"eventName"`
	Mode      json.RawMessage `json:"mode"`
	CreatedOn json.RawMessage `json:"createdOn"`
	Content   json.RawMessage `json:"content"`
}

// contentKeys are the members of content that name what the event is about:
// token for order events, orderToken for refund and notification events,
// id for subscription events.
type contentKeys struct {
	Token      json.RawMessage `json:"token"`
	OrderToken json.RawMessage `json:"orderToken"`
	ID         json.RawMessage `json:"id"`
}

// parseEnvelope checks that body is a Snipcart webhook envelope and returns
// the Webhook it describes. Every error wraps provider.ErrMalformed.
// callbacks are Snipcart's synchronous requests: their answer is used at
// checkout, so they are not notifications, and hookstream refuses them.
var callbacks = []string{"shippingrates.fetch", "taxes.calculate"}

func parseEnvelope(body []byte) (provider.Webhook, error) {
	var env envelope
	if err := provider.DecodeObject(body, &env); err != nil {
		return provider.Webhook{}, provider.Errorf(provider.ErrMalformed, "body is not a JSON object: %v", err)
	}
	eventName, ok := provider.JSONString(env.EventName)
	if !ok || eventName == "" {
		return provider.Webhook{}, provider.Errorf(provider.ErrMalformed, "eventName is not a non-empty string")
	}
	if slices.Contains(callbacks, eventName) {
		// Snipcart waits for rates or taxes in the answer and shows the
		// customer what it gets: "stored" would break checkout.
		return provider.Webhook{}, provider.Errorf(provider.ErrMalformed,
			"%s is a synchronous callback that expects rates or taxes in its answer, not a webhook to store: point Snipcart's shipping-rates or taxes URL at the service that computes them", eventName)
	}
	modeName, _ := provider.JSONString(env.Mode)
	var mode string
	switch modeName {
	case "Live":
		mode = "live"
	case "Test":
		mode = "test"
	default:
		return provider.Webhook{}, provider.Errorf(provider.ErrMalformed, `mode is not "Live" or "Test"`)
	}
	createdOn, _ := provider.JSONString(env.CreatedOn)
	created, err := time.Parse(time.RFC3339Nano, createdOn)
	if err != nil {
		return provider.Webhook{}, provider.Errorf(provider.ErrMalformed, "createdOn is not an RFC 3339 timestamp")
	}
	var keys contentKeys
	if err := provider.DecodeObject(env.Content, &keys); err != nil {
		return provider.Webhook{}, provider.Errorf(provider.ErrMalformed, "content is not a JSON object: %v", err)
	}
	about := firstNonEmpty(provider.JSONID(keys.Token), provider.JSONID(keys.OrderToken), provider.JSONID(keys.ID))
	subject := about
	if len(subject) > maxSubjectLen {
		subject = ""
	}
	return provider.Webhook{
		Provider:   catalog.Snipcart,
		Event:      eventName,
		ID:         provider.HashID(catalog.Snipcart, eventName, about, createdOn),
		Source:     "/" + catalog.Snipcart + "/" + mode,
		Subject:    subject,
		Time:       created.UTC(),
		Extensions: map[string]string{"mode": mode},
		Body:       body,
	}, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
