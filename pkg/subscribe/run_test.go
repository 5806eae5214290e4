package subscribe_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/subscribe"
)

type orderEvent struct {
	e subscribe.Event
	o model.Order
}

// Events published the way the order-enricher publishes them arrive
// decoded, with their attributes, their entity versions in order and
// their data as a model.Order, on a durable consumer with explicit acks
// on the stream the filter names.
func TestRunDeliversTypedOrders(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 11, 22, 19, 18, 34, 0, time.UTC)
	cause := event.New()
	cause.SetExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	e.putOrder(t, &cause, order(catalog.ShipStation, "1001", "A-1", t0))
	e.putOrder(t, nil, order(catalog.ShipStation, "1001", "A-1b", t0.Add(time.Minute)))
	e.putOrder(t, nil, order(catalog.Snipcart, "tok-9", "SNIP-9", t0))

	var got received[orderEvent]
	run(t, e.js, subscribe.Config{Durable: "orders-test", FilterSubjects: []string{"orders.>"}},
		subscribe.OnOrder(func(_ context.Context, ev subscribe.Event, o model.Order) error {
			got.add(orderEvent{ev, o})
			return nil
		}))
	natstest.Eventually(t, "three orders", func() bool { return len(got.get()) == 3 })

	info := consumerInfo(t, e.js, catalog.StreamOrders, "orders-test")
	if info.Config.AckPolicy != jetstream.AckExplicitPolicy || !slices.Equal(info.Config.FilterSubjects, []string{"orders.>"}) {
		t.Errorf("consumer config: ack %v, filters %v", info.Config.AckPolicy, info.Config.FilterSubjects)
	}
	et, _ := catalog.Canonical("orders", catalog.ShipStation, catalog.OrderUpserted)
	// Handlers run concurrently, so the calls may come in any order; in
	// stream order an entity's versions increase.
	all := got.get()
	slices.SortFunc(all, func(a, b orderEvent) int { return int(a.e.StreamSeq) - int(b.e.StreamSeq) })
	var versions []uint64
	for _, g := range all {
		ev := g.e
		if ev.EntityID != g.o.ID || ev.Type != "dev.hookstream.order.upserted" || ev.Kind() != subscribe.KindOrder ||
			ev.Name != catalog.OrderUpserted || ev.Provider != g.o.Provider || ev.DataSchema != et.DataSchema() ||
			ev.Source != "/test/order-enricher" || ev.StreamSeq == 0 || ev.Attempt != 1 {
			t.Errorf("event %+v for order %s", ev, g.o.ID)
		}
		if ev.ID != ev.EntityID+"@"+itoa(ev.EntityVersion) || ev.Subject != "orders."+g.o.Provider+".upserted."+g.o.Key()[len(g.o.Provider)+1:] {
			t.Errorf("id %q subject %q for %s", ev.ID, ev.Subject, g.o.ID)
		}
		if g.o.ID != "shipstation:1001" {
			continue
		}
		versions = append(versions, ev.EntityVersion)
		want := map[uint64]string{1: "A-1", 2: "A-1b"}[ev.EntityVersion]
		if g.o.Number != want || !ev.Time.Equal(g.o.UpdatedAt) {
			t.Errorf("version %d: number %q time %s, want %q at %s", ev.EntityVersion, g.o.Number, ev.Time, want, g.o.UpdatedAt)
		}
		if wantTP := map[uint64]string{1: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}[ev.EntityVersion]; ev.TraceParent != wantTP {
			t.Errorf("version %d: traceparent %q, want %q", ev.EntityVersion, ev.TraceParent, wantTP)
		}
	}
	if !slices.Equal(versions, []uint64{1, 2}) {
		t.Errorf("shipstation:1001 versions %v, want [1 2]", versions)
	}
}

