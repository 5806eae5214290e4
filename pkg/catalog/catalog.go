// Package catalog is the one table of hookstream's event types: for every
// event it names the CloudEvents type, the NATS subject, the stream that
// stores it, the JSON Schema of its data and an example body.
//
// The gateway, the consumers, the schema tests, the README and the AsyncAPI
// document all read this table; nothing else may invent a type or a subject.
//
// # Names to subjects
//
// A provider's event name becomes subject tokens by one rule, [Tokens]:
// the separators '.', '/' and ':' split tokens (but only the ones the
// provider uses: a dot in a SHOPLINE topic or any separator in a ShipStation
// resource type is refused, see [Webhook]), a lower-to-upper case change
// inside a token becomes '_' (Snipcart's "trackingNumber" → "tracking_number"),
// and everything is lower-cased. Any other character than ASCII letters,
// digits, '_' and '-', an empty token, more than [MaxTokens] tokens or a name
// longer than [MaxNameLen] is refused with [ErrInvalidName], so '*', '>',
// spaces and dots can never reach a subject.
//
// # Events that are not in the table
//
// A provider may add an event before this table knows it. Such an event is
// authenticated like any other and, when its name passes [Tokens], stored
// under the same rule (subject webhooks.<provider>.<tokens>, type
// com.<provider>.webhook.<tokens>) with [EventType.Known] false; the gateway
// logs and counts it. Nothing legitimate is dropped, and nothing unknown is
// dressed up as known.
package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Stream names.
const (
	StreamWebhooks    = "WEBHOOKS"
	StreamOrders      = "ORDERS"
	StreamShipments   = "SHIPMENTS"
	StreamFulfillment = "FULFILLMENT"
)

// TypePrefix prefixes the CloudEvents types of hookstream's own canonical
// events (raw webhooks keep the provider's domain).
const TypePrefix = "dev.hookstream."

// Canonical events, as the last subject token.
const (
	// OrderUpserted is a canonical order, created or changed.
	OrderUpserted = "upserted"
	// ShipmentTrackingUpdated is a shipment with new tracking details.
	ShipmentTrackingUpdated = "tracking_updated"
	// ShipmentVoided is a shipment whose label was voided (or whose
	// fulfillment was cancelled).
	ShipmentVoided = "voided"
	// ShipmentDelivered is a shipment whose parcel the carrier has just
	// reported delivered.
	ShipmentDelivered = "delivered"
	// ShipmentDeliveryUpdated is a shipment whose delivery status or
	// carrier tracking history changed, short of delivery.
	ShipmentDeliveryUpdated = "delivery_updated"
	// HoldPlaced is a fulfillment order put on hold.
	HoldPlaced = "hold_placed"
	// HoldReleased is a hold lifted.
	HoldReleased = "hold_released"
	// FulfillmentRejected is a fulfillment request the fulfiller refused.
	FulfillmentRejected = "rejected"
	// HoldOverdue is a hold still open after the configured time.
	HoldOverdue = "hold_overdue"
)

// The reconciler's subject token and resource kinds:
// webhooks.<provider>.reconciled.<kind>.
const (
	// ReconciledToken is the first event token of every reconciled
	// resource; no provider event may resolve to it.
	ReconciledToken = "reconciled"
	// ReconciledOrder is an order: ShipStation's GET /orders, Snipcart's
	// GET /orders, SHOPLINE's GET orders.json.
	ReconciledOrder = "order"
	// ReconciledShipment is a ShipStation label (GET /shipments).
	ReconciledShipment = "shipment"
	// ReconciledFulfillment is a ShipStation fulfillment (GET /fulfillments).
	ReconciledFulfillment = "fulfillment"
)

// Providers, as used in routes, subjects, types and the ce-provider extension.
const (
	ShipStation = "shipstation"
	Snipcart    = "snipcart"
	Shopline    = "shopline"
)

// Limits on provider event names.
const (
	MaxNameLen = 128
	MaxTokens  = 8
)

// ErrInvalidName is returned for an event name that cannot safely become
// subject tokens.
var ErrInvalidName = errors.New("catalog: invalid event name")

