package reconciler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/state"
)

// TestLease: one holder at a time; the holder renews; another takes over
// only once the lease has lapsed; of two racing for a lapsed lease, one
// wins.
func TestLease(t *testing.T) {
	t.Parallel()
	js := natstest.Run(t).JetStream()
	ctx := context.Background()
	kv, err := state.EnsureBucket(ctx, js, state.Bucket(BucketCheckpoints, "test", state.BucketOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	ttl := 3 * time.Minute
	acquire := func(holder string, at time.Time) bool {
		t.Helper()
		ok, err := acquireLease(ctx, kv, holder, at, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	steps := []struct {
		holder string
		at     time.Duration
		want   bool
	}{
		{"a", 0, true},                  // free
		{"b", time.Minute, false},       // a holds it until 3m
		{"a", 2 * time.Minute, true},    // a renews: until 5m
		{"b", 4 * time.Minute, false},   // still a's
		{"b", 5 * time.Minute, true},    // lapsed: b takes over
		{"a", 6 * time.Minute, false},   // a has lost it
		{"b", 7*time.Minute + 1, true},  // b renews
		{"a", 10*time.Minute + 1, true}, // lapsed again
	}
	for i, s := range steps {
		if got := acquire(s.holder, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d: %s at +%s acquired %v, want %v", i, s.holder, s.at, got, s.want)
		}
	}

	// Racing for a lapsed lease: exactly one of many wins.
	at := t0.Add(time.Hour)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := acquireLease(ctx, kv, "racer-"+string(rune('a'+i)), at, ttl)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d racers won the lease, want 1", wins)
	}
}
