package runner_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/streams"
)

func TestRunnerOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		notAnEvent   bool
		cfg          func(*runner.Config)
		handle       func(call int) error
		wantAttempts []uint64
		wantDLQ      int
		wantOutcomes map[string]float64
	}{
		{
			name:         "success is acked once",
			handle:       func(int) error { return nil },
			wantAttempts: []uint64{1},
			wantOutcomes: map[string]float64{runner.OutcomeAck: 1},
		},
		{
			name: "retryable then success",
			handle: func(call int) error {
				if call == 1 {
					return runner.Retryable(errBoom)
				}
				return nil
			},
			wantAttempts: []uint64{1, 2},
			wantOutcomes: map[string]float64{runner.OutcomeRetry: 1, runner.OutcomeAck: 1},
		},
		{
			name: "unclassified error is retried",
			handle: func(call int) error {
				if call == 1 {
					return fmt.Errorf("fetch order: %w", errBoom)
				}
				return nil
			},
			wantAttempts: []uint64{1, 2},
			wantOutcomes: map[string]float64{runner.OutcomeRetry: 1, runner.OutcomeAck: 1},
		},
		{
			name: "panic is recovered and retried",
			handle: func(call int) error {
				if call == 1 {
					panic("nil map")
				}
				return nil
			},
			wantAttempts: []uint64{1, 2},
			wantOutcomes: map[string]float64{runner.OutcomeRetry: 1, runner.OutcomeAck: 1},
		},
		{
			// The backoff is an hour: a redelivery within the test's
			// deadline can only come from the RetryAfter delay.
			name: "RetryAfter delay is used instead of the backoff",
			cfg: func(c *runner.Config) {
				c.BackOff = []time.Duration{time.Hour, time.Hour}
			},
			handle: func(call int) error {
				if call == 1 {
					return runner.RetryAfter(errors.New("429 rate limited"), 50*time.Millisecond)
				}
				return nil
			},
			wantAttempts: []uint64{1, 2},
			wantOutcomes: map[string]float64{runner.OutcomeRetry: 1, runner.OutcomeAck: 1},
		},
		{
			name:         "permanent error goes to the DLQ at once",
			handle:       func(int) error { return runner.Permanent(errors.New("unknown order")) },
			wantAttempts: []uint64{1},
			wantDLQ:      1,
			wantOutcomes: map[string]float64{runner.OutcomeDLQ: 1},
		},
		{
			name:         "retryable forever: MaxDeliver attempts then the DLQ",
			handle:       func(int) error { return runner.Retryable(errBoom) },
			wantAttempts: []uint64{1, 2, 3},
			wantDLQ:      1,
			wantOutcomes: map[string]float64{runner.OutcomeRetry: 2, runner.OutcomeTerm: 1},
		},
		{
			name:         "undecodable message goes to the DLQ without the handler",
			notAnEvent:   true,
			handle:       func(int) error { return nil },
			wantDLQ:      1,
			wantOutcomes: map[string]float64{runner.OutcomeDLQ: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, js := startJetStream(t)
			reg := prometheus.NewRegistry()
			cfg := testConfig("svc")
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			var c calls
			startRunner(t, js, cfg, func(_ context.Context, m *runner.Message) error {
				return tc.handle(c.add(m))
			}, reg)

			var seq uint64
			if tc.notAnEvent {
				seq = publishRaw(t, js, "webhooks.example.order_notify", []byte(`{"not":"an event"}`))
			} else {
				seq = publishEvent(t, js, "webhooks.example.order_notify", "evt-1", []byte(`{"id":1}`))
			}

			natstest.Eventually(t, "message settled", func() bool {
				return settled(t, js, "svc", seq) && len(listDLQ(t, js, "")) == tc.wantDLQ
			})
			for outcome, want := range tc.wantOutcomes {
				natstest.Eventually(t, "outcome "+outcome, func() bool {
					return metricValue(t, reg, "hookstream_consumer_messages_total",
						map[string]string{"consumer": "svc", "outcome": outcome}) == want
				})
			}
			if got := c.attempts(); !equalUints(got, tc.wantAttempts) {
				t.Errorf("handler saw attempts %v, want %v", got, tc.wantAttempts)
			}
			info := consumerInfo(t, js, "svc")
			if info.NumAckPending != 0 || info.NumPending != 0 {
				t.Errorf("consumer has %d ack pending, %d pending; want none", info.NumAckPending, info.NumPending)
			}
			if tc.wantDLQ > 0 {
				if got := metricValue(t, reg, "hookstream_consumer_dlq_copies_total",
					map[string]string{"consumer": "svc", "source": runner.SourceRunner}); got != 1 {
					t.Errorf("dlq copies (runner) = %v, want 1", got)
				}
			}
		})
	}
}