// A filter on one event name receives that event only, from the stream
// its root names.
func TestRunFiltersBySubject(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)
	a := hold("4005740193290131085320", model.HoldHeld, t0)
	e.putHold(t, a, catalog.HoldPlaced)
	e.putHold(t, hold("4005740193290131085999", model.HoldHeld, t0), catalog.HoldPlaced)
	overdue := a
	overdue.OverdueAt = t0.Add(24 * time.Hour)
	e.putHold(t, overdue, catalog.HoldOverdue)

	var got received[subscribe.Event]
	run(t, e.js, subscribe.Config{Durable: "overdue-test", FilterSubjects: []string{"fulfillment.*.hold_overdue.>"}},
		subscribe.OnHold(func(_ context.Context, ev subscribe.Event, h model.FulfillmentHold) error {
			if !h.OverdueAt.Equal(overdue.OverdueAt) || h.Holds[0].Reason != "out of stock" {
				return runner.Permanent(errors.New("unexpected record"))
			}
			got.add(ev)
			return nil
		}))
	natstest.Eventually(t, "hold_overdue", func() bool { return len(got.get()) == 1 })
	natstest.Eventually(t, "the consumer to be done", func() bool {
		info := consumerInfo(t, e.js, catalog.StreamFulfillment, "overdue-test")
		return info.NumPending == 0 && info.NumAckPending == 0
	})
	info := consumerInfo(t, e.js, catalog.StreamFulfillment, "overdue-test")
	if info.Delivered.Consumer != 1 {
		t.Errorf("%d deliveries, want the one hold_overdue", info.Delivered.Consumer)
	}
	if ev := got.get()[0]; ev.Name != catalog.HoldOverdue || ev.EntityID != a.ID || ev.EntityVersion != 2 ||
		ev.Subject != "fulfillment.shopline.hold_overdue.1610418123456.4005740193290131085320" {
		t.Errorf("got %+v", ev)
	}
}

// A retryable failure is redelivered after the backoff; a permanent one,
// or one still failing on the last delivery, ends in the DLQ on
// dlq.<durable>.<subject>, acked for good.
func TestRunRetriesAndDeadLetters(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)
	for _, id := range []string{"flaky", "broken", "down"} {
		e.putOrder(t, nil, order(catalog.ShipStation, id, id, t0))
	}
	var attempts received[string]
	run(t, e.js, subscribe.Config{
		Durable:        "retry-test",
		FilterSubjects: []string{"orders.>"},
		Consumer:       runner.Config{MaxDeliver: 3, BackOff: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}},
	}, func(_ context.Context, ev subscribe.Event) error {
		attempts.add(ev.EntityID + "#" + itoa(ev.Attempt))
		switch ev.EntityID {
		case "shipstation:flaky":
			if ev.Attempt == 1 {
				return errors.New("downstream timeout")
			}
		case "shipstation:broken":
			return runner.Permanent(errors.New("cannot map this order"))
		case "shipstation:down":
			return runner.Retryable(errors.New("downstream down"))
		}
		return nil
	})
	entries := waitDLQ(t, e.js, "retry-test", 2)
	byEntity := map[string]dlq.Entry{}
	for _, en := range entries {
		byEntity[en.Header.Get("ce-subject")] = en
	}
	if en := byEntity["shipstation:broken"]; en.Attempts != 1 || !has(en.Error, "cannot map this order") ||
		en.Subject != dlq.Subject("retry-test", "orders.shipstation.upserted.broken") {
		t.Errorf("broken: %+v", en)
	}
	if en := byEntity["shipstation:down"]; en.Attempts != 3 || !has(en.Error, "downstream down") {
		t.Errorf("down: %+v", en)
	}
	natstest.Eventually(t, "flaky's second attempt", func() bool { return slices.Contains(attempts.get(), "shipstation:flaky#2") })
	natstest.Eventually(t, "nothing left unacked", func() bool {
		info := consumerInfo(t, e.js, catalog.StreamOrders, "retry-test")
		return info.NumPending == 0 && info.NumAckPending == 0
	})
	got := attempts.get()
	slices.Sort(got)
	want := []string{"shipstation:broken#1", "shipstation:down#1", "shipstation:down#2", "shipstation:down#3", "shipstation:flaky#1", "shipstation:flaky#2"}
	if !slices.Equal(got, want) {
		t.Errorf("attempts %v, want %v", got, want)
	}
}

