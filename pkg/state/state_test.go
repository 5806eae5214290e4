package state_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
)

// stateEnv is a KV bucket and an output stream on a real server.
type stateEnv struct {
	js jetstream.JetStream
	kv jetstream.KeyValue
}

func newStateEnv(t *testing.T) stateEnv {
	t.Helper()
	js := natstest.Run(t).JetStream()
	ctx := context.Background()
	if err := streams.Ensure(ctx, js, streams.Orders(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	kv, err := state.EnsureBucket(ctx, js, state.Bucket("state-test", "test", state.BucketOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	return stateEnv{js: js, kv: kv}
}

func (e stateEnv) published(t *testing.T) uint64 {
	t.Helper()
	s, err := e.js.Stream(context.Background(), "ORDERS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// versionDecide stores an integer version and applies only newer ones,
// publishing one event per version with a deterministic id.
func versionDecide(v int) state.Decide {
	return func(current []byte) (*state.Change, error) {
		if current != nil {
			if have, _ := strconv.Atoi(string(current)); have >= v {
				return nil, nil
			}
		}
		msg := nats.NewMsg("orders.test.upserted")
		msg.Data = []byte(strconv.Itoa(v))
		msg.Header.Set(nats.MsgIdHdr, "k@"+strconv.Itoa(v))
		return &state.Change{Value: msg.Data, Event: msg}, nil
	}
}

func TestUpdateAppliesNewerAndIgnoresStale(t *testing.T) {
	e := newStateEnv(t)
	ctx := context.Background()
	for _, step := range []struct {
		version int
		applied bool
		events  uint64
		stored  string
	}{
		{2, true, 1, "2"},
		{1, false, 1, "2"}, // reordered older update
		{2, false, 1, "2"}, // redelivery
		{3, true, 2, "3"},
	} {
		applied, err := state.Update(ctx, e.js, e.kv, "k", versionDecide(step.version))
		if err != nil {
			t.Fatal(err)
		}
		entry, _ := e.kv.Get(ctx, "k")
		if applied != step.applied || e.published(t) != step.events || string(entry.Value()) != step.stored {
			t.Errorf("version %d: applied %v, %d events, stored %q; want %v, %d, %q",
				step.version, applied, e.published(t), entry.Value(), step.applied, step.events, step.stored)
		}
	}
}

// Losing a compare-and-set race starts again from a fresh read; the
// decision is then made against what the other writer stored.
func TestUpdateStartsAgainAfterLosingARace(t *testing.T) {
	e := newStateEnv(t)
	ctx := context.Background()
	if _, err := e.kv.Put(ctx, "k", []byte("1")); err != nil {
		t.Fatal(err)
	}
	calls := 0
	decide := func(current []byte) (*state.Change, error) {
		calls++
		if calls == 1 { // another replica writes version 5 meanwhile
			if _, err := e.kv.Put(ctx, "k", []byte("5")); err != nil {
				t.Fatal(err)
			}
		}
		return versionDecide(4)(current)
	}
	applied, err := state.Update(ctx, e.js, e.kv, "k", decide)
	if err != nil {
		t.Fatal(err)
	}
	entry, _ := e.kv.Get(ctx, "k")
	if applied || calls != 2 || string(entry.Value()) != "5" {
		t.Errorf("applied %v after %d decisions, stored %q; want false after 2, 5", applied, calls, entry.Value())
	}
}

// failingWrites is a bucket whose writes fail, as if the process died
// between publishing the event and writing the record.
type failingWrites struct{ jetstream.KeyValue }

func (failingWrites) Create(context.Context, string, []byte, ...jetstream.KVCreateOpt) (uint64, error) {
	return 0, errors.New("crash")
}

// A crash between publish and write: the redelivery publishes the same
// event again, JetStream de-duplicates it, and the record is written.
func TestUpdateAfterCrashBetweenPublishAndWrite(t *testing.T) {
	e := newStateEnv(t)
	ctx := context.Background()
	if _, err := state.Update(ctx, e.js, failingWrites{e.kv}, "k", versionDecide(1)); err == nil {
		t.Fatal("the write failure was not reported")
	}
	applied, err := state.Update(ctx, e.js, e.kv, "k", versionDecide(1))
	if err != nil || !applied {
		t.Fatalf("redelivery: applied %v, %v", applied, err)
	}
	entry, _ := e.kv.Get(ctx, "k")
	if n := e.published(t); n != 1 || string(entry.Value()) != "1" {
		t.Errorf("%d events, stored %q; want 1 event and version 1", n, entry.Value())
	}
}
