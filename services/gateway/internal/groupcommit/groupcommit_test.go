package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/natstest"
)

// groupEnv is a Publisher on an embedded JetStream server with one
// stream, GP, on gp.>.
type groupEnv struct {
	ns      *natstest.Server
	js      jetstream.JetStream
	pub     *Publisher
	mu      sync.Mutex
	batches []int
}

func newGroupEnv(t *testing.T, cfg jetstream.StreamConfig, timeout time.Duration) *groupEnv {
	return newGroupEnvWith(t, cfg, Options{Timeout: timeout})
}

// modes are the two kinds of batches, with the stream option each needs.
var modes = []struct {
	name   string
	atomic bool
	allow  func(*jetstream.StreamConfig)
}{
	{"fast", false, func(c *jetstream.StreamConfig) { c.AllowBatchPublish = true }},
	{"atomic", true, func(c *jetstream.StreamConfig) { c.AllowAtomicPublish = true }},
}

// eachMode runs test once per kind of batch, on a stream that allows it.
func eachMode(t *testing.T, cfg jetstream.StreamConfig, timeout time.Duration, test func(t *testing.T, e *groupEnv)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c := cfg
			m.allow(&c)
			test(t, newGroupEnvWith(t, c, Options{Timeout: timeout, Atomic: m.atomic}))
		})
	}
}

func newGroupEnvWith(t *testing.T, cfg jetstream.StreamConfig, o Options) *groupEnv {
	t.Helper()
	e := &groupEnv{ns: natstest.Run(t)}
	e.js = e.ns.JetStream()
	cfg.Name, cfg.Subjects, cfg.Storage = "GP", []string{"gp.>"}, jetstream.FileStorage
	if _, err := e.js.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	nc := e.ns.Connect()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	o.OnBatch = func(size int, _ time.Duration) {
		e.mu.Lock()
		e.batches = append(e.batches, size)
		e.mu.Unlock()
	}
	e.pub = New(nc, js, o)
	t.Cleanup(e.pub.Close)
	return e
}

func gpMsg(id string) *nats.Msg {
	m := nats.NewMsg("gp." + id)
	m.Header.Set(jetstream.MsgIDHeader, id)
	m.Header.Set("ce-id", id)
	m.Data = []byte(`{"id":"` + id + `"}`)
	return m
}

// queued puts requests for msgs on the queue before the publisher starts,
// so that its first batch is exactly these messages, in this order; it
// then starts the publisher and returns each message's outcome, after
// publishing alone, as Publish does, those whose batch was refused whole.
func (e *groupEnv) queued(t *testing.T, msgs ...*nats.Msg) []groupResult {
	t.Helper()
	reqs := make([]*groupRequest, len(msgs))
	for i, m := range msgs {
		reqs[i] = &groupRequest{msg: m, result: make(chan groupResult, 1)}
		e.pub.requests <- reqs[i]
	}
	e.pub.startOnce.Do(e.pub.start)
	if e.pub.startErr != nil {
		t.Fatal(e.pub.startErr)
	}
	out := make([]groupResult, len(msgs))
	for i, r := range reqs {
		select {
		case out[i] = <-r.result:
		case <-time.After(15 * time.Second):
			t.Fatalf("message %d: no outcome", i)
		}
	}
	for i, r := range out {
		if errors.Is(r.err, errPublishAlone) { // as Publish does
			out[i].duplicate, out[i].err = e.pub.Publish(context.Background(), msgs[i])
		}
	}
	return out
}

// queuedAgain is queued with a new publisher, like the first, on the same
// stream: a batch in the middle of a publisher's life.
func (e *groupEnv) queuedAgain(t *testing.T, msgs ...*nats.Msg) []groupResult {
	t.Helper()
	first := e.pub
	e.pub = New(first.nc, first.js, Options{Timeout: first.timeout, Atomic: first.atomic})
	defer func() { e.pub.Close(); e.pub = first }()
	return e.queued(t, msgs...)
}

// storedIDs lists the Nats-Msg-Ids in stream GP, in stream order.
func (e *groupEnv) storedIDs(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	s, err := e.js.Stream(ctx, "GP")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.Header.Get(jetstream.MsgIDHeader))
	}
	return ids
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

func msgs(ids []string) []*nats.Msg {
	out := make([]*nats.Msg, len(ids))
	for i, id := range ids {
		out[i] = gpMsg(id)
	}
	return out
}

func TestGroupPublisherOneBatchOneAck(t *testing.T) {
	eachMode(t, jetstream.StreamConfig{Duplicates: time.Hour}, 5*time.Second, testOneBatchOneAck)
}