// A message on a canonical subject that is not a canonical event (no
// entity version) goes to the DLQ without reaching the handler.
func TestRunDeadLettersWhatIsNotCanonical(t *testing.T) {
	e := newEnv(t)
	m := nats.NewMsg("orders.shipstation.upserted.stray")
	for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "stray", "ce-source": "/elsewhere", "ce-type": "dev.hookstream.order.upserted", "ce-subject": "shipstation:stray"} {
		m.Header.Set(k, v)
	}
	m.Data = []byte(`{}`)
	if _, err := e.js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var called received[string]
	run(t, e.js, subscribe.Config{Durable: "stray-test", FilterSubjects: []string{"orders.>"}}, func(_ context.Context, ev subscribe.Event) error {
		called.add(ev.ID)
		return nil
	})
	entries := waitDLQ(t, e.js, "stray-test", 1)
	if !has(entries[0].Error, "not a canonical event") || !has(entries[0].Error, "entityversion") {
		t.Errorf("DLQ error %q", entries[0].Error)
	}
	if c := called.get(); len(c) != 0 {
		t.Errorf("handler called with %v", c)
	}
}

func waitDLQ(t *testing.T, js jetstream.JetStream, durable string, n int) []dlq.Entry {
	t.Helper()
	var entries []dlq.Entry
	natstest.Eventually(t, "DLQ entries", func() bool {
		var err error
		entries, err = dlq.List(context.Background(), js, durable)
		return err == nil && len(entries) >= n
	})
	if len(entries) != n {
		t.Fatalf("%d DLQ entries, want %d", len(entries), n)
	}
	return entries
}

// A configuration that cannot work is refused before anything is created.
func TestRunRefusesBadConfig(t *testing.T) {
	e := newEnv(t)
	h := func(context.Context, subscribe.Event) error { return nil }
	for _, tc := range []struct {
		name string
		cfg  subscribe.Config
		want string
	}{
		{"no filter", subscribe.Config{Durable: "x"}, "FilterSubjects is required"},
		{"no entity key", subscribe.Config{Durable: "x", FilterSubjects: []string{"orders.shipstation.upserted"}}, `add ".>"`},
		{"two streams", subscribe.Config{Durable: "x", FilterSubjects: []string{"orders.>", "shipments.>"}}, "one consumer per stream"},
		{"wildcard root", subscribe.Config{Durable: "x", FilterSubjects: []string{"*.*.upserted.>"}}, "set Stream"},
		{"no durable", subscribe.Config{FilterSubjects: []string{"orders.>"}}, "Durable is required"},
		{"dotted durable", subscribe.Config{Durable: "a.b", FilterSubjects: []string{"orders.>"}}, "invalid Durable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := subscribe.Run(context.Background(), e.js, tc.cfg, h)
			if err == nil || !has(err.Error(), tc.want) {
				t.Errorf("Run: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// A subscriber started before hookstream has created its streams waits for
// them, then receives the events.
func TestRunWaitsForTheStream(t *testing.T) {
	srv := natstest.Run(t)
	var got received[string]
	run(t, srv.JetStream(), subscribe.Config{Durable: "early-test", FilterSubjects: []string{"orders.>"}}, func(_ context.Context, ev subscribe.Event) error {
		got.add(ev.ID)
		return nil
	})
	e := provision(t, srv)
	e.putOrder(t, nil, order(catalog.ShipStation, "7", "N-7", time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)))
	natstest.Eventually(t, "the order", func() bool { return slices.Equal(got.get(), []string{"shipstation:7@1"}) })
}
