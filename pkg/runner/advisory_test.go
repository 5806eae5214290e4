package runner_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
)

// TestAdvisoryCopiesMessageOfDeadProcess simulates a replica that dies
// during every delivery of a message, the last one included: the test
// pulls the message from the durable itself and never settles it, as a
// crashed process would. No runner runs meanwhile, or it would take the
// message. (Keeping a live runner busy with another message instead
// depends on its InProgress heartbeats beating the short ack wait, which a
// loaded machine does not guarantee: the busy message was redelivered to
// the test's pull.) When a runner pulls again the server gives up on the
// message and publishes the max-deliveries advisory; the runner's
// listener must copy the message to the DLQ, although its handler never
// saw it.
func TestAdvisoryCopiesMessageOfDeadProcess(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	cfg := testConfig("svc")
	cfg.AckWait = 200 * time.Millisecond
	var c calls
	handler := func(ctx context.Context, m *runner.Message) error {
		c.add(m)
		return nil
	}
	// The first runner creates the durable and stops.
	if err := startRunner(t, js, cfg, handler, prometheus.NewRegistry()).stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}

	seq := publishEvent(t, js, "webhooks.example.ship_notify", "evt-dies", []byte(`{"dies":true}`))
	cons, err := js.Consumer(context.Background(), "WEBHOOKS", "svc")
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= cfg.MaxDeliver; attempt++ {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(waitFor))
		if err != nil {
			t.Fatal(err)
		}
		msg := <-batch.Messages()
		if msg == nil {
			t.Fatalf("delivery %d: no message (%v)", attempt, batch.Error())
		}
		meta, err := msg.Metadata()
		if err != nil || meta.Sequence.Stream != seq || meta.NumDelivered != uint64(attempt) {
			t.Fatalf("delivery %d: got %+v, %v", attempt, meta, err)
		}
		// ...and the process dies: no ack, no nak.
	}
	reg := prometheus.NewRegistry()
	startRunner(t, js, cfg, handler, reg)

	var entries []dlq.Entry
	natstest.Eventually(t, "DLQ entry from the advisory", func() bool {
		entries = listDLQ(t, js, "svc")
		return len(entries) == 1
	})
	e := entries[0]
	if e.Error != runner.AdvisoryError || e.OriginalSeq != seq || e.Attempts != cfg.MaxDeliver ||
		e.OriginalSubject != "webhooks.example.ship_notify" || string(e.Data) != `{"dies":true}` || e.Header.Get("ce-id") != "evt-dies" {
		t.Errorf("entry = %+v", e)
	}
	natstest.Eventually(t, "advisory copy counted", func() bool {
		return metricValue(t, reg, "hookstream_consumer_dlq_copies_total",
			map[string]string{"consumer": "svc", "source": runner.SourceAdvisory}) == 1
	})
	if c.n() != 0 {
		t.Errorf("handler called %d times, want 0", c.n())
	}
}

// TestAdvisoryCopyIsDeduplicated: when the runner already copied a message
// on its last delivery, the advisory copy of the same message is a no-op.
func TestAdvisoryCopyIsDeduplicated(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	reg := prometheus.NewRegistry()
	cfg := testConfig("svc")
	cfg.MaxDeliver = 1
	cfg.BackOff = nil
	core, logs := observer.New(zap.DebugLevel)
	r, err := runner.New(js, cfg, func(context.Context, *runner.Message) error { return errBoom }, zap.New(core), reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	seq := publishEvent(t, js, "webhooks.example.order_notify", "evt-1", []byte(`{}`))
	natstest.Eventually(t, "DLQ entry", func() bool { return len(listDLQ(t, js, "svc")) == 1 && settled(t, js, "svc", seq) })

	// Replay the advisory the server would send had the Term been lost.
	adv := `{"type":"io.nats.jetstream.advisory.v1.max_deliver","stream":"WEBHOOKS","consumer":"svc","stream_seq":` +
		strconv.FormatUint(seq, 10) + `,"deliveries":1}`
	if err := js.Conn().Publish("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.WEBHOOKS.svc", []byte(adv)); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, "advisory handled", func() bool {
		return logs.FilterMessage("max-deliveries advisory: message already in the DLQ").Len() == 1
	})
	entries := listDLQ(t, js, "svc")
	if len(entries) != 1 || entries[0].Error == runner.AdvisoryError {
		t.Errorf("entries = %+v; want the runner's copy only", entries)
	}
	if got := metricValue(t, reg, "hookstream_consumer_dlq_copies_total",
		map[string]string{"consumer": "svc", "source": runner.SourceAdvisory}); got != 0 {
		t.Errorf("advisory copies = %v, want 0 (duplicate)", got)
	}
}
