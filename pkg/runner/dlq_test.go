package runner_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/streams"
)

func TestRedriveRepublishesAndDeletes(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	var c calls
	startRunner(t, js, testConfig("svc"), func(_ context.Context, m *runner.Message) error {
		if c.add(m) == 1 {
			return runner.Permanent(errors.New("order not found yet"))
		}
		return nil
	}, nil)
	data := []byte(`{"order":7}`)
	seq := publishEvent(t, js, "webhooks.example.order_notify", "evt-redrive", data)
	var entries []dlq.Entry
	natstest.Eventually(t, "DLQ entry", func() bool {
		entries = listDLQ(t, js, "svc")
		return len(entries) == 1
	})
	natstest.Eventually(t, "original terminated", func() bool { return settled(t, js, "svc", seq) })

	if err := dlq.Redrive(context.Background(), js, entries[0].Seq); err != nil {
		t.Fatalf("Redrive: %v", err)
	}
	if got := listDLQ(t, js, "svc"); len(got) != 0 {
		t.Errorf("DLQ still has %d entries after redrive", len(got))
	}
	if _, err := dlq.Get(context.Background(), js, entries[0].Seq); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("GetDLQ after redrive = %v, want ErrMsgNotFound", err)
	}

	// The republished message: same subject, data and ce-id, a new
	// Nats-Msg-Id, no DLQ headers.
	stream, err := js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	again, err := stream.GetMsg(context.Background(), seq+1)
	if err != nil {
		t.Fatalf("redriven message: %v", err)
	}
	if again.Subject != "webhooks.example.order_notify" || !bytes.Equal(again.Data, data) || again.Header.Get("ce-id") != "evt-redrive" {
		t.Errorf("redriven message = %s %q ce-id %q", again.Subject, again.Data, again.Header.Get("ce-id"))
	}
	if id := again.Header.Get(nats.MsgIdHdr); !strings.HasPrefix(id, "redrive-") {
		t.Errorf("redriven Nats-Msg-Id = %q, want a fresh redrive-… id", id)
	}
	for k := range again.Header {
		if strings.HasPrefix(k, "Hookstream-Dlq-") {
			t.Errorf("redriven message kept %s", k)
		}
	}

	natstest.Eventually(t, "redriven message handled", func() bool { return settled(t, js, "svc", seq+1) })
	if got := c.n(); got != 2 {
		t.Errorf("handler called %d times, want 2", got)
	}
	if got := listDLQ(t, js, ""); len(got) != 0 {
		t.Errorf("DLQ has %d entries after the successful second run", len(got))
	}
}

func TestListDLQFiltersByConsumer(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	fail := func(context.Context, *runner.Message) error { return runner.Permanent(errors.New("no")) }
	cfgA := testConfig("order-enricher")
	cfgA.FilterSubjects = []string{"webhooks.shipstation.>"}
	startRunner(t, js, cfgA, fail, nil)
	cfgB := testConfig("order-enricher-v2") // shares a prefix: the filter must not match it
	startRunner(t, js, cfgB, fail, nil)

	publishEvent(t, js, "webhooks.shipstation.order_notify", "e1", []byte(`{}`))
	publishEvent(t, js, "webhooks.shipstation.ship_notify", "e2", []byte(`{}`))
	publishEvent(t, js, "webhooks.snipcart.order.completed", "e3", []byte(`{}`))
	natstest.Eventually(t, "5 DLQ entries", func() bool { return len(listDLQ(t, js, "")) == 5 })

	a := listDLQ(t, js, "order-enricher")
	if len(a) != 2 {
		t.Fatalf("ListDLQ(order-enricher) = %d entries, want 2", len(a))
	}
	for _, e := range a {
		if e.Consumer != "order-enricher" {
			t.Errorf("entry of %s listed for order-enricher", e.Consumer)
		}
	}
	if b := listDLQ(t, js, "order-enricher-v2"); len(b) != 3 {
		t.Errorf("ListDLQ(order-enricher-v2) = %d entries, want 3", len(b))
	}
	if a[0].Seq >= a[1].Seq {
		t.Errorf("entries not in stream order: %d, %d", a[0].Seq, a[1].Seq)
	}
	if _, err := dlq.List(context.Background(), js, "bad.name"); err == nil {
		t.Error("ListDLQ accepted a consumer name with a dot")
	}
}

