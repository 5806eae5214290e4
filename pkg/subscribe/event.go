package subscribe

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/state"
)

// Entity kinds: the part of a canonical event type between
// catalog.TypePrefix and the event name (dev.hookstream.<kind>.<event>).
const (
	KindOrder       = "order"
	KindShipment    = "shipment"
	KindFulfillment = "fulfillment"
)

var (
	// ErrNotCanonical is returned (wrapped, with the reason) by Decode and
	// DecodeMsg for a message that is not one of hookstream's canonical
	// events: not a CloudEvent, a type outside dev.hookstream.*, no entity
	// id or no valid entity version.
	ErrNotCanonical = errors.New("subscribe: not a canonical event")
	// ErrWrongKind is returned (wrapped) by Event.Order, Event.Shipment and
	// Event.Hold when the event is about another kind of entity.
	ErrWrongKind = errors.New("subscribe: event is about another kind of entity")
)

// Event is one canonical event: its CloudEvents attributes, its data and,
// when it came from a JetStream consumer, where it is in the stream.
type Event struct {
	// ID is the event id (ce-id, also its Nats-Msg-Id):
	// "<entity id>@<entity version>", e.g. "shipstation:123456789@3".
	ID string
	// Type is the CloudEvents type, e.g. dev.hookstream.order.upserted or
	// dev.hookstream.fulfillment.hold_overdue.
	Type string
	// Source is the publishing service (ce-source), followed by
	// /accounts/<account> for a named account's entity.
	Source string
	// Account is the named account the entity belongs to (ce-account),
	// "" for the default account. It is also in EntityID and Subject:
	// shipstation:east:123456789, orders.shipstation.upserted.east.123456789.
	Account string
	// EntityID is the entity the event is about (ce-subject): the id of the
	// order, shipment or fulfillment hold record, e.g.
	// "shopline:1610418123456:4005740193290131085320".
	EntityID string
	// EntityVersion is the entity's version (ce-entityversion): 1 for its
	// first event, one more for each later one, so strictly increasing in
	// stream order per entity. A delivery whose version is not above the
	// last one handled for EntityID is a duplicate or out of date.
	EntityVersion uint64
	// Time is when the entity changed at the provider (ce-time).
	Time time.Time
	// DataSchema is the URI of the JSON Schema of Data (ce-dataschema).
	DataSchema string
	// TraceParent is the W3C trace context (ce-traceparent), "" when the
	// event carries none.
	TraceParent string
	// Subject is the NATS subject, <root>.<provider>.<event>.<entity key>.
	Subject string
	// Provider is the provider the entity comes from (the subject's
	// second token): catalog.ShipStation, catalog.Snipcart, catalog.Shopline.
	Provider string
	// Name is the event's name (the subject's third token and the last
	// part of Type): catalog.OrderUpserted, catalog.HoldOverdue, …
	Name string
	// Data is the event data: the canonical record's JSON, byte for byte.
	Data json.RawMessage
	// StreamSeq is the message's sequence in its stream (0 when it was
	// not delivered by a JetStream consumer).
	StreamSeq uint64
	// Attempt is the delivery count, starting at 1 (0 when it was not
	// delivered by a JetStream consumer).
	Attempt uint64
}

// Kind returns the kind of entity the event is about: KindOrder,
// KindShipment or KindFulfillment (or a kind added after this package was
// written).
func (e Event) Kind() string {
	kind, _, _ := strings.Cut(strings.TrimPrefix(e.Type, catalog.TypePrefix), ".")
	return kind
}

// Order decodes Data as a canonical order. It returns an error wrapping
// ErrWrongKind when the event is not about an order.
func (e Event) Order() (model.Order, error) {
	var o model.Order
	return o, e.decodeData(KindOrder, &o)
}

// Shipment decodes Data as a canonical shipment. It returns an error
// wrapping ErrWrongKind when the event is not about a shipment.
func (e Event) Shipment() (model.Shipment, error) {
	var s model.Shipment
	return s, e.decodeData(KindShipment, &s)
}

