package subscribe_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/subscribe"
)

// A consumer on shipments.*.delivered.> with OnDelivered receives the
// delivered event of each parcel, with its shipment, and nothing else.
func TestOnDeliveredRuns(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kv, err := state.EnsureBucket(ctx, e.js, state.Bucket(state.BucketShipments, "test", state.BucketOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	shipments := state.New(e.js, kv, state.Kind{Root: "shipments", Stream: catalog.StreamShipments, Source: "/test/shipment-tracker"})
	t0 := time.Date(2025, 6, 7, 18, 47, 0, 0, time.UTC)
	sh := model.Shipment{
		ID: "shipstation:t9400111899223344556677", Provider: catalog.ShipStation, Carrier: model.CarrierUSPS,
		TrackingNumber: "9400111899223344556677", Source: model.SourceTracking, UpdatedAt: t0,
		DeliveryStatus: model.DeliveryInTransit,
	}
	publish := func(name string, s model.Shipment) {
		put(t, shipments, nil, s.Key(), s, &state.Event{Name: name, Provider: s.Provider, Subject: s.ID, Time: s.UpdatedAt})
	}
	publish(catalog.ShipmentDeliveryUpdated, sh)
	delivered := sh
	delivered.DeliveryStatus, delivered.DeliveredAt = model.DeliveryDelivered, &t0
	publish(catalog.ShipmentDelivered, delivered)

	var got received[model.Shipment]
	run(t, e.js, subscribe.Config{Durable: "delivered-test", FilterSubjects: []string{"shipments.*.delivered.>"}},
		subscribe.OnDelivered(func(_ context.Context, ev subscribe.Event, s model.Shipment) error {
			if ev.Name != catalog.ShipmentDelivered || ev.EntityVersion != 2 {
				return runner.Permanent(errors.New("unexpected event"))
			}
			got.add(s)
			return nil
		}))
	natstest.Eventually(t, "the delivered event", func() bool { return len(got.get()) == 1 })
	natstest.Eventually(t, "the consumer to be done", func() bool {
		info := consumerInfo(t, e.js, catalog.StreamShipments, "delivered-test")
		return info.NumPending == 0 && info.NumAckPending == 0
	})
	if s := got.get()[0]; s.DeliveryStatus != model.DeliveryDelivered || s.DeliveredAt == nil || !s.DeliveredAt.Equal(t0) {
		t.Errorf("got %+v", s)
	}
	if info := consumerInfo(t, e.js, catalog.StreamShipments, "delivered-test"); info.Delivered.Consumer != 1 {
		t.Errorf("%d deliveries, want the one delivered event", info.Delivered.Consumer)
	}
}

// OnDelivered acknowledges other shipment events without calling its
// function, and sends another kind of entity to the DLQ.
func TestOnDeliveredSkipsOtherEvents(t *testing.T) {
	called := 0
	h := subscribe.OnDelivered(func(context.Context, subscribe.Event, model.Shipment) error {
		called++
		return nil
	})
	data := []byte(`{"id":"shipstation:t1"}`)
	for _, name := range []string{catalog.ShipmentTrackingUpdated, catalog.ShipmentDeliveryUpdated, catalog.ShipmentVoided} {
		if err := h(context.Background(), subscribe.Event{Type: "dev.hookstream.shipment." + name, Name: name, Data: data}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if called != 0 {
		t.Errorf("called %d times for events that are not delivered", called)
	}
	err := h(context.Background(), subscribe.Event{Type: "dev.hookstream.order.upserted", Name: catalog.OrderUpserted, Data: data})
	if !runner.IsPermanent(err) {
		t.Errorf("an order: %v, want a permanent error", err)
	}
	err = h(context.Background(), subscribe.Event{Type: "dev.hookstream.shipment.delivered", Name: catalog.ShipmentDelivered, Data: data})
	if err != nil || called != 1 {
		t.Errorf("a delivered event: %v, called %d", err, called)
	}
}
