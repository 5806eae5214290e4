package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/streams"
)

// fakeMsg is a delivery that records how it was settled. Methods the
// runner must not call are left to the nil embedded interface (a panic).
type fakeMsg struct {
	jetstream.Msg
	meta   jetstream.MsgMetadata
	header nats.Header
	data   []byte

	mu         sync.Mutex
	settled    []string
	inProgress int
}

func (f *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) { return &f.meta, nil }
func (f *fakeMsg) Subject() string                           { return "webhooks.example.order_notify" }
func (f *fakeMsg) Headers() nats.Header                      { return f.header }
func (f *fakeMsg) Data() []byte                              { return f.data }
func (f *fakeMsg) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settled = append(f.settled, s)
	return nil
}
func (f *fakeMsg) DoubleAck(context.Context) error    { return f.record("ack") }
func (f *fakeMsg) Ack() error                         { return f.record("async ack") }
func (f *fakeMsg) Nak() error                         { return f.record("BARE NAK") }
func (f *fakeMsg) NakWithDelay(d time.Duration) error { return f.record("nak " + d.String()) }
func (f *fakeMsg) Term() error                        { return f.record("term") }
func (f *fakeMsg) TermWithReason(string) error        { return f.record("term with reason") }
func (f *fakeMsg) InProgress() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inProgress++
	return nil
}
func (f *fakeMsg) heartbeats() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inProgress
}

func newFakeMsg(t *testing.T, seq, attempt uint64) *fakeMsg {
	t.Helper()
	m, err := ce.ToMsg("webhooks.example.order_notify", testEventInternal(fmt.Sprintf("evt-%d", seq)))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeMsg{
		meta: jetstream.MsgMetadata{
			Sequence:     jetstream.SequencePair{Stream: seq, Consumer: seq},
			NumDelivered: attempt,
			Timestamp:    time.Now().Add(-time.Minute),
			Stream:       "WEBHOOKS",
			Consumer:     "svc",
		},
		header: m.Header,
		data:   m.Data,
	}
}