func testOneBatchOneAck(t *testing.T, e *groupEnv) {
	want := ids("a", 50)
	for i, r := range e.queued(t, msgs(want)...) {
		if r.err != nil || r.duplicate {
			t.Errorf("message %d: %+v, want stored", i, r)
		}
	}
	if got := e.storedIDs(t); !slices.Equal(got, want) {
		t.Errorf("stream holds %v, want %v", got, want)
	}
	if !slices.Equal(e.batches, []int{50}) {
		t.Errorf("batches %v, want one of 50", e.batches)
	}
	if e.pub.unbatched.Load() {
		t.Error("publisher fell back to single publishes on a stream that allows batches")
	}
	// JetStream keeps an atomic batch's headers on the stored messages.
	m, err := e.js.Stream(context.Background(), "GP")
	if err != nil {
		t.Fatal(err)
	}
	first, err := m.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := first.Header.Get(headerBatchID) != ""; got != e.pub.atomic {
		t.Errorf("stored message has %s: %v, want %v", headerBatchID, got, e.pub.atomic)
	}
}

func TestGroupPublisherDuplicates(t *testing.T) {
	eachMode(t, jetstream.StreamConfig{Duplicates: time.Hour}, 5*time.Second, testDuplicates)
}

func testDuplicates(t *testing.T, e *groupEnv) {
	// Within one batch: the second "d-1" is skipped, and reported stored.
	for i, r := range e.queued(t, msgs([]string{"d-1", "d-2", "d-1", "d-3"})...) {
		if r.err != nil {
			t.Errorf("message %d: %v", i, r.err)
		}
	}
	// Alone: JetStream says it is a duplicate, and so does Publish.
	dup, err := e.pub.Publish(context.Background(), gpMsg("d-2"))
	if err != nil || !dup {
		t.Errorf("publishing d-2 again: duplicate %v, error %v; want duplicate", dup, err)
	}
	// Across batches: a batch holding one id JetStream already has.
	for i, r := range e.queuedAgain(t, msgs([]string{"d-4", "d-3", "d-5"})...) {
		if r.err != nil {
			t.Errorf("message %d: %v", i, r.err)
		}
	}
	got := e.storedIDs(t)
	slices.Sort(got)
	if want := []string{"d-1", "d-2", "d-3", "d-4", "d-5"}; !slices.Equal(got, want) {
		t.Errorf("stream holds %v, want %v", got, want)
	}
}

func TestGroupPublisherConfirmsOnlyStoredMessages(t *testing.T) {
	// A full stream refuses new messages (discard new): a fast-ingest batch
	// stops at the first it cannot store, and only the ones before are
	// confirmed; an atomic batch is refused whole.
	eachMode(t, jetstream.StreamConfig{Duplicates: time.Hour, MaxMsgs: 5, Discard: jetstream.DiscardNew}, 5*time.Second, testConfirmsOnlyStored)
}

func testConfirmsOnlyStored(t *testing.T, e *groupEnv) {
	all := ids("f", 8)
	results := e.queued(t, msgs(all)...)
	var confirmed []string
	for i, r := range results {
		if r.err == nil {
			confirmed = append(confirmed, all[i])
		}
	}
	stored := e.storedIDs(t)
	if !slices.Equal(confirmed, stored) {
		t.Errorf("confirmed %v, but the stream holds %v", confirmed, stored)
	}
	if want := map[bool]int{false: 5, true: 0}[e.pub.atomic]; len(stored) != want {
		t.Errorf("stream holds %d messages, want %d", len(stored), want)
	}
	for i, r := range results[5:] {
		if r.err == nil {
			t.Errorf("message %d past the limit was confirmed", 5+i)
		}
	}
}

func TestGroupPublisherFallsBackWhenBatchesAreOff(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			testFallsBack(t, newGroupEnvWith(t, jetstream.StreamConfig{Duplicates: time.Hour}, Options{Timeout: 5 * time.Second, Atomic: m.atomic}))
		})
	}
}

