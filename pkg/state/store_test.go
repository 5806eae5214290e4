package state

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/streams"
)

// testKind publishes orders.shipstation.upserted.<key tail> on ORDERS.
var testKind = Kind{Root: "orders", Stream: catalog.StreamOrders, Source: "/test"}

// entity is the test's state: V is the provider version, Content what a
// subscriber sees (several versions share a content).
type entity struct {
	V       int `json:"v"`
	Content int `json:"content"`
}

// apply is the test's domain decision: a newer V replaces the state, and
// the event's visible content is Content alone.
func apply(key string, v entity) Decide {
	return func(current json.RawMessage) (*Change, error) {
		if current != nil {
			var have entity
			if err := json.Unmarshal(current, &have); err != nil {
				return nil, err
			}
			if have.V >= v.V {
				return nil, nil
			}
		}
		return &Change{State: v, Event: &Event{
			Name: catalog.OrderUpserted, Provider: catalog.ShipStation, Subject: strings.Replace(key, ".", ":", 1),
			Time:        time.Unix(int64(v.V), 0),
			Fingerprint: strconv.Itoa(v.Content),
		}}, nil
	}
}

// env is a bucket and the ORDERS stream on a real server.
type env struct {
	srv *natstest.Server
	js  jetstream.JetStream
	kv  jetstream.KeyValue
}