// Hold decodes Data as a canonical fulfillment-hold record. It returns an
// error wrapping ErrWrongKind when the event is not about a fulfillment
// order.
func (e Event) Hold() (model.FulfillmentHold, error) {
	var h model.FulfillmentHold
	return h, e.decodeData(KindFulfillment, &h)
}

func (e Event) decodeData(kind string, v any) error {
	if got := e.Kind(); got != kind {
		return fmt.Errorf("%w: %s is of type %s, not %s%s.*", ErrWrongKind, e.ID, e.Type, catalog.TypePrefix, kind)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("subscribe: %s: data is not a canonical %s: %w", e.ID, kind, err)
	}
	return nil
}

// Decode reads the canonical event in a message delivered by a JetStream
// consumer, with its stream sequence and delivery count. It returns an
// error wrapping ErrNotCanonical for any other message.
func Decode(msg jetstream.Msg) (Event, error) {
	ev, err := ce.FromMsg(msg.Headers(), msg.Data())
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrNotCanonical, err)
	}
	e, err := fromCloudEvent(msg.Subject(), ev)
	if err != nil {
		return Event{}, err
	}
	if meta, err := msg.Metadata(); err == nil {
		e.StreamSeq, e.Attempt = meta.Sequence.Stream, meta.NumDelivered
	}
	return e, nil
}

// DecodeMsg reads the canonical event in a core NATS message (a plain
// subscription, or a message read from a stream with GetMsg). It returns
// an error wrapping ErrNotCanonical for any other message.
func DecodeMsg(msg *nats.Msg) (Event, error) {
	ev, err := ce.FromMsg(msg.Header, msg.Data)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrNotCanonical, err)
	}
	return fromCloudEvent(msg.Subject, ev)
}

// fromCloudEvent checks that ev is a canonical event and copies it into an
// Event.
func fromCloudEvent(subject string, ev *event.Event) (Event, error) {
	e := Event{
		ID:         ev.ID(),
		Type:       ev.Type(),
		Source:     ev.Source(),
		EntityID:   ev.Subject(),
		Time:       ev.Time(),
		DataSchema: ev.DataSchema(),
		Subject:    subject,
		Data:       ev.Data(),
	}
	if !strings.HasPrefix(e.Type, catalog.TypePrefix) {
		return Event{}, fmt.Errorf("%w: type %q is not a hookstream type (%s*)", ErrNotCanonical, e.Type, catalog.TypePrefix)
	}
	if e.EntityID == "" {
		return Event{}, fmt.Errorf("%w: %s has no entity id (ce-subject)", ErrNotCanonical, e.ID)
	}
	version, err := extension(ev, state.ExtensionEntityVersion)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %s: %w", ErrNotCanonical, e.ID, err)
	}
	if e.EntityVersion, err = strconv.ParseUint(version, 10, 64); err != nil || e.EntityVersion == 0 {
		return Event{}, fmt.Errorf("%w: %s: entity version %q is not a positive integer", ErrNotCanonical, e.ID, version)
	}
	if tp, err := extension(ev, "traceparent"); err == nil {
		e.TraceParent = tp
	}
	if account, err := extension(ev, accounts.Extension); err == nil {
		e.Account = account
	}
	tokens := strings.SplitN(subject, ".", 4)
	if len(tokens) == 4 {
		e.Provider, e.Name = tokens[1], tokens[2]
	}
	return e, nil
}

// extension returns a CloudEvents extension as a string.
func extension(ev *event.Event, name string) (string, error) {
	v, ok := ev.Extensions()[name]
	if !ok {
		return "", fmt.Errorf("no %s%s", ce.HeaderPrefix, name)
	}
	s, err := types.ToString(v)
	if err != nil {
		return "", fmt.Errorf("%s%s: %w", ce.HeaderPrefix, name, err)
	}
	return s, nil
}