func testFallsBack(t *testing.T, e *groupEnv) {
	want := ids("o", 20)
	var wg sync.WaitGroup
	errs := make([]error, len(want))
	for i, id := range want {
		wg.Go(func() { _, errs[i] = e.pub.Publish(context.Background(), gpMsg(id)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	got := e.storedIDs(t)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("stream holds %v, want %v", got, want)
	}
	if !e.pub.unbatched.Load() {
		t.Error("publisher did not note that the stream refuses batches")
	}
}

func TestGroupPublisherConcurrentCallers(t *testing.T) {
	for _, m := range modes {
		for _, maxBatch := range []int{0, 1, 7} {
			t.Run(fmt.Sprintf("%s/MaxBatch=%d", m.name, maxBatch), func(t *testing.T) {
				cfg := jetstream.StreamConfig{Duplicates: time.Hour}
				m.allow(&cfg)
				testConcurrentCallers(t, newGroupEnvWith(t, cfg, Options{Timeout: 5 * time.Second, MaxBatch: maxBatch, Atomic: m.atomic}), maxBatch)
			})
		}
	}
}

func testConcurrentCallers(t *testing.T, e *groupEnv, maxBatch int) {
	const callers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				if _, err := e.pub.Publish(context.Background(), gpMsg(fmt.Sprintf("c%02d-%02d", c, i))); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.storedIDs(t); len(got) != callers*each {
		t.Errorf("stream holds %d messages, want %d", len(got), callers*each)
	}
	total := 0
	for _, n := range e.batches {
		total += n
		if maxBatch > 1 && n > maxBatch {
			t.Errorf("a batch of %d messages, over MaxBatch %d", n, maxBatch)
		}
	}
	if maxBatch == 1 {
		if len(e.batches) > 0 {
			t.Errorf("MaxBatch 1 sent %d batches, want plain publishes", len(e.batches))
		}
		return
	}
	if total != callers*each {
		t.Errorf("batches %v add up to %d messages, want %d", e.batches, total, callers*each)
	}
}

func TestGroupPublisherWithoutStream(t *testing.T) {
	eachMode(t, jetstream.StreamConfig{}, 5*time.Second, testWithoutStream)
}

func testWithoutStream(t *testing.T, e *groupEnv) {
	m := &nats.Msg{Subject: "nostream.x"} // and without a header
	m.Data = []byte("{}")
	_, err := e.pub.Publish(context.Background(), m)
	if !errors.Is(err, jetstream.ErrNoStreamResponse) {
		t.Errorf("publish to a subject without a stream: %v, want %v", err, jetstream.ErrNoStreamResponse)
	}
}

func TestGroupPublisherTimesOut(t *testing.T) {
	e := newGroupEnv(t, jetstream.StreamConfig{AllowBatchPublish: true}, 200*time.Millisecond)
	// A core subscriber that never answers: there are responders, no ack.
	silent := e.ns.Connect()
	if _, err := silent.Subscribe("silent.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	if err := silent.Flush(); err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg("silent.x")
	m.Data = []byte("{}")
	if _, err := e.pub.Publish(context.Background(), m); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("publish without an acknowledgement: %v, want a deadline error", err)
	}
	// The publisher carries on with the next batch.
	if _, err := e.pub.Publish(context.Background(), gpMsg("after")); err != nil {
		t.Errorf("publish after a timeout: %v", err)
	}
}

func TestGroupPublisherServerRestart(t *testing.T) {
	eachMode(t, jetstream.StreamConfig{Duplicates: time.Hour}, time.Second, testServerRestart)
}

func testServerRestart(t *testing.T, e *groupEnv) {
	if _, err := e.pub.Publish(context.Background(), gpMsg("r-1")); err != nil {
		t.Fatal(err)
	}
	e.ns.Stop()
	if _, err := e.pub.Publish(context.Background(), gpMsg("r-2")); err == nil {
		t.Error("publish while the server is down succeeded")
	}
	e.ns.Restart()
	natstest.Eventually(t, "publish after the restart", func() bool {
		_, err := e.pub.Publish(context.Background(), gpMsg("r-2"))
		return err == nil
	})
	if got, want := e.storedIDs(t), []string{"r-1", "r-2"}; !slices.Equal(got, want) {
		t.Errorf("stream holds %v, want %v", got, want)
	}
}

func TestGroupPublisherClose(t *testing.T) {
	e := newGroupEnv(t, jetstream.StreamConfig{AllowBatchPublish: true}, time.Second)
	if _, err := e.pub.Publish(context.Background(), gpMsg("c-1")); err != nil {
		t.Fatal(err)
	}
	e.pub.Close()
	if _, err := e.pub.Publish(context.Background(), gpMsg("c-2")); !errors.Is(err, ErrClosed) {
		t.Errorf("publish after Close: %v, want %v", err, ErrClosed)
	}
	never := New(e.ns.Connect(), e.js, Options{})
	never.Close() // never started: returns at once
}

// When the connection drops an answer meant for the publisher (its reply
// channel is full), the batch fails with ErrRepliesDropped — neither
// trusted nor left to its timeout.
func TestGroupPublisherFailsABatchWhoseAnswerWasDropped(t *testing.T) {
	eachMode(t, jetstream.StreamConfig{}, time.Minute, func(t *testing.T, e *groupEnv) {
		e.pub.responses = make(chan *nats.Msg, 1)
		e.pub.beforeWait = func() {
			e.pub.beforeWait = nil                        // the first batch only
			e.pub.responses <- &nats.Msg{Subject: "junk"} // the channel is full
			deadline := time.Now().Add(15 * time.Second)
			for e.pub.dropped() == 0 {
				if time.Now().After(deadline) {
					t.Error("the answer was never dropped")
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
		out := e.queued(t, msgs(ids("drop", 3))...)
		for i, r := range out {
			if !errors.Is(r.err, ErrRepliesDropped) {
				t.Errorf("message %d: %v, want ErrRepliesDropped", i, r.err)
			}
		}
		// The publisher goes on: the next batch is stored and confirmed.
		for i, r := range e.queued(t, msgs(ids("after", 2))...) {
			if r.err != nil {
				t.Errorf("after the drop, message %d: %v", i, r.err)
			}
		}
	})
}