// TestSettleFollowsTheAckContract drives one delivery through the runner
// for each row of the table in runner.go.
func TestSettleFollowsTheAckContract(t *testing.T) {
	t.Parallel()
	s := natstest.Run(t)
	js := s.JetStream()
	if _, err := js.CreateStream(context.Background(), dlq.Stream(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	noDLQ := natstest.Run(t).JetStream() // a server without the DLQ stream

	cases := []struct {
		name        string
		js          jetstream.JetStream
		attempt     uint64
		notAnEvent  bool
		drained     bool
		err         error
		want        string
		wantCalled  bool
		wantDLQCopy bool
	}{
		{name: "success: double ack", attempt: 1, err: nil, want: "ack", wantCalled: true},
		{name: "retryable: first backoff step", attempt: 1, err: Retryable(errors.New("503")), want: "nak 50ms", wantCalled: true},
		{name: "retryable: second step", attempt: 2, err: Retryable(errors.New("503")), want: "nak 70ms", wantCalled: true},
		{name: "unclassified: last step repeats", attempt: 4, err: errors.New("eof"), want: "nak 70ms", wantCalled: true},
		{name: "retry after: requested delay", attempt: 1, err: RetryAfter(errors.New("429"), 3*time.Second), want: "nak 3s", wantCalled: true},
		{name: "permanent: DLQ then term with reason", attempt: 1, err: Permanent(errors.New("400")), want: "term with reason", wantCalled: true, wantDLQCopy: true},
		{name: "retryable on the last delivery: DLQ then term", attempt: 5, err: errors.New("503"), want: "term", wantCalled: true, wantDLQCopy: true},
		{name: "retry after on the last delivery: DLQ then term", attempt: 5, err: RetryAfter(errors.New("429"), time.Hour), want: "term", wantCalled: true, wantDLQCopy: true},
		{name: "permanent, DLQ missing: nak, nothing lost", js: noDLQ, attempt: 1, err: Permanent(errors.New("400")), want: "nak 50ms", wantCalled: true},
		{name: "undecodable: DLQ without the handler", attempt: 1, notAnEvent: true, want: "term with reason", wantDLQCopy: true},
		{name: "cancelled by drain: short nak", attempt: 1, drained: true, err: context.Canceled, want: "nak 1s", wantCalled: true},
		{name: "permanent after drain cancel: short nak", attempt: 1, drained: true, err: Permanent(context.Canceled), want: "nak 1s", wantCalled: true},
		{name: "success despite drain cancel: ack", attempt: 1, drained: true, err: nil, want: "ack", wantCalled: true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			use := js
			if tc.js != nil {
				use = tc.js
			}
			called := false
			r, err := New(use, Config{
				Stream: "WEBHOOKS", Durable: "svc", MaxDeliver: 5,
				BackOff: []time.Duration{50 * time.Millisecond, 70 * time.Millisecond},
			}, func(ctx context.Context, m *Message) error {
				called = true
				if m.Event == nil || m.Attempt != tc.attempt || m.StreamSeq != uint64(1000+i) || m.Subject != "webhooks.example.order_notify" {
					t.Errorf("handler got %+v", m)
				}
				return tc.err
			}, zaptest.NewLogger(t), prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			msg := newFakeMsg(t, uint64(1000+i), tc.attempt)
			if tc.notAnEvent {
				msg.header = nats.Header{"X-Other": {"1"}}
			}
			handlers, cancel := context.WithCancel(context.Background())
			if tc.drained {
				cancel()
			}
			r.process(handlers, msg)
			cancel()

			if len(msg.settled) != 1 || msg.settled[0] != tc.want {
				t.Errorf("settled %q, want [%s]", msg.settled, tc.want)
			}
			if called != tc.wantCalled {
				t.Errorf("handler called = %v, want %v", called, tc.wantCalled)
			}
			if tc.wantDLQCopy {
				e, err := GetDLQFor(t, use, uint64(1000+i))
				if err != nil {
					t.Fatalf("no DLQ copy: %v", err)
				}
				if e.Attempts != int(tc.attempt) || e.OriginalSeq != uint64(1000+i) {
					t.Errorf("DLQ entry %+v", e)
				}
			}
		})
	}
}

// GetDLQFor finds the svc DLQ entry of an original stream sequence.
func GetDLQFor(t *testing.T, js jetstream.JetStream, seq uint64) (dlq.Entry, error) {
	t.Helper()
	entries, err := dlq.List(context.Background(), js, "svc")
	if err != nil {
		return dlq.Entry{}, err
	}
	for _, e := range entries {
		if e.OriginalSeq == seq {
			return e, nil
		}
	}
	return dlq.Entry{}, errors.New("not found")
}

func TestHandlerGetsHeartbeatsAndDeadline(t *testing.T) {
	t.Parallel()
	js := natstest.Run(t).JetStream()
	msg := newFakeMsg(t, 1, 1)
	r, err := New(js, Config{
		Stream: "WEBHOOKS", Durable: "svc", AckWait: 30 * time.Millisecond, HandlerTimeout: time.Hour,
	}, func(ctx context.Context, m *Message) error {
		if d, ok := ctx.Deadline(); !ok || time.Until(d) < 50*time.Minute {
			t.Errorf("handler deadline = %v, %v; want about an hour away", d, ok)
		}
		deadline := time.Now().Add(10 * time.Second)
		for msg.heartbeats() < 3 {
			if time.Now().After(deadline) {
				return errors.New("no InProgress heartbeats")
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	}, zaptest.NewLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.process(context.Background(), msg)
	if len(msg.settled) != 1 || msg.settled[0] != "ack" {
		t.Errorf("settled %q, want [ack]", msg.settled)
	}
}

func TestHeartbeatsStopAtHandlerTimeout(t *testing.T) {
	t.Parallel()
	js := natstest.Run(t).JetStream()
	msg := newFakeMsg(t, 1, 1)
	release := make(chan struct{})
	done := make(chan struct{})
	r, err := New(js, Config{
		Stream: "WEBHOOKS", Durable: "svc", AckWait: 30 * time.Millisecond, HandlerTimeout: 20 * time.Millisecond,
	}, func(ctx context.Context, m *Message) error {
		<-ctx.Done()
		<-release // ignores its deadline for a while
		return ctx.Err()
	}, zaptest.NewLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(done)
		r.process(context.Background(), msg)
	}()
	// Once the deadline passed, the count must stop growing: sample it
	// until two reads 100ms apart agree.
	deadline := time.Now().Add(10 * time.Second)
	for prev := -1; ; {
		n := msg.heartbeats()
		if n == prev {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("heartbeats never stopped for a handler past its timeout")
		}
		prev = n
		time.Sleep(100 * time.Millisecond)
	}
	close(release)
	<-done
	// The deadline error is unclassified: retried with the first backoff step.
	if len(msg.settled) != 1 || msg.settled[0] != "nak 1s" {
		t.Errorf("settled %q, want [nak 1s]", msg.settled)
	}
}

func TestConsumerConfigBackOffRaisedToAckWait(t *testing.T) {
	t.Parallel()
	c := Config{Stream: "S", Durable: "d"}
	c.setDefaults()
	cc := c.consumerConfig()
	want := []time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute}
	if fmt.Sprint(cc.BackOff) != fmt.Sprint(want) || cc.AckWait != 30*time.Second {
		t.Errorf("server BackOff %v AckWait %v, want %v and 30s", cc.BackOff, cc.AckWait, want)
	}
	for attempt, want := range map[uint64]time.Duration{0: time.Second, 1: time.Second, 2: 5 * time.Second, 7: 15 * time.Minute, 99: 15 * time.Minute} {
		if got := c.backoffFor(attempt); got != want {
			t.Errorf("backoffFor(%d) = %v, want %v", attempt, got, want)
		}
	}
}

func TestHeaderText(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"two\r\nlines", "two  lines"},
		{"tab\there", "tab here"},
		{"bad \xff utf8", "bad ? utf8"},
		{"ééé", "é"}, // max 3 bytes: never half a rune
	}
	for _, tc := range cases {
		max := 100
		if tc.in == "ééé" {
			max = 3
		}
		if got := dlq.OneLine(tc.in, max); got != tc.want {
			t.Errorf("dlq.OneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAckPendingGauge(t *testing.T) {
	t.Parallel()
	s := natstest.Run(t)
	js := s.JetStream()
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	release := make(chan struct{})
	r, err := New(js, Config{Stream: "WEBHOOKS", Durable: "svc"}, func(ctx context.Context, m *Message) error {
		<-release
		return nil
	}, zaptest.NewLogger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	r.infoInterval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	m, err := ce.ToMsg("webhooks.example.x", testEventInternal("e1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	gauge := func() float64 {
		g, err := r.m.ackPending.GetMetricWithLabelValues("svc")
		if err != nil {
			t.Fatal(err)
		}
		return gaugeValue(t, g)
	}
	waitUntil(t, "ack pending 1", func() bool { return gauge() == 1 })
	close(release)
	waitUntil(t, "ack pending 0", func() bool { return gauge() == 0 })
}