// EventType is one row of the catalog.
type EventType struct {
	// Type is the CloudEvents type, reverse-DNS:
	// com.shipstation.webhook.order_notify.
	Type string
	// Subject is the NATS subject events of this type are published on.
	Subject string
	// Stream is the JetStream stream whose subjects cover Subject.
	Stream string
	// Provider is the provider the event comes from.
	Provider string
	// Event is the provider's own name for it: ORDER_NOTIFY,
	// order.trackingNumber.changed, fulfillment_order/update.
	Event string
	// Schema is the JSON Schema of the event data, relative to schemas/.
	Schema string
	// Example is an example body, relative to schemas/.
	Example string
	// Known is false for an event resolved by rule that the table lacks.
	Known bool
	// Reconciled marks a resource the reconciler found in a provider's
	// list API rather than a webhook: stored in WEBHOOKS, on
	// webhooks.<provider>.reconciled.<kind>, its data the whole resource
	// (see [Reconciliation]). No provider sends one: [Webhook] refuses
	// names beginning with [ReconciledToken].
	Reconciled bool
}

// SchemaBaseURI is the base of the JSON Schemas' $id: a schema's $id is
// SchemaBaseURI followed by its path under schemas/.
const SchemaBaseURI = "https://hookstream.dev/schemas/"

// DataSchema returns the URI of the JSON Schema of the event's data (the
// schema's $id, and the CloudEvents dataschema of canonical events), or ""
// for a row without a schema.
func (et EventType) DataSchema() string {
	if et.Schema == "" {
		return ""
	}
	return SchemaBaseURI + et.Schema
}

// Canonical reports whether the row is one of hookstream's own events
// rather than a provider's webhook.
func (et EventType) Canonical() bool { return et.Stream != StreamWebhooks }

// Tokens turns a provider's event name into lower-case subject tokens by the
// rule in the package comment. It returns ErrInvalidName (wrapped, with the
// reason) for a name the rule refuses.
func Tokens(name string) ([]string, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if len(name) > MaxNameLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidName, MaxNameLen)
	}
	var (
		tokens []string
		b      strings.Builder
		prev   byte
	)
	flush := func() error {
		if b.Len() == 0 {
			return fmt.Errorf("%w: empty token in %q", ErrInvalidName, name)
		}
		tokens = append(tokens, b.String())
		b.Reset()
		prev = 0
		return nil
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.' || c == '/' || c == ':':
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		case c >= 'A' && c <= 'Z':
			if prev >= 'a' && prev <= 'z' {
				b.WriteByte('_')
			}
			b.WriteByte(c + ('a' - 'A'))
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		default:
			return nil, fmt.Errorf("%w: character %q at %d", ErrInvalidName, c, i)
		}
		prev = c
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(tokens) > MaxTokens {
		return nil, fmt.Errorf("%w: more than %d tokens", ErrInvalidName, MaxTokens)
	}
	return tokens, nil
}

// webhookRow builds a known row for a raw webhook.
func webhookRow(provider, event, schema string) EventType {
	et, err := byRule(provider, event)
	if err != nil {
		panic(err) // the table is static: a bad row is a programming error
	}
	et.Known = true
	et.Schema = "webhooks/" + schema
	et.Example = "examples/" + provider + "/" + strings.TrimPrefix(et.Subject, "webhooks."+provider+".") + ".json"
	return et
}

func byRule(provider, event string) (EventType, error) {
	if provider != ShipStation && provider != Snipcart && provider != Shopline {
		return EventType{}, fmt.Errorf("%w: unknown provider %q", ErrInvalidName, provider)
	}
	tokens, err := Tokens(event)
	if err != nil {
		return EventType{}, err
	}
	name := strings.Join(tokens, ".")
	return EventType{
		Type:     "com." + provider + ".webhook." + name,
		Subject:  "webhooks." + provider + "." + name,
		Stream:   StreamWebhooks,
		Provider: provider,
		Event:    event,
	}, nil
}

var (
	table     = buildTable()
	byType    = index(table, func(et EventType) string { return et.Type }, false)
	bySubject = index(table, func(et EventType) string { return et.Subject }, true)
)

// index maps key(row) to the row's position (the first, when several
// canonical rows share a type). A repeated subject is a programming error.
func index(rows []EventType, key func(EventType) string, unique bool) map[string]int {
	m := make(map[string]int, len(rows))
	for i, et := range rows {
		k := key(et)
		if _, dup := m[k]; dup {
			if unique || !et.Canonical() {
				panic("catalog: duplicate " + k)
			}
			continue
		}
		m[k] = i
	}
	return m
}

