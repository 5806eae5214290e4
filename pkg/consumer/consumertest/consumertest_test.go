package consumertest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/state"
)

// A webhook lands on its catalog subject in WEBHOOKS with the attributes
// asked for; the same id twice is one message.
func TestWebhook(t *testing.T) {
	t.Parallel()
	env := New(t)
	et, err := catalog.Webhook(catalog.Shopline, "fulfillment_order/update")
	if err != nil {
		t.Fatal(err)
	}
	if n := env.Published(catalog.StreamShipments, "shipments.shipstation.voided"); n != 0 {
		t.Errorf("Published on a stream that does not exist = %d", n)
	}
	if evs := env.Events(catalog.StreamShipments); evs != nil {
		t.Errorf("Events of a stream that does not exist = %v", evs)
	}

	first := env.Webhook(catalog.Shopline, "fulfillment_order/update", []byte(`{"a":1}`))
	at := time.Date(2025, 6, 3, 9, 0, 0, 0, time.UTC)
	opts := []WebhookOpt{WithID("shopline-w1"), WithSource("/shopline/shops/1"), WithSubject("fo-1"), WithTime(at), WithExtension("shopid", "1")}
	env.Webhook(catalog.Shopline, "fulfillment_order/update", []byte(`{"a":2}`), opts...)
	env.Webhook(catalog.Shopline, "fulfillment_order/update", []byte(`{"a":2}`), opts...)

	if n := env.Published(catalog.StreamWebhooks, et.Subject); n != 2 {
		t.Errorf("Published = %d, want 2 (the repeated id is one message)", n)
	}
	evs := env.Events(catalog.StreamWebhooks)
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	if e := evs[0]; e.Subject != et.Subject || e.MsgID != first.ID() || e.Event.ID() != first.ID() ||
		e.Event.Source() != "/"+catalog.Shopline || e.Event.Type() != et.Type || string(e.Event.Data()) != `{"a":1}` {
		t.Errorf("default webhook: subject %s, msg id %q, event %s", e.Subject, e.MsgID, e.Event)
	}
	if e := evs[1].Event; e.ID() != "shopline-w1" || e.Source() != "/shopline/shops/1" || e.Subject() != "fo-1" ||
		!e.Time().Equal(at) || e.Extensions()["shopid"] != "1" {
		t.Errorf("webhook with options: %s", e)
	}
	if m := env.Message(catalog.Shopline, "fulfillment_order/update", nil); m.Attempt != 1 || m.Subject != et.Subject || m.Event.ID() == first.ID() {
		t.Errorf("Message: attempt %d, subject %s, id %s", m.Attempt, m.Subject, m.Event.ID())
	}
}

// Settled waits for a consumer to ack what it was given; DLQ lists nothing
// for a consumer without dead letters.
func TestSettledAndDLQ(t *testing.T) {
	t.Parallel()
	env := New(t)
	ctx := context.Background()
	const durable = "consumertest"
	c, err := env.JS.CreateConsumer(ctx, catalog.StreamWebhooks, jetstream.ConsumerConfig{Durable: durable, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if env.Idle(catalog.StreamWebhooks, "nobody") {
		t.Error("a consumer that does not exist is idle")
	}
	env.Webhook(catalog.ShipStation, "ORDER_NOTIFY", []byte(`{}`))
	if env.Idle(catalog.StreamWebhooks, durable) {
		t.Error("idle with a message pending")
	}
	go func() {
		msgs, err := c.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			return
		}
		for m := range msgs.Messages() {
			_ = m.Ack()
		}
	}()
	env.Settled(catalog.StreamWebhooks, durable)
	if got := env.DLQ(durable); len(got) != 0 {
		t.Errorf("DLQ = %v", got)
	}
}

// Stored decodes a record, and reports a missing key.
func TestStored(t *testing.T) {
	t.Parallel()
	env := New(t)
	kv, err := state.EnsureBucket(context.Background(), env.JS, state.Bucket("consumertest", "test", state.BucketOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), "a", []byte(`{"version":0,"state":{"n":7}}`)); err != nil {
		t.Fatal(err)
	}
	type record struct{ N int }
	if got, ok := Stored[record](env, "consumertest", "a"); !ok || got.N != 7 {
		t.Errorf("Stored(a) = %+v, %v", got, ok)
	}
	if got, ok := Stored[record](env, "consumertest", "b"); ok {
		t.Errorf("Stored(b) = %+v, found", got)
	}
}

// runFunc is a Service made of a function.
type runFunc func(ctx context.Context) error

func (f runFunc) Run(ctx context.Context) error { return f(ctx) }

// errRecorder is a test that records what is reported to it, so that a
// test can check what Start reports.
type errRecorder struct {
	testing.TB
	errs []string
}

func (r *errRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// stop cancels Run, waits for it, reports its error once, and a second
// stop (or the cleanup) does nothing.
func TestStartStop(t *testing.T) {
	t.Parallel()
	rec := &errRecorder{TB: t}
	env := &Env{t: rec}
	returned := make(chan struct{})
	stop := env.Start(runFunc(func(ctx context.Context) error {
		defer close(returned)
		<-ctx.Done()
		return errors.New("drain failed")
	}))
	select {
	case <-returned:
		t.Fatal("Run returned before stop")
	case <-time.After(50 * time.Millisecond):
	}
	stop()
	select {
	case <-returned:
	default:
		t.Fatal("stop returned before Run")
	}
	stop()
	if len(rec.errs) != 1 || rec.errs[0] != "Run: drain failed" {
		t.Errorf("reported %q, want one Run error", rec.errs)
	}
}