func TestRedriveAll(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	startRunner(t, js, testConfig("svc"), func(context.Context, *runner.Message) error {
		return runner.Permanent(errors.New("no"))
	}, nil)
	for _, id := range []string{"e1", "e2", "e3"} {
		publishEvent(t, js, "webhooks.example.order_notify", id, []byte(`{}`))
	}
	natstest.Eventually(t, "3 DLQ entries", func() bool { return len(listDLQ(t, js, "svc")) == 3 })
	n, err := dlq.RedriveAll(context.Background(), js, "svc")
	if err != nil || n != 3 {
		t.Fatalf("RedriveAll = %d, %v; want 3, nil", n, err)
	}
	// The handler still fails: each redriven message comes back once,
	// with a new stream sequence (so a new DLQ id).
	natstest.Eventually(t, "3 new DLQ entries", func() bool { return len(listDLQ(t, js, "svc")) == 3 })
	for _, e := range listDLQ(t, js, "svc") {
		if e.OriginalSeq <= 3 {
			t.Errorf("entry for original seq %d, want a redriven one (> 3)", e.OriginalSeq)
		}
	}
}

func TestListDLQWithoutStream(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	entries, err := dlq.List(context.Background(), js, "")
	if err != nil || len(entries) != 0 {
		t.Errorf("ListDLQ without a DLQ stream = %v, %v; want empty, nil", entries, err)
	}
}

func TestRedriveRefusesForeignMessage(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	if err := streams.Ensure(context.Background(), js, dlq.Stream(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(context.Background(), "dlq.someone.webhooks.x", []byte("hand-made"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dlq.Redrive(context.Background(), js, ack.Sequence); !errors.Is(err, dlq.ErrNotEntry) {
		t.Errorf("Redrive of a hand-made message = %v, want ErrNotDLQEntry", err)
	}
}

// A service may write its own DLQ subjects, and a redrive publishes with
// the operator's rights: an entry whose headers send it anywhere but a
// subject its consumer reads, stored where it says, is refused and nothing
// is published.
func TestRedriveRefusesForgedEntry(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	ctx := context.Background()
	startRunner(t, js, testConfig("svc"), func(context.Context, *runner.Message) error { return nil }, nil)
	waitConsumer(t, js, "svc")
	if err := streams.Ensure(ctx, js, dlq.Stream(streams.Options{}), streams.Orders(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	forge := func(storedOn, original string, stream ...string) uint64 {
		t.Helper()
		msg := nats.NewMsg(storedOn)
		msg.Header.Set(dlq.HeaderSubject, original)
		msg.Header.Set(dlq.HeaderStream, append(stream, "WEBHOOKS")[0])
		msg.Header.Set(dlq.HeaderConsumer, "svc")
		msg.Data = []byte(`{"forged":true}`)
		ack, err := js.PublishMsg(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		return ack.Sequence
	}
	for name, seq := range map[string]uint64{
		"original subject not where it is stored": forge("dlq.svc.webhooks.example.order_notify", "orders.snipcart.forged"),
		"a subject its consumer does not read":    forge("dlq.svc.orders.snipcart.forged", "orders.snipcart.forged"),
		"another consumer's prefix":               forge("dlq.other.orders.snipcart.forged", "orders.snipcart.forged"),
		"a stream its consumer does not read":     forge("dlq.svc.orders.snipcart.forged", "orders.snipcart.forged", "ORDERS"),
	} {
		if err := dlq.Redrive(ctx, js, seq); !errors.Is(err, dlq.ErrForgedEntry) {
			t.Errorf("%s: Redrive = %v, want ErrForgedEntry", name, err)
		}
	}
	orders, err := js.Stream(ctx, "ORDERS")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := orders.Info(ctx); err != nil || info.State.Msgs != 0 {
		t.Errorf("ORDERS after forged redrives: %+v, %v", info.State, err)
	}
}

// A subscriber's dead letter of a canonical event is not published again
// onto the shared stream, where every subscriber would get it a second
// time: Redrive refuses it and keeps the entry.
func TestRedriveRefusesCanonicalEvents(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	ctx := context.Background()
	if err := streams.Ensure(ctx, js, streams.Orders(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("subscriber-app")
	cfg.Stream, cfg.FilterSubjects = "ORDERS", []string{"orders.>"}
	startRunner(t, js, cfg, func(context.Context, *runner.Message) error {
		return runner.Permanent(errors.New("this subscriber cannot use it"))
	}, nil)
	m, err := ce.ToMsg("orders.shipstation.upserted.123456789", testEvent("shipstation:123456789@1", []byte(`{}`)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	var entries []dlq.Entry
	natstest.Eventually(t, "the dead letter", func() bool { entries = listDLQ(t, js, "subscriber-app"); return len(entries) == 1 })
	if err := dlq.Redrive(ctx, js, entries[0].Seq); !errors.Is(err, dlq.ErrCanonicalEntry) {
		t.Fatalf("Redrive = %v, want ErrCanonicalEntry", err)
	}
	if got := listDLQ(t, js, "subscriber-app"); len(got) != 1 {
		t.Errorf("the entry is gone after a refused redrive: %d entries", len(got))
	}
	orders, _ := js.Stream(ctx, "ORDERS")
	if info, err := orders.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Errorf("ORDERS after the refused redrive: %+v, %v", info.State, err)
	}
}