func buildTable() []EventType {
	var rows []EventType
	add := func(provider, schema string, events ...string) {
		for _, e := range events {
			rows = append(rows, webhookRow(provider, e, schema))
		}
	}
	add(ShipStation, "shipstation-v1.schema.json",
		"ORDER_NOTIFY", "ITEM_ORDER_NOTIFY", "SHIP_NOTIFY", "ITEM_SHIP_NOTIFY",
		"FULFILLMENT_SHIPPED", "FULFILLMENT_REJECTED")
	add(ShipStation, "shipstation-v2.schema.json",
		"BATCH_PROCESSED_V2", "TRACK_EVENT_V2", "FULFILLMENT_SHIPPED_V2",
		"FULFILLMENT_REJECTED_V2", "ORDER_SOURCE_REFRESH_COMPLETE_V2",
		"SALES_ORDERS_IMPORTED_V2", "REPORT_COMPLETE_V2", "API_TRACK")
	add(Snipcart, "snipcart-order.schema.json",
		"order.completed", "order.status.changed", "order.paymentStatus.changed",
		"order.trackingNumber.changed")
	add(Snipcart, "snipcart-refund.schema.json", "order.refund.created")
	add(Snipcart, "snipcart-notification.schema.json", "order.notification.created")
	add(Snipcart, "snipcart-subscription.schema.json",
		"v3/subscription.created", "v3/subscription.cancelled", "v3/subscription.paused",
		"v3/subscription.resumed", "v3/subscription.invoice.created",
		"subscription.created", "subscription.cancelled", "subscription.paused",
		"subscription.resumed", "subscription.invoice.created")
	add(Shopline, "shopline-fulfillment-order.schema.json",
		"fulfillment_order/create", "fulfillment_order/update", "fulfillment_order/on_hold",
		"fulfillment_order/released", "fulfillment_order/submitted",
		"fulfillment_order/accepted", "fulfillment_order/rejected",
		"fulfillment_order/cancellation_request_submitted",
		"fulfillment_order/cancellation_request_rejected")
	add(Shopline, "shopline-fulfillment.schema.json", "fulfillments/create", "fulfillments/update")
	add(Shopline, "shopline-order.schema.json",
		"orders/create", "orders/updated", "orders/edited", "orders/paid",
		"orders/fulfilled", "orders/partially_fulfilled", "orders/cancelled", "orders/delete")
	reconciled := func(provider, schema string, kinds ...string) {
		for _, k := range kinds {
			et := webhookRow(provider, ReconciledToken+"."+k, schema)
			et.Schema, et.Example = "reconciled/"+schema, ""
			et.Reconciled = true
			rows = append(rows, et)
		}
	}
	reconciled(ShipStation, "shipstation-order.schema.json", ReconciledOrder)
	reconciled(ShipStation, "shipstation-shipment.schema.json", ReconciledShipment)
	reconciled(ShipStation, "shipstation-fulfillment.schema.json", ReconciledFulfillment)
	reconciled(Snipcart, "snipcart-order.schema.json", ReconciledOrder)
	reconciled(Shopline, "shopline-order.schema.json", ReconciledOrder)
	canonical := func(stream, root, provider, schema string, events ...string) {
		for _, e := range events {
			typ := strings.TrimSuffix(root, "s") + "." + e // orders → order.upserted
			rows = append(rows, canonicalRow(stream, root, provider, e, typ, schema))
		}
	}
	for _, p := range []string{ShipStation, Snipcart, Shopline} {
		canonical(StreamOrders, "orders", p, "canonical/order.schema.json", OrderUpserted)
	}
	canonical(StreamShipments, "shipments", ShipStation, "canonical/shipment.schema.json", ShipmentTrackingUpdated, ShipmentVoided, ShipmentDelivered, ShipmentDeliveryUpdated)
	canonical(StreamShipments, "shipments", Snipcart, "canonical/shipment.schema.json", ShipmentTrackingUpdated)
	canonical(StreamShipments, "shipments", Shopline, "canonical/shipment.schema.json", ShipmentTrackingUpdated, ShipmentVoided, ShipmentDelivered, ShipmentDeliveryUpdated)
	canonical(StreamFulfillment, "fulfillment", Shopline, "canonical/fulfillment-hold.schema.json",
		HoldPlaced, HoldReleased, FulfillmentRejected, HoldOverdue)
	canonical(StreamFulfillment, "fulfillment", ShipStation, "canonical/fulfillment-hold.schema.json", FulfillmentRejected)
	return rows
}

