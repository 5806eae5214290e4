package runner_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/streams"
)

// waitFor is how long a test waits for something that should happen.
const waitFor = 15 * time.Second

// startJetStream starts an embedded server with the WEBHOOKS stream.
func startJetStream(t *testing.T) (*natstest.Server, jetstream.JetStream) {
	t.Helper()
	s := natstest.Run(t)
	js := s.JetStream()
	if err := streams.Ensure(context.Background(), js, streams.Webhooks(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	return s, js
}

// testConfig is a consumer on all of WEBHOOKS with fast retries.
func testConfig(durable string) runner.Config {
	return runner.Config{
		Stream:         "WEBHOOKS",
		Durable:        durable,
		FilterSubjects: []string{"webhooks.>"},
		MaxDeliver:     3,
		BackOff:        []time.Duration{50 * time.Millisecond, 50 * time.Millisecond},
		Concurrency:    4,
		DrainTimeout:   10 * time.Second,
	}
}

// running is a Runner started in the background.
type running struct {
	*runner.Runner
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// startRunner runs a Runner until stop (or the end of the test).
func startRunner(t *testing.T, js jetstream.JetStream, cfg runner.Config, h runner.Handler, reg prometheus.Registerer) *running {
	t.Helper()
	r, err := runner.New(js, cfg, h, zaptest.NewLogger(t), reg)
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rr := &running{Runner: r, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rr.done)
		rr.err = r.Run(ctx)
	}()
	t.Cleanup(func() { rr.stop(t) })
	natstest.Eventually(t, "consumer "+cfg.Durable, func() bool {
		_, err := js.Consumer(context.Background(), cfg.Stream, cfg.Durable)
		return err == nil
	})
	return rr
}

// stop cancels Run and returns its result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(waitFor):
		t.Fatalf("Run did not return after cancel")
		return nil
	}
}

func waitConsumer(t *testing.T, js jetstream.JetStream, durable string) {
	t.Helper()
	natstest.Eventually(t, "consumer "+durable, func() bool {
		_, err := js.Consumer(context.Background(), "WEBHOOKS", durable)
		return err == nil
	})
}

func consumerInfo(t *testing.T, js jetstream.JetStream, durable string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := js.Consumer(context.Background(), "WEBHOOKS", durable)
	if err != nil {
		t.Fatalf("consumer %s: %v", durable, err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return info
}

// settled reports whether every message up to seq was delivered and
// acked or terminated.
func settled(t *testing.T, js jetstream.JetStream, durable string, seq uint64) bool {
	info := consumerInfo(t, js, durable)
	return info.NumPending == 0 && info.NumAckPending == 0 && info.AckFloor.Stream >= seq
}

// testEvent is a CloudEvent like the gateway's.
func testEvent(id string, data []byte) *event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/test/stores/1")
	e.SetType("com.example.webhook.order_notify")
	e.SetSubject("order-42")
	e.SetExtension("provider", "example")
	e.SetTime(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	_ = e.SetData("application/json", data)
	return &e
}

// publishEvent publishes a binary-mode CloudEvent the way the gateway
// does (with Nats-Msg-Id and an expected stream), plus a foreign header,
// and returns its stream sequence.
func publishEvent(t *testing.T, js jetstream.JetStream, subject, id string, data []byte) uint64 {
	t.Helper()
	m, err := ce.ToMsg(subject, testEvent(id, data))
	if err != nil {
		t.Fatal(err)
	}
	m.Header.Set("X-Request-Id", "req-"+id)
	ack, err := js.PublishMsg(context.Background(), m, jetstream.WithExpectStream("WEBHOOKS"))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return ack.Sequence
}

// publishRaw publishes a message that is not a CloudEvent.
func publishRaw(t *testing.T, js jetstream.JetStream, subject string, data []byte) uint64 {
	t.Helper()
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set("X-Request-Id", "raw")
	ack, err := js.PublishMsg(context.Background(), m)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return ack.Sequence
}

func listDLQ(t *testing.T, js jetstream.JetStream, consumer string) []dlq.Entry {
	t.Helper()
	entries, err := dlq.List(context.Background(), js, consumer)
	if err != nil {
		t.Fatalf("ListDLQ: %v", err)
	}
	return entries
}

// calls records handler calls.
type calls struct {
	mu    sync.Mutex
	byID  map[string]int
	all   []runner.Message
	total int
}

func (c *calls) add(m *runner.Message) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]int{}
	}
	c.total++
	c.byID[m.Event.ID()]++
	c.all = append(c.all, *m)
	return c.byID[m.Event.ID()]
}

func (c *calls) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

func (c *calls) attempts() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var a []uint64
	for _, m := range c.all {
		a = append(a, m.Attempt)
	}
	return a
}

// metricValue reads one counter or gauge from reg; 0 when absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

var errBoom = errors.New("provider answered 503")
