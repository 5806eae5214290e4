package runner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/streams"
)

// fullDLQ creates the DLQ stream holding one message with room for no
// other (Discard: new refuses every copy), and returns a function that
// lifts the limit.
func fullDLQ(t *testing.T, js jetstream.JetStream) (free func()) {
	t.Helper()
	ctx := context.Background()
	cfg := dlq.Stream(streams.Options{})
	cfg.MaxMsgs = 1
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "dlq.someone.filler", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	return func() {
		cfg.MaxMsgs = -1
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
}

// owed lists what durable owes the DLQ.
func owed(t *testing.T, js jetstream.JetStream, durable string) []dlq.Owed {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), dlq.OwedBucket)
	if err != nil {
		return nil
	}
	o, err := dlq.OwedBy(context.Background(), kv, durable)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// lastDeliveryConfig gives up on the first failure: the first delivery is
// the last, and the server will not redeliver.
func lastDeliveryConfig(durable string) runner.Config {
	cfg := testConfig(durable)
	cfg.MaxDeliver, cfg.BackOff = 1, nil
	cfg.AckWait = 2 * time.Second
	return cfg
}

// On the last delivery, a DLQ copy that fails is never given up on: the
// message is recorded as owed, kept (InProgress, past its ack wait) and
// copied as soon as the DLQ takes it; then the record goes.
func TestLastDeliveryDLQCopyFailureIsHeldAndRetried(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	free := fullDLQ(t, js)
	reg := prometheus.NewRegistry()
	startRunner(t, js, lastDeliveryConfig("held"), func(context.Context, *runner.Message) error {
		return runner.Permanent(errors.New("cannot be processed"))
	}, reg)
	publishEvent(t, js, "webhooks.example.order_notify", "evt-held", []byte(`{}`))

	natstest.Eventually(t, "the message recorded as owed", func() bool { return len(owed(t, js, "held")) == 1 })
	if n := metricValue(t, reg, "hookstream_consumer_dlq_copy_failures_total", map[string]string{"consumer": "held"}); n < 1 {
		t.Errorf("copy failures counted: %v", n)
	}
	// Past the ack wait (2s) the message must still be held: on its last
	// delivery the server would otherwise give up on it.
	time.Sleep(3 * time.Second)
	if info := consumerInfo(t, js, "held"); info.NumAckPending != 1 {
		t.Fatalf("after the ack wait: %d messages held, want 1 (kept with InProgress)", info.NumAckPending)
	}
	free()
	natstest.Eventually(t, "the held message in the DLQ", func() bool { return len(listDLQ(t, js, "held")) == 1 })
	natstest.Eventually(t, "the owed record gone", func() bool { return len(owed(t, js, "held")) == 0 })
}

// A runner that stops while it holds a message owed to the DLQ leaves the
// record; the next start of any replica copies the message.
func TestOwedMessageIsCopiedAtTheNextStart(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	free := fullDLQ(t, js)
	fail := func(context.Context, *runner.Message) error {
		return runner.Permanent(errors.New("cannot be processed"))
	}
	first := startRunner(t, js, lastDeliveryConfig("owing"), fail, nil)
	publishEvent(t, js, "webhooks.example.order_notify", "evt-owed", []byte(`{}`))
	natstest.Eventually(t, "the message recorded as owed", func() bool { return len(owed(t, js, "owing")) == 1 })
	_ = first.stop(t)
	if got := listDLQ(t, js, "owing"); len(got) != 0 {
		t.Fatalf("DLQ entries before the restart: %d", len(got))
	}

	free()
	reg := prometheus.NewRegistry()
	startRunner(t, js, lastDeliveryConfig("owing"), fail, reg)
	natstest.Eventually(t, "the owed message in the DLQ", func() bool { return len(listDLQ(t, js, "owing")) == 1 })
	if e := listDLQ(t, js, "owing")[0]; e.OriginalSubject != "webhooks.example.order_notify" {
		t.Errorf("DLQ entry for %s", e.OriginalSubject)
	}
	natstest.Eventually(t, "the owed record gone", func() bool { return len(owed(t, js, "owing")) == 0 })
	if n := metricValue(t, reg, "hookstream_consumer_dlq_copies_total", map[string]string{"consumer": "owing", "source": runner.SourceOwed}); n != 1 {
		t.Errorf("copies of owed messages counted: %v", n)
	}
}