// canonicalRow builds a row for one of hookstream's own events:
// <root>.<provider>.<event> with type dev.hookstream.<typ>.
func canonicalRow(stream, root, provider, event, typ, schema string) EventType {
	return EventType{
		Type:     TypePrefix + typ,
		Subject:  root + "." + provider + "." + event,
		Stream:   stream,
		Provider: provider,
		Event:    event,
		Schema:   schema,
		Known:    true,
	}
}

// All returns every row of the table, in table order. The slice is a copy.
func All() []EventType { return slices.Clone(table) }

// MustWebhookType returns the CloudEvents type of a catalogued webhook, for
// the package-level tables of the consumers; it panics when the catalog
// lacks the event, so a typo fails at start-up, not in production traffic.
func MustWebhookType(provider, event string) string {
	et, err := Webhook(provider, event)
	if err != nil || !et.Known {
		panic(fmt.Sprintf("catalog: %s %s is not in the catalog", provider, event))
	}
	return et.Type
}

// Webhooks returns the rows of raw provider webhooks (stream WEBHOOKS),
// without the reconciler's rows.
func Webhooks() []EventType {
	return slices.DeleteFunc(All(), func(et EventType) bool { return et.Canonical() || et.Reconciled })
}

// Reconciliations returns the reconciler's rows (see [Reconciliation]).
func Reconciliations() []EventType {
	return slices.DeleteFunc(All(), func(et EventType) bool { return !et.Reconciled })
}

// Reconciliation returns the row of a resource kind the reconciler
// publishes for provider: Reconciliation(ShipStation, ReconciledOrder) is
// webhooks.shipstation.reconciled.order, type
// com.shipstation.webhook.reconciled.order.
func Reconciliation(provider, kind string) (EventType, error) {
	et, ok := BySubject("webhooks." + provider + "." + ReconciledToken + "." + kind)
	if !ok || !et.Reconciled {
		return EventType{}, fmt.Errorf("catalog: no reconciled %s %s", provider, kind)
	}
	return et, nil
}

// Webhook resolves a provider's event name to its event type: the table's
// row when there is one, else a row derived by rule with Known false. It
// returns an error wrapping ErrInvalidName when the name cannot become
// subject tokens.
func Webhook(provider, event string) (EventType, error) {
	if i := strings.IndexAny(event, foreignSeparators[provider]); i >= 0 {
		return EventType{}, fmt.Errorf("%w: %s does not use %q in event names", ErrInvalidName, provider, event[i])
	}
	et, err := byRule(provider, event)
	if err != nil {
		return EventType{}, err
	}
	if strings.HasPrefix(et.Subject, "webhooks."+provider+"."+ReconciledToken+".") || et.Subject == "webhooks."+provider+"."+ReconciledToken {
		return EventType{}, fmt.Errorf("%w: %q is reserved for the reconciler", ErrInvalidName, ReconciledToken)
	}
	if known, ok := ByType(et.Type); ok {
		known.Event = event
		return known, nil
	}
	return et, nil
}

// foreignSeparators are the separators a provider never uses: ShipStation's
// resource types are single words (ORDER_NOTIFY), SHOPLINE's topics use '/'
// only (fulfillment_order/update), Snipcart uses all three
// (v3/subscription.created, customauth:customer_updated).
var foreignSeparators = map[string]string{
	ShipStation: "./:",
	Shopline:    ".:",
}

// BySubject returns the table's row for a subject: a raw webhook's
// subject, or a canonical event's, which is the row's Subject followed by
// the entity's key tokens (orders.shipstation.upserted.123456789).
func BySubject(subject string) (EventType, bool) {
	i, ok := bySubject[subject]
	if !ok {
		tokens := strings.SplitN(subject, ".", 4)
		if len(tokens) < 4 {
			return EventType{}, false
		}
		if i, ok = bySubject[strings.Join(tokens[:3], ".")]; !ok || !table[i].Canonical() {
			return EventType{}, false
		}
	}
	return table[i], true
}

// Canonical returns the row for one of hookstream's own events,
// <root>.<provider>.<event>: Canonical("orders", ShipStation, OrderUpserted)
// is orders.shipstation.upserted.
func Canonical(root, provider, event string) (EventType, error) {
	et, ok := BySubject(root + "." + provider + "." + event)
	if !ok {
		return EventType{}, fmt.Errorf("catalog: no event %s.%s.%s", root, provider, event)
	}
	return et, nil
}

// ByType returns the table's (first) row for a CloudEvents type.
func ByType(ceType string) (EventType, bool) {
	i, ok := byType[ceType]
	if !ok {
		return EventType{}, false
	}
	return table[i], true
}
