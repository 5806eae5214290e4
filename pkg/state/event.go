package state

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
)

// ExtensionEntityVersion is the CloudEvents extension every canonical event
// carries (header ce-entityversion): the entity version, a decimal integer,
// 1 for an entity's first event and one more for each later one, so
// strictly increasing in stream order per entity.
const ExtensionEntityVersion = "entityversion"

// HeaderEntityVersion is ExtensionEntityVersion's NATS header.
const HeaderEntityVersion = "ce-" + ExtensionEntityVersion

// traceExtensions are the CloudEvents distributed-tracing extensions a
// consumer carries from the event it handles to the events it publishes.
var traceExtensions = []string{"traceparent", "tracestate"}

// Event describes the canonical event a [Change] publishes. Its data is
// the change's state.
type Event struct {
	// Name is the catalog's event name, the third subject token:
	// catalog.OrderUpserted, catalog.HoldPlaced, …
	Name string
	// Provider is the provider the entity comes from, the second token.
	Provider string
	// Subject is the CloudEvents subject: the entity's id
	// ("shipstation:123456789").
	Subject string
	// Time is the CloudEvents time: when the state changed at the provider.
	Time time.Time
	// Account is the entity's named account, "" for the default account:
	// the event carries it as ce-account, and its ce-source, the
	// publishing service, gains "/accounts/<account>".
	Account string
	// Fingerprint identifies the subscriber-visible content of the event:
	// when it equals the fingerprint of the entity's newest event, nothing is
	// published. Empty means a hash of the event type and data, so that any
	// change is visible; set it to leave out fields that change with every
	// delivery and mean nothing to a subscriber.
	Fingerprint string
}

// Fingerprint returns a short hash of parts, for [Event.Fingerprint].
func Fingerprint(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// EntitySubject returns the subject of et's event for the entity stored
// under key: et.Subject followed by the key without its first token (the
// provider, already in et.Subject), e.g. orders.shipstation.upserted.123456789
// for key shipstation.123456789.
func EntitySubject(et catalog.EventType, key string) (string, error) {
	tail, err := entityTail(et.Provider, key)
	if err != nil {
		return "", err
	}
	return et.Subject + "." + tail, nil
}

// entityTail checks that key is "<provider>.<tokens>" with valid tokens and
// returns the tokens.
func entityTail(provider, key string) (string, error) {
	tail, ok := strings.CutPrefix(key, provider+".")
	if !ok || tail == "" {
		return "", fmt.Errorf("state: key %q does not start with provider %s", key, provider)
	}
	for tok := range strings.SplitSeq(tail, ".") {
		if !validToken(tok) {
			return "", fmt.Errorf("state: key %q has an invalid subject token %q", key, tok)
		}
	}
	return tail, nil
}

// validToken reports a subject token of [A-Za-z0-9_=-], at most 128 bytes.
func validToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '=') {
			return false
		}
	}
	return true
}

// EventID is the id (ce-id and Nats-Msg-Id) of an entity's event at
// version: "<entity id>@<version>".
func EventID(entityID string, version uint64) string {
	return entityID + "@" + strconv.FormatUint(version, 10)
}

// Outgoing builds a binary-mode CloudEvent message of type et on subject,
// with the given id (also its Nats-Msg-Id, so it must be deterministic),
// source, CloudEvents subject, time and JSON data; its dataschema is et's
// schema, and it carries the trace context of cause (nil when none).
func Outgoing(cause *event.Event, et catalog.EventType, subject, id, source, ceSubject string, t time.Time, data []byte) (*nats.Msg, error) {
	e := event.New()
	e.SetID(id)
	e.SetSource(source)
	e.SetType(et.Type)
	e.SetSubject(ceSubject)
	e.SetTime(t.UTC())
	if uri := et.DataSchema(); uri != "" {
		e.SetDataSchema(uri)
	}
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		return nil, err
	}
	if cause != nil {
		for _, name := range traceExtensions {
			if v, ok := cause.Extensions()[name]; ok {
				e.SetExtension(name, v)
			}
		}
	}
	return ce.ToMsg(subject, &e)
}
