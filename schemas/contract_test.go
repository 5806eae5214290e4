package schemas_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/schemas"
)

// sources are the ce-source of each canonical stream's events (the
// services' Source constants; cmd/hookstream's tests hold the AsyncAPI
// document to them).
var sources = map[string]string{
	catalog.StreamOrders:      "/hookstream/order-enricher",
	catalog.StreamShipments:   "/hookstream/shipment-tracker",
	catalog.StreamFulfillment: "/hookstream/fulfillment-holds",
}

// contractEvent is a canonical event as a subscriber reads it.
type contractEvent struct {
	subject string
	header  map[string][]string
	data    []byte
}

// newContractEvent builds the event of a catalog row for a canonical record
// the way docs/events.md describes it, at entity version 3.
func newContractEvent(t *testing.T, et catalog.EventType, record any) contractEvent {
	t.Helper()
	data, err := json.Marshal(record)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		ID        string `json:"id"`
		UpdatedAt string `json:"updated_at"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	_, key, _ := strings.Cut(rec.ID, ":")
	one := func(v string) []string { return []string{v} }
	return contractEvent{
		subject: et.Subject + "." + strings.ReplaceAll(key, ":", "."),
		header: map[string][]string{
			"ce-specversion":     one("1.0"),
			"ce-id":              one(rec.ID + "@3"),
			"Nats-Msg-Id":        one(rec.ID + "@3"),
			"ce-type":            one(et.Type),
			"ce-source":          one(sources[et.Stream]),
			"ce-subject":         one(rec.ID),
			"ce-time":            one(rec.UpdatedAt),
			"ce-datacontenttype": one("application/json"),
			"ce-dataschema":      one(schemas.BaseURL + et.Schema),
			"ce-entityversion":   one("3"),
			"ce-traceparent":     one("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
		},
		data: data,
	}
}

// contractEvents returns valid events of the records the normalisers make
// (every record, as an event of every canonical row of its stream and
// provider), by "<row subject> <record name>"; and the first of them for
// each row, by row subject.
func contractEvents(t *testing.T) (all, byRow map[string]contractEvent) {
	t.Helper()
	type record struct {
		stream, provider string
		v                any
	}
	records := map[string]record{
		"order.completed": {catalog.StreamOrders, catalog.Snipcart, snipcartCanonicalOrders(t)["order.completed"]},
	}
	for name, sh := range canonicalShipments(t) {
		records[name] = record{catalog.StreamShipments, sh.Provider, sh}
	}
	for name, h := range canonicalHolds(t) {
		records[name] = record{catalog.StreamFulfillment, h.Provider, h}
	}
	all, byRow = map[string]contractEvent{}, map[string]contractEvent{}
	for _, name := range slices.Sorted(maps.Keys(records)) {
		r := records[name]
		for _, et := range catalog.All() {
			if et.Canonical() && et.Stream == r.stream && et.Provider == r.provider {
				e := newContractEvent(t, et, r.v)
				all[et.Subject+" "+name] = e
				if _, ok := byRow[et.Subject]; !ok {
					byRow[et.Subject] = e
				}
			}
		}
	}
	return all, byRow
}

// TestCheckCanonicalEventAccepts: events built as docs/events.md says pass,
// for every stream.
func TestCheckCanonicalEventAccepts(t *testing.T) {
	t.Parallel()
	events, _ := contractEvents(t)
	streams := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(events)) {
		e := events[name]
		et, err := schemas.CheckCanonicalEvent(e.subject, e.header, e.data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if row, _, _ := strings.Cut(name, " "); et.Subject != row {
			t.Errorf("%s: resolved to %s", e.subject, et.Subject)
		}
		streams[et.Stream] = true
	}
	if len(streams) != 3 {
		t.Errorf("events checked for streams %v, want all three canonical streams", streams)
	}
}

// TestCheckCanonicalEventRefuses breaks a valid hold event one way per case.
func TestCheckCanonicalEventRefuses(t *testing.T) {
	t.Parallel()
	_, byRow := contractEvents(t)
	base := byRow["fulfillment.shopline.hold_placed"]
	if base.subject == "" {
		t.Fatal("no fulfillment.shopline.hold_placed event")
	}
	set := func(k, v string) func(*contractEvent) {
		return func(e *contractEvent) { e.header[k] = []string{v} }
	}
	del := func(k string) func(*contractEvent) {
		return func(e *contractEvent) { delete(e.header, k) }
	}
	cases := []struct {
		name, want string
		edit       func(*contractEvent)
	}{
		{"no entity key", "not <catalog subject>.<entity key>", func(e *contractEvent) { e.subject = "fulfillment.shopline.hold_placed" }},
		{"not a catalog subject", "not a canonical event's subject", func(e *contractEvent) { e.subject = "fulfillment.shopline.deleted.1.2" }},
		{"a webhook subject", "not a canonical event's subject", func(e *contractEvent) { e.subject = "webhooks.shopline.fulfillment_order.update.x" }},
		{"key token with a space", "entity key token", func(e *contractEvent) { e.subject += ".a b" }},
		{"another type", "ce-type", set("ce-type", "dev.hookstream.fulfillment.hold_released")},
		{"another schema", "ce-dataschema", set("ce-dataschema", schemas.BaseURL+"canonical/order.schema.json")},
		{"schema not a URI", "ce-dataschema", set("ce-dataschema", "fulfillment hold")},
		{"another source", "ce-source", set("ce-source", sources[catalog.StreamOrders])},
		{"no entity version", "ce-entityversion", del("ce-entityversion")},
		{"entity version 0", "ce-entityversion", func(e *contractEvent) {
			id := e.header["ce-subject"][0] + "@0"
			e.header["ce-entityversion"], e.header["ce-id"], e.header["Nats-Msg-Id"] = []string{"0"}, []string{id}, []string{id}
		}},
		{"id of another version", "ce-id", set("ce-id", base.header["ce-subject"][0]+"@2")},
		{"no Nats-Msg-Id", "Nats-Msg-Id", del("Nats-Msg-Id")},
		{"two ids", "2 values", func(e *contractEvent) { e.header["ce-id"] = append(e.header["ce-id"], "x") }},
		{"another provider's entity", "ce-subject", func(e *contractEvent) {
			id := strings.Replace(e.header["ce-subject"][0], "shopline:", "snipcart:", 1)
			e.header["ce-subject"], e.header["ce-id"], e.header["Nats-Msg-Id"] = []string{id}, []string{id + "@3"}, []string{id + "@3"}
		}},
		{"time not RFC 3339", "ce-time", set("ce-time", "yesterday")},
		{"time of another state", "ce-time", set("ce-time", "2020-01-01T00:00:00Z")},
		{"spec version 0.3", "ce-specversion", set("ce-specversion", "0.3")},
		{"bad traceparent", "ce-traceparent", set("ce-traceparent", "xyz")},
		{"data not JSON", "not JSON", func(e *contractEvent) { e.data = []byte("{") }},
		{"data of another schema", "data", func(e *contractEvent) { e.data = []byte(`{"id":"` + e.header["ce-subject"][0] + `"}`) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := contractEvent{subject: base.subject, header: map[string][]string{}, data: base.data}
			for k, v := range base.header {
				e.header[k] = slices.Clone(v)
			}
			c.edit(&e)
			_, err := schemas.CheckCanonicalEvent(e.subject, e.header, e.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error about %s", err, c.want)
			}
		})
	}
}