func newEnv(t *testing.T) env {
	t.Helper()
	srv := natstest.Run(t)
	js := srv.JetStream()
	ctx := context.Background()
	if err := streams.Ensure(ctx, js, streams.Orders(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	kv, err := EnsureBucket(ctx, js, Bucket("state-test", "test", BucketOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	return env{srv: srv, js: js, kv: kv}
}

// store returns a Store on its own connection (a replica).
func (e env) store(t *testing.T) *Store {
	t.Helper()
	js, err := jetstream.New(e.srv.Connect())
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), "state-test")
	if err != nil {
		t.Fatal(err)
	}
	return New(js, kv, testKind)
}

// published is one event read back from the stream.
type published struct {
	seq     uint64
	subject string
	id      string
	version uint64
	state   entity
}

// events reads every message of the ORDERS stream in stream order.
func (e env) events(t *testing.T) []published {
	t.Helper()
	ctx := context.Background()
	s, err := e.js.Stream(ctx, catalog.StreamOrders)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []published
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		p := published{seq: seq, subject: m.Subject, id: m.Header.Get(nats.MsgIdHdr), version: entityVersion(m.Header)}
		if err := json.Unmarshal(m.Data, &p.state); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// checkInvariant asserts the package's invariant over the stream and the
// bucket for the given keys.
func (e env) checkInvariant(t *testing.T, keys []string) {
	t.Helper()
	bySubject := map[string][]published{}
	ids := map[string]bool{}
	for _, p := range e.events(t) {
		if ids[p.id] {
			t.Errorf("event %s published twice", p.id)
		}
		ids[p.id] = true
		bySubject[p.subject] = append(bySubject[p.subject], p)
	}
	for _, key := range keys {
		subject := "orders.shipstation.upserted." + key[len("shipstation."):]
		evs := bySubject[subject]
		for i := 1; i < len(evs); i++ {
			prev, cur := evs[i-1], evs[i]
			if cur.version != prev.version+1 {
				t.Errorf("%s: entity version %d follows %d (seq %d)", subject, cur.version, prev.version, cur.seq)
			}
			if cur.state.V <= prev.state.V {
				t.Errorf("%s: went backwards: v%d after v%d (seq %d)", subject, cur.state.V, prev.state.V, cur.seq)
			}
			if cur.state.Content == prev.state.Content {
				t.Errorf("%s: content %d published twice in a row", subject, cur.state.Content)
			}
		}
		rec, err := Get(context.Background(), e.kv, key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if rec.Pending != nil {
			t.Errorf("%s: still pending after the sweep: %s", key, rec.Pending.Header.Get(nats.MsgIdHdr))
		}
		var stored entity
		if err := rec.Decode(&stored); err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			t.Errorf("%s: no event", key)
			continue
		}
		last := evs[len(evs)-1]
		if last.state.Content != stored.Content {
			t.Errorf("%s: last event shows content %d, the newest state %d", key, last.state.Content, stored.Content)
		}
		if rec.Version != last.version || rec.StreamSeq != last.seq {
			t.Errorf("%s: record at version %d seq %d, last event version %d seq %d", key, rec.Version, rec.StreamSeq, last.version, last.seq)
		}
	}
}

func TestApplyPublishesOnTheEntitySubject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t)
	ctx := context.Background()
	res, err := s.Apply(ctx, nil, "shipstation.42", apply("shipstation.42", entity{V: 1, Content: 1}))
	if err != nil || !res.Stored || res.Published != 1 {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	// A redelivery, an older version and a newer version with the same
	// content publish nothing; the last one is still stored.
	for _, v := range []entity{{V: 1, Content: 1}, {V: 0, Content: 0}, {V: 2, Content: 1}} {
		res, err := s.Apply(ctx, nil, "shipstation.42", apply("shipstation.42", v))
		if err != nil || res.Published != 0 {
			t.Fatalf("Apply(%+v) = %+v, %v", v, res, err)
		}
	}
	res, err = s.Apply(ctx, nil, "shipstation.42", apply("shipstation.42", entity{V: 3, Content: 2}))
	if err != nil || res.Published != 2 {
		t.Fatalf("Apply(v3) = %+v, %v", res, err)
	}
	evs := e.events(t)
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2: %+v", len(evs), evs)
	}
	stream, _ := e.js.Stream(ctx, catalog.StreamOrders)
	m, err := stream.GetMsg(ctx, evs[1].seq)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ce-id": "shipstation:42@2", nats.MsgIdHdr: "shipstation:42@2", "ce-entityversion": "2",
		"ce-type": "dev.hookstream.order.upserted", "ce-source": "/test", "ce-subject": "shipstation:42",
		"ce-dataschema": "https://hookstream.dev/schemas/canonical/order.schema.json",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if m.Subject != "orders.shipstation.upserted.42" {
		t.Errorf("subject %s", m.Subject)
	}
	rec, err := Get(ctx, e.kv, "shipstation.42")
	if err != nil || string(rec.State) != `{"v":3,"content":2}` || rec.Version != 2 || rec.StreamSeq != evs[1].seq {
		t.Errorf("record = %+v, %v", rec, err)
	}
}

// errCrash stops an Apply where a process would have died.
var errCrash = errors.New("injected crash")

func TestCrashAtEachStepIsRepairedByTheNextApply(t *testing.T) {
	t.Parallel()
	for _, at := range []step{stepWritten, stepPublished} {
		t.Run(string(at), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			dying := e.store(t)
			dying.crash = func(s step) error {
				if s == at {
					return errCrash
				}
				return nil
			}
			if _, err := dying.Apply(ctx, nil, "shipstation.7", apply("shipstation.7", entity{V: 1, Content: 1})); !errors.Is(err, errCrash) {
				t.Fatalf("Apply = %v, want the injected crash", err)
			}
			// Another replica brings a newer version: the crashed one's
			// event goes out first, then its own.
			next := e.store(t)
			if _, err := next.Apply(ctx, nil, "shipstation.7", apply("shipstation.7", entity{V: 2, Content: 2})); err != nil {
				t.Fatal(err)
			}
			// And the redelivery of the crashed message changes nothing.
			if res, err := next.Apply(ctx, nil, "shipstation.7", apply("shipstation.7", entity{V: 1, Content: 1})); err != nil || res.Published != 0 {
				t.Fatalf("redelivery = %+v, %v", res, err)
			}
			evs := e.events(t)
			if len(evs) != 2 || evs[0].state.V != 1 || evs[1].state.V != 2 {
				t.Fatalf("events = %+v", evs)
			}
			e.checkInvariant(t, []string{"shipstation.7"})
		})
	}
}

func TestSweepPublishesWhatACrashLeftPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	dying := e.store(t)
	dying.crash = func(s step) error {
		if s == stepWritten {
			return errCrash
		}
		return nil
	}
	for i := range 3 {
		key := "shipstation." + strconv.Itoa(i)
		if _, err := dying.Apply(ctx, nil, key, apply(key, entity{V: 1, Content: 1})); !errors.Is(err, errCrash) {
			t.Fatal(err)
		}
	}
	if n := len(e.events(t)); n != 0 {
		t.Fatalf("%d events before the sweep", n)
	}
	found, err := e.store(t).Sweep(ctx, e.kv)
	if err != nil || found != 3 {
		t.Fatalf("Sweep = %d, %v", found, err)
	}
	if n := len(e.events(t)); n != 3 {
		t.Fatalf("%d events after the sweep, want 3", n)
	}
	e.checkInvariant(t, []string{"shipstation.0", "shipstation.1", "shipstation.2"})
}

// TestStaleWriterIsRefusedByJetStream replays the race that broke the
// first version: a writer holding an older pending event publishes it after
// newer events went out, long after any de-duplication window could help
// (its Nats-Msg-Id is changed to make sure). JetStream refuses it.
func TestStaleWriterIsRefusedByJetStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	s := e.store(t)
	s.crash = func(at step) error {
		if at == stepWritten {
			return errCrash
		}
		return nil
	}
	if _, err := s.Apply(ctx, nil, "shipstation.9", apply("shipstation.9", entity{V: 1, Content: 1})); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	stale, _, err := s.read(ctx, "shipstation.9")
	if err != nil || stale.Pending == nil {
		t.Fatalf("no pending event: %+v %v", stale, err)
	}
	fresh := e.store(t)
	for v := 2; v <= 3; v++ {
		if _, err := fresh.Apply(ctx, nil, "shipstation.9", apply("shipstation.9", entity{V: v, Content: v})); err != nil {
			t.Fatal(err)
		}
	}
	stale.Pending.Header.Set(nats.MsgIdHdr, "not-a-duplicate")
	if _, published, err := s.publish(ctx, "shipstation.9", stale); published || err == nil {
		t.Fatalf("stale publish: published %v, err %v", published, err)
	}
	e.checkInvariant(t, []string{"shipstation.9"})
	if n := len(e.events(t)); n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
}

// TestStressInvariant races many handlers in two replicas over a few keys,
// each applying random versions, with crashes injected between every pair
// of steps; after a sweep, the stream and the bucket must keep the
// invariant. Run it under -race.
func TestStressInvariant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	keys := []string{"shipstation.1", "shipstation.2", "shipstation.3", "shipstation.4"}
	const (
		workers   = 16
		perWorker = 40
	)
	replicas := []*Store{e.store(t), e.store(t)}
	var crashes sync.Map
	for i, r := range replicas {
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		var mu sync.Mutex
		r.crash = func(at step) error {
			mu.Lock()
			defer mu.Unlock()
			if rng.IntN(5) == 0 {
				n, _ := crashes.LoadOrStore(at, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
				return errCrash
			}
			return nil
		}
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		maxByKey = map[string]int{}
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			r := replicas[w%len(replicas)]
			for range perWorker {
				key := keys[rng.IntN(len(keys))]
				v := 1 + rng.IntN(300)
				// A crashed delivery is redelivered until it succeeds, as
				// the runner does.
				for {
					_, err := r.Apply(ctx, nil, key, apply(key, entity{V: v, Content: v / 3}))
					if err == nil {
						break
					}
					if !errors.Is(err, errCrash) {
						t.Errorf("Apply(%s, v%d): %v", key, v, err)
						return
					}
				}
				mu.Lock()
				maxByKey[key] = max(maxByKey[key], v)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, r := range replicas {
		r.crash = nil
	}
	if _, err := replicas[0].Sweep(ctx, e.kv); err != nil {
		t.Fatal(err)
	}
	e.checkInvariant(t, keys)
	for _, key := range keys {
		var stored entity
		if err := GetState(ctx, e.kv, key, &stored); err != nil {
			t.Fatal(err)
		}
		if stored.V != maxByKey[key] {
			t.Errorf("%s: stored v%d, newest applied v%d", key, stored.V, maxByKey[key])
		}
	}
	var n int64
	crashes.Range(func(k, v any) bool {
		c := v.(*atomic.Int64).Load()
		n += c
		t.Logf("crashes %s: %d", k, c)
		return true
	})
	if n == 0 {
		t.Error("no crash was injected")
	}
	t.Logf("%d events for %d applies", len(e.events(t)), workers*perWorker)
}
