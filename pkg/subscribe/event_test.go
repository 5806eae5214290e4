package subscribe_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/subscribe"
)

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// DecodeMsg reads an event as it is stored in the stream (read back with
// GetMsg, as a core subscriber or `nats stream get` sees it).
func TestDecodeMsgReadsStoredEvent(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)
	h := hold("77", model.HoldHeld, t0)
	e.putHold(t, h, catalog.HoldPlaced)
	ev := e.decodeStored(t, catalog.StreamFulfillment, 1)
	if ev.ID != h.ID+"@1" || ev.EntityVersion != 1 || ev.Kind() != subscribe.KindFulfillment || ev.Name != catalog.HoldPlaced || ev.StreamSeq != 0 {
		t.Errorf("decoded %+v", ev)
	}
	got, err := ev.Hold()
	if err != nil || got.ID != h.ID || got.Status != model.HoldHeld || !got.PlacedAt.Equal(t0) {
		t.Errorf("Hold() = %+v, %v", got, err)
	}
	if _, err := ev.Order(); !errors.Is(err, subscribe.ErrWrongKind) {
		t.Errorf("Order() on a hold event: %v, want ErrWrongKind", err)
	}
	if _, err := ev.Shipment(); !errors.Is(err, subscribe.ErrWrongKind) {
		t.Errorf("Shipment() on a hold event: %v, want ErrWrongKind", err)
	}
}

// canonicalHeader is a valid canonical event's header; tests break one
// part of it at a time.
func canonicalHeader() nats.Header {
	h := nats.Header{}
	for k, v := range map[string]string{
		"ce-specversion": "1.0", "ce-id": "shipstation:1@3", "ce-source": "/order-enricher",
		"ce-type": "dev.hookstream.order.upserted", "ce-subject": "shipstation:1", "ce-entityversion": "3",
		"ce-time": "2026-11-22T19:18:34Z", "ce-datacontenttype": "application/json",
	} {
		h.Set(k, v)
	}
	return h
}

func TestDecodeMsgRefusesWhatIsNotCanonical(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(nats.Header)
		wants string
	}{
		{"not a CloudEvent", func(h nats.Header) { clear(h) }, "not a CloudEvent"},
		{"a raw webhook", func(h nats.Header) { h.Set("ce-type", "com.shopline.webhook.orders.create") }, "not a hookstream type"},
		{"no entity id", func(h nats.Header) { h.Del("ce-subject") }, "no entity id"},
		{"no version", func(h nats.Header) { h.Del("ce-entityversion") }, "no ce-entityversion"},
		{"version zero", func(h nats.Header) { h.Set("ce-entityversion", "0") }, "not a positive integer"},
		{"version not a number", func(h nats.Header) { h.Set("ce-entityversion", "3a") }, "not a positive integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := canonicalHeader()
			tc.edit(h)
			_, err := subscribe.DecodeMsg(&nats.Msg{Subject: "orders.shipstation.upserted.1", Header: h, Data: []byte(`{}`)})
			if !errors.Is(err, subscribe.ErrNotCanonical) || !has(err.Error(), tc.wants) {
				t.Errorf("DecodeMsg: %v, want ErrNotCanonical with %q", err, tc.wants)
			}
		})
	}
	ev, err := subscribe.DecodeMsg(&nats.Msg{Subject: "orders.shipstation.upserted.1", Header: canonicalHeader(), Data: []byte(`{"id":"shipstation:1"}`)})
	if err != nil || ev.EntityVersion != 3 || ev.Provider != catalog.ShipStation || ev.Name != catalog.OrderUpserted {
		t.Errorf("the unbroken header: %+v, %v", ev, err)
	}
}

// A typed handler sends what it cannot decode to the DLQ (a permanent
// error) without calling its function.
func TestTypedHandlersRefuseOtherKinds(t *testing.T) {
	called := false
	h := subscribe.OnShipment(func(context.Context, subscribe.Event, model.Shipment) error {
		called = true
		return nil
	})
	for _, ev := range []subscribe.Event{
		{ID: "shipstation:1@1", Type: "dev.hookstream.order.upserted", Data: []byte(`{}`)},
		{ID: "shipstation:2@1", Type: "dev.hookstream.shipment.tracking_updated", Data: []byte(`[]`)},
	} {
		err := h(context.Background(), ev)
		if !runner.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error", ev.Type, err)
		}
	}
	if called {
		t.Error("the shipment function was called")
	}
	err := h(context.Background(), subscribe.Event{Type: "dev.hookstream.shipment.voided", Data: []byte(`{"id":"shipstation:9"}`)})
	if err != nil || !called {
		t.Errorf("a shipment event: %v, called %v", err, called)
	}
}

// Decode reads a message fetched from a consumer of your own, with its
// stream sequence and delivery count.
func TestDecodeFetchedMessage(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)
	e.putOrder(t, nil, order(catalog.Snipcart, "tok-1", "SNIP-1", t0))
	e.putOrder(t, nil, order(catalog.Snipcart, "tok-1", "SNIP-1b", t0.Add(time.Second)))
	ctx := context.Background()
	cons, err := e.js.CreateConsumer(ctx, catalog.StreamOrders, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(2, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for msg := range batch.Messages() {
		ev, err := subscribe.Decode(msg)
		if err != nil {
			t.Fatal(err)
		}
		o, err := ev.Order()
		if err != nil {
			t.Fatal(err)
		}
		if ev.StreamSeq != ev.EntityVersion || ev.Attempt != 1 || ev.EntityID != "snipcart:tok-1" {
			t.Errorf("decoded %+v", ev)
		}
		numbers = append(numbers, o.Number)
	}
	if !slices.Equal(numbers, []string{"SNIP-1", "SNIP-1b"}) {
		t.Errorf("orders %v, want SNIP-1 then SNIP-1b", numbers)
	}
}