func equalUints(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunnerPermanentErrorCopiesEverythingToDLQ(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	var c calls
	startRunner(t, js, testConfig("order-enricher"), func(_ context.Context, m *runner.Message) error {
		c.add(m)
		return runner.Permanent(fmt.Errorf("order %s: %w", m.Event.Subject(), errors.New("unknown order\nsecond line")))
	}, nil)

	data := []byte("{\"id\": 1,\n \"note\": \"caf\xc3\xa9 \xff raw bytes\"}")
	seq := publishEvent(t, js, "webhooks.example.order_notify", "evt-perm", data)
	stream, err := js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := stream.GetMsg(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}

	var entries []dlq.Entry
	natstest.Eventually(t, "DLQ entry", func() bool {
		entries = listDLQ(t, js, "order-enricher")
		return len(entries) == 1
	})
	natstest.Eventually(t, "original terminated", func() bool { return settled(t, js, "order-enricher", seq) })
	if c.n() != 1 {
		t.Errorf("handler called %d times, want 1", c.n())
	}
	info := consumerInfo(t, js, "order-enricher")
	if info.NumRedelivered != 0 {
		t.Errorf("NumRedelivered = %d, want 0", info.NumRedelivered)
	}

	e := entries[0]
	if !bytes.Equal(e.Data, data) {
		t.Errorf("DLQ data = %q, want %q byte for byte", e.Data, data)
	}
	if want := "dlq.order-enricher.webhooks.example.order_notify"; e.Subject != want {
		t.Errorf("DLQ subject = %q, want %q", e.Subject, want)
	}
	// Every original header except the publish controls.
	for k, vs := range orig.Header {
		if k == nats.MsgIdHdr || k == jetstream.ExpectedStreamHeader {
			continue
		}
		if got := e.Header.Values(k); strings.Join(got, ",") != strings.Join(vs, ",") {
			t.Errorf("header %s = %q, want %q", k, got, vs)
		}
	}
	for _, k := range []string{"ce-id", "ce-source", "ce-type", "ce-specversion", "ce-subject", "ce-time", "ce-provider", "ce-datacontenttype", "X-Request-Id"} {
		if e.Header.Get(k) == "" {
			t.Errorf("header %s missing from the DLQ entry", k)
		}
	}
	if got := e.Header.Get(jetstream.ExpectedStreamHeader); got == "WEBHOOKS" {
		t.Errorf("DLQ entry kept the original's %s: %q (the DLQ publish would fail)", jetstream.ExpectedStreamHeader, got)
	}
	if got, want := e.Header.Get(nats.MsgIdHdr), "dlq-order-enricher-WEBHOOKS-"+strconv.FormatUint(seq, 10); got != want {
		t.Errorf("Nats-Msg-Id = %q, want %q", got, want)
	}
	wantHeaders := map[string]string{
		dlq.HeaderSubject:  "webhooks.example.order_notify",
		dlq.HeaderStream:   "WEBHOOKS",
		dlq.HeaderSequence: strconv.FormatUint(seq, 10),
		dlq.HeaderConsumer: "order-enricher",
		dlq.HeaderAttempts: "1",
		dlq.HeaderError:    "permanent: order order-42: unknown order second line",
	}
	for k, want := range wantHeaders {
		if got := e.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{dlq.HeaderFirstFailure, dlq.HeaderLastFailure} {
		if _, err := time.Parse(time.RFC3339, e.Header.Get(k)); err != nil {
			t.Errorf("%s = %q is not RFC 3339: %v", k, e.Header.Get(k), err)
		}
	}
	if !e.FirstFailure.Equal(orig.Time.Truncate(time.Second)) {
		t.Errorf("FirstFailure = %v, want the publish time %v", e.FirstFailure, orig.Time)
	}
	if e.OriginalSubject != "webhooks.example.order_notify" || e.OriginalStream != "WEBHOOKS" || e.OriginalSeq != seq ||
		e.Consumer != "order-enricher" || e.Attempts != 1 || e.LastFailure.Before(e.FirstFailure) {
		t.Errorf("entry fields = %+v", e)
	}
	got, err := dlq.Get(context.Background(), js, e.Seq)
	if err != nil || !bytes.Equal(got.Data, data) || got.OriginalSeq != seq {
		t.Errorf("GetDLQ(%d) = %+v, %v", e.Seq, got, err)
	}
}

func TestRunnerDLQErrorIsTruncated(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	long := strings.Repeat("é", 2000) // 4000 bytes
	startRunner(t, js, testConfig("svc"), func(context.Context, *runner.Message) error {
		return runner.Permanent(errors.New(long))
	}, nil)
	publishEvent(t, js, "webhooks.example.order_notify", "evt-long", []byte(`{}`))
	var entries []dlq.Entry
	natstest.Eventually(t, "DLQ entry", func() bool {
		entries = listDLQ(t, js, "svc")
		return len(entries) == 1
	})
	got := entries[0].Error
	if len(got) > dlq.MaxErrorLen || len(got) < dlq.MaxErrorLen-4 || !strings.HasPrefix(got, "permanent: éé") {
		t.Errorf("Hookstream-Dlq-Error has %d bytes (%q…), want at most %d", len(got), got[:20], dlq.MaxErrorLen)
	}
	if !strings.HasSuffix(got, "é") {
		t.Errorf("error cut inside a character: %q", got[len(got)-4:])
	}
}

func TestRunnerDLQUnavailableLosesNothing(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	cfg := testConfig("svc")
	cfg.MaxDeliver = 1000
	cfg.BackOff = []time.Duration{20 * time.Millisecond}
	var c calls
	startRunner(t, js, cfg, func(_ context.Context, m *runner.Message) error {
		c.add(m)
		return runner.Permanent(errors.New("malformed"))
	}, nil)
	// The runner created the DLQ at start-up; now it goes away.
	if err := js.DeleteStream(context.Background(), dlq.StreamName); err != nil {
		t.Fatal(err)
	}

	seq := publishEvent(t, js, "webhooks.example.order_notify", "evt-1", []byte(`{}`))
	natstest.Eventually(t, "redeliveries while the DLQ is missing", func() bool { return c.n() >= 3 })
	info := consumerInfo(t, js, "svc")
	if info.NumAckPending != 1 || info.AckFloor.Stream >= seq {
		t.Fatalf("message was settled without a DLQ copy: ack pending %d, ack floor %d", info.NumAckPending, info.AckFloor.Stream)
	}

	if err := streams.Ensure(context.Background(), js, dlq.Stream(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, "DLQ entry once the DLQ is back", func() bool {
		return len(listDLQ(t, js, "svc")) == 1 && settled(t, js, "svc", seq)
	})
	if e := listDLQ(t, js, "svc")[0]; e.OriginalSeq != seq || e.Attempts < 3 {
		t.Errorf("entry = %+v", e)
	}
}

func TestRunnerBoundsConcurrency(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	cfg := testConfig("svc")
	cfg.Concurrency = 3
	var cur, peak atomic.Int64
	release := make(chan struct{})
	var c calls
	startRunner(t, js, cfg, func(ctx context.Context, m *runner.Message) error {
		n := cur.Add(1)
		defer cur.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		c.add(m)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, nil)
	const total = 20
	var last uint64
	for i := range total {
		last = publishEvent(t, js, "webhooks.example.order_notify", fmt.Sprintf("evt-%d", i), []byte(`{}`))
	}
	natstest.Eventually(t, "3 handlers running", func() bool { return cur.Load() == 3 })
	// With every slot busy the runner must not have pulled more. The
	// server counts pending messages as its consumer learns of them, which
	// under load lags behind the publishes: wait for the count to reach
	// the rest (it would not, had the runner pulled more).
	var info *jetstream.ConsumerInfo
	natstest.Eventually(t, fmt.Sprintf("%d messages pending", total-3), func() bool {
		info = consumerInfo(t, js, "svc")
		return info.NumPending == total-3
	})
	if info.NumAckPending != 3 || info.Delivered.Consumer != 3 {
		t.Errorf("with 3 slots busy: ack pending %d, delivered %d; want 3 and 3", info.NumAckPending, info.Delivered.Consumer)
	}
	close(release)
	natstest.Eventually(t, "all handled", func() bool { return settled(t, js, "svc", last) })
	if c.n() != total {
		t.Errorf("handler called %d times, want %d", c.n(), total)
	}
	if p := peak.Load(); p > 3 {
		t.Errorf("peak concurrency %d, want at most 3", p)
	}
}

func TestRunnerDrainWaitsForRunningHandler(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	r := startRunner(t, js, testConfig("svc"), func(ctx context.Context, m *runner.Message) error {
		close(started)
		<-release
		finished.Store(true)
		return ctx.Err() // nil: the drain did not cancel the handler
	}, nil)
	seq := publishEvent(t, js, "webhooks.example.order_notify", "evt-1", []byte(`{}`))
	<-started

	r.cancel()
	select {
	case <-r.done:
		t.Fatal("Run returned while a handler was running")
	default:
	}
	close(release)
	if err := r.stop(t); err != nil {
		t.Fatalf("Run = %v, want nil after a clean drain", err)
	}
	if !finished.Load() {
		t.Fatal("Run returned before the handler finished")
	}
	if !settled(t, js, "svc", seq) {
		t.Errorf("message not acked after drain: %+v", consumerInfo(t, js, "svc"))
	}
}

func TestRunnerDrainTimeoutCancelsAndNaks(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	cfg := testConfig("svc")
	cfg.DrainTimeout = 50 * time.Millisecond
	started := make(chan struct{})
	r := startRunner(t, js, cfg, func(ctx context.Context, m *runner.Message) error {
		close(started)
		<-ctx.Done() // a slow call that honours cancellation
		return ctx.Err()
	}, nil)
	seq := publishEvent(t, js, "webhooks.example.order_notify", "evt-1", []byte(`{}`))
	<-started
	if err := r.stop(t); !errors.Is(err, runner.ErrDrainTimeout) {
		t.Fatalf("Run = %v, want ErrDrainTimeout", err)
	}
	if len(listDLQ(t, js, "")) != 0 {
		t.Fatal("a drained message went to the DLQ")
	}

	// The nak'd message goes to the next replica.
	var c calls
	startRunner(t, js, testConfig("svc"), func(_ context.Context, m *runner.Message) error {
		c.add(m)
		return nil
	}, nil)
	natstest.Eventually(t, "redelivered to a new runner", func() bool { return settled(t, js, "svc", seq) })
	if got := c.attempts(); len(got) != 1 || got[0] != 2 {
		t.Errorf("new runner saw attempts %v, want [2]", got)
	}
}

func TestRunnersShareDurable(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	cfg := testConfig("svc")
	cfg.Concurrency = 1
	var mu sync.Mutex
	byRunner := map[string]int{}
	handled := map[string]int{}
	second := make(chan struct{})
	var once sync.Once
	var first atomic.Bool
	handler := func(name string) runner.Handler {
		return func(ctx context.Context, m *runner.Message) error {
			mu.Lock()
			byRunner[name]++
			handled[m.Event.ID()]++
			mu.Unlock()
			if first.CompareAndSwap(false, true) {
				// Hold the first message: with one slot this runner cannot
				// fetch, so the next message must go to the other runner.
				select {
				case <-second:
				case <-ctx.Done():
				}
				return nil
			}
			once.Do(func() { close(second) })
			return nil
		}
	}
	startRunner(t, js, cfg, handler("a"), nil)
	startRunner(t, js, cfg, handler("b"), nil)
	const total = 30
	var last uint64
	for i := range total {
		last = publishEvent(t, js, "webhooks.example.order_notify", fmt.Sprintf("evt-%d", i), []byte(`{}`))
	}
	natstest.Eventually(t, "all handled", func() bool { return settled(t, js, "svc", last) })
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != total {
		t.Errorf("%d distinct events handled, want %d", len(handled), total)
	}
	for id, n := range handled {
		if n != 1 {
			t.Errorf("event %s handled %d times", id, n)
		}
	}
	if byRunner["a"] == 0 || byRunner["b"] == 0 {
		t.Errorf("work not shared: %v", byRunner)
	}
}

func TestRunnerRefreshesMaxAckPendingGauge(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	reg := prometheus.NewRegistry()
	cfg := testConfig("svc")
	cfg.MaxAckPending = 77
	startRunner(t, js, cfg, func(context.Context, *runner.Message) error { return nil }, reg)
	natstest.Eventually(t, "max ack pending gauge", func() bool {
		return metricValue(t, reg, "hookstream_consumer_max_ack_pending", map[string]string{"consumer": "svc"}) == 77
	})
}

func TestRunnersShareRegistry(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	reg := prometheus.NewRegistry()
	for _, d := range []string{"a", "b", "a"} {
		if _, err := runner.New(js, testConfig(d), func(context.Context, *runner.Message) error { return nil }, nil, reg); err != nil {
			t.Fatalf("NewRunner(%s) on a shared registry: %v", d, err)
		}
	}
}

func TestNewRunnerRejectsBadConfig(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	h := func(context.Context, *runner.Message) error { return nil }
	cases := map[string]func(*runner.Config){
		"no stream":                     func(c *runner.Config) { c.Stream = "" },
		"no durable":                    func(c *runner.Config) { c.Durable = "" },
		"durable with a dot":            func(c *runner.Config) { c.Durable = "order.enricher" },
		"backoff as long as MaxDeliver": func(c *runner.Config) { c.BackOff = []time.Duration{1, 2, 3} },
		"zero backoff step":             func(c *runner.Config) { c.BackOff = []time.Duration{0} },
		"max ack pending below concurrency": func(c *runner.Config) {
			c.MaxAckPending = 2
			c.Concurrency = 4
		},
		"negative drain timeout": func(c *runner.Config) { c.DrainTimeout = -1 },
	}
	for name, mutate := range cases {
		cfg := testConfig("svc")
		mutate(&cfg)
		if _, err := runner.New(js, cfg, h, nil, nil); err == nil {
			t.Errorf("%s: NewRunner accepted %+v", name, cfg)
		}
	}
}

func TestNewRunnerDefaults(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	r, err := runner.New(js, runner.Config{Stream: "WEBHOOKS", Durable: "svc"}, func(context.Context, *runner.Message) error { return nil }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Config()
	if c.MaxDeliver != 8 || c.AckWait != 30*time.Second || c.MaxAckPending != 1000 || c.Concurrency != 16 ||
		c.HandlerTimeout != 2*time.Minute || c.DrainTimeout != 30*time.Second || len(c.BackOff) != 7 {
		t.Errorf("defaults = %+v", c)
	}
	r, err = runner.New(js, runner.Config{Stream: "WEBHOOKS", Durable: "svc", MaxDeliver: 3}, func(context.Context, *runner.Message) error { return nil }, nil, nil)
	if err != nil {
		t.Fatalf("MaxDeliver 3 with the default backoff: %v", err)
	}
	if got := r.Config().BackOff; len(got) != 2 {
		t.Errorf("default backoff for MaxDeliver 3 = %v, want 2 steps", got)
	}
}

func TestRunnerSetsServerSideConsumer(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	cfg := testConfig("svc")
	cfg.FilterSubjects = []string{"webhooks.example.>", "webhooks.other.>"}
	cfg.AckWait = 2 * time.Second
	cfg.BackOff = []time.Duration{time.Second, 5 * time.Second}
	startRunner(t, js, cfg, func(context.Context, *runner.Message) error { return nil }, nil)
	got := consumerInfo(t, js, "svc").Config
	if got.AckPolicy != jetstream.AckExplicitPolicy || got.DeliverPolicy != jetstream.DeliverAllPolicy ||
		got.MaxDeliver != 3 || got.MaxAckPending != cfg.MaxAckPending && cfg.MaxAckPending != 0 ||
		strings.Join(got.FilterSubjects, ",") != "webhooks.example.>,webhooks.other.>" {
		t.Errorf("consumer config = %+v", got)
	}
	// Steps are raised to AckWait: the server's ack wait is BackOff[0].
	if fmt.Sprint(got.BackOff) != "[2s 5s]" || got.AckWait != 2*time.Second {
		t.Errorf("server BackOff %v AckWait %v, want [2s 5s] and 2s", got.BackOff, got.AckWait)
	}
	if _, err := js.Stream(context.Background(), dlq.StreamName); err != nil {
		t.Errorf("DLQ stream not created: %v", err)
	}
}

func TestRunnerSurvivesServerRestart(t *testing.T) {
	t.Parallel()
	s, js := startJetStream(t)
	var c calls
	startRunner(t, js, testConfig("svc"), func(_ context.Context, m *runner.Message) error {
		c.add(m)
		return nil
	}, nil)
	first := publishEvent(t, js, "webhooks.example.order_notify", "before", []byte(`{}`))
	natstest.Eventually(t, "first message handled", func() bool { return settled(t, js, "svc", first) })

	s.Restart()
	var second uint64
	natstest.Eventually(t, "publish after restart", func() bool {
		m, err := ce.ToMsg("webhooks.example.order_notify", testEvent("after", []byte(`{}`)))
		if err != nil {
			t.Fatal(err)
		}
		ack, err := js.PublishMsg(context.Background(), m)
		if err != nil {
			return false
		}
		second = ack.Sequence
		return true
	})
	natstest.Eventually(t, "message handled after restart", func() bool {
		info, err := js.Consumer(context.Background(), "WEBHOOKS", "svc")
		if err != nil {
			return false
		}
		ci, err := info.Info(context.Background())
		return err == nil && ci.AckFloor.Stream >= second
	})
	if c.n() != 2 {
		t.Errorf("handler called %d times, want 2", c.n())
	}
}

// The lag gauge shows the messages not yet delivered while a handler is
// stuck, and the age histogram counts every event handled.
func TestRunnerReportsLagAndEventAge(t *testing.T) {
	t.Parallel()
	_, js := startJetStream(t)
	reg := prometheus.NewRegistry()
	cfg := testConfig("lagging")
	cfg.Concurrency, cfg.MaxAckPending = 1, 1
	release := make(chan struct{})
	startRunner(t, js, cfg, func(ctx context.Context, _ *runner.Message) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, reg)
	for i := range 5 {
		publishEvent(t, js, "webhooks.example.order_notify", fmt.Sprintf("lag-%d", i), []byte(`{}`))
	}
	natstest.Eventually(t, "the lag gauge at 4", func() bool {
		return metricValue(t, reg, "hookstream_consumer_pending", map[string]string{"consumer": "lagging"}) == 4
	})
	close(release)
	natstest.Eventually(t, "the lag gauge back at 0", func() bool {
		return metricValue(t, reg, "hookstream_consumer_pending", map[string]string{"consumer": "lagging"}) == 0
	})
	if n := metricValue(t, reg, "hookstream_consumer_event_age_seconds", map[string]string{"consumer": "lagging"}); n != 5 {
		t.Errorf("event ages observed: %v, want 5", n)
	}
}
