package shipstation

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/natstest"
)

var budgetT0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// at is budgetT0 plus d.
func at(d time.Duration) time.Time { return budgetT0.Add(d) }

func TestBudgetStateTake(t *testing.T) {
	t.Parallel()
	rule := budgetRule{limit: 3, span: time.Minute}
	type step struct {
		at       time.Duration
		keep     int         // the reserve, for a background caller
		report   *serverSaid // when set: report it instead of taking
		wantOK   bool
		wantWait time.Duration
		wantLeft int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "a sliding window",
			steps: []step{
				{at: 0, wantOK: true, wantLeft: 2},
				{at: 10 * time.Second, wantOK: true, wantLeft: 1},
				{at: 20 * time.Second, wantOK: true, wantLeft: 0},
				{at: 30 * time.Second, wantWait: 30 * time.Second},
				// The first grant leaves the span at 60s, the second at 70s.
				{at: 60 * time.Second, wantOK: true, wantLeft: 0},
				{at: 61 * time.Second, wantWait: 9 * time.Second},
			},
		},
		{
			name: "a background caller leaves the reserve",
			steps: []step{
				{at: 0, keep: 1, wantOK: true, wantLeft: 2},
				{at: 1 * time.Second, keep: 1, wantOK: true, wantLeft: 1},
				// One left, and it is the reserve.
				{at: 2 * time.Second, keep: 1, wantWait: 58 * time.Second, wantLeft: 1},
				{at: 2 * time.Second, wantOK: true, wantLeft: 0},
				// Two must leave before it may send again.
				{at: 3 * time.Second, keep: 1, wantWait: 58 * time.Second},
			},
		},
		{
			name: "a 429 pauses until the reset",
			steps: []step{
				{at: 0, wantOK: true, wantLeft: 2},
				{report: &serverSaid{granted: at(0), at: at(time.Second), limited: true, reset: 20 * time.Second}},
				{at: 5 * time.Second, wantWait: 16 * time.Second, wantLeft: 2},
				// An earlier reset does not shorten the pause.
				{report: &serverSaid{granted: at(0), at: at(6 * time.Second), limited: true, reset: time.Second}},
				{at: 20 * time.Second, wantWait: time.Second, wantLeft: 2},
				{at: 21 * time.Second, wantOK: true, wantLeft: 1},
			},
		},
		{
			name: "remaining 0 pauses until the reset",
			steps: []step{
				{at: 0, wantOK: true, wantLeft: 2},
				{report: &serverSaid{granted: at(0), at: at(time.Second), known: true, remaining: 0, reset: 10 * time.Second}},
				{at: 2 * time.Second, wantWait: 9 * time.Second, wantLeft: 0},
				{at: 11 * time.Second, wantOK: true, wantLeft: 1},
			},
		},
		{
			name: "a lower remaining caps the window, less what was granted since",
			steps: []step{
				{at: 0, wantOK: true, wantLeft: 2},
				{at: time.Second, wantOK: true, wantLeft: 1},
				// The answer to the first: one left at the server, and the
				// second was granted after it.
				{report: &serverSaid{granted: at(0), at: at(2 * time.Second), known: true, remaining: 1, reset: 30 * time.Second}},
				{at: 3 * time.Second, wantWait: 29 * time.Second, wantLeft: 0},
				// A stale answer (granted earlier) does not replace it.
				{report: &serverSaid{granted: at(-time.Second), at: at(4 * time.Second), known: true, remaining: 30, reset: 30 * time.Second}},
				{at: 5 * time.Second, wantWait: 27 * time.Second, wantLeft: 0},
				// After the server's reset, the sliding window alone.
				{at: 32 * time.Second, wantOK: true, wantLeft: 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s budgetState
			for i, st := range tt.steps {
				if st.report != nil {
					s.report(*st.report)
					continue
				}
				r := rule
				r.keep = st.keep
				ok, wait, left := s.take(at(st.at), r)
				if ok != st.wantOK || wait != st.wantWait || left != st.wantLeft {
					t.Errorf("step %d: take = %v, %v, %d; want %v, %v, %d", i, ok, wait, left, st.wantOK, st.wantWait, st.wantLeft)
				}
			}
		})
	}
}

// newSharedKeys returns n views of one key pair's shared budget, each with
// its own NATS connection, as n processes have.
func newSharedKeys(t *testing.T, srv *natstest.Server, n int) []*sharedKey {
	t.Helper()
	creds := Credentials{Key: "budget-key", Secret: "budget-secret"}
	keys := make([]*sharedKey, n)
	for i := range keys {
		keys[i] = &sharedKey{bucket: &budgetBucket{js: srv.JetStream(), replicas: 1},
			key: budgetKey(creds), name: "primary", log: zaptest.NewLogger(t), onFail: func(bool) {}}
	}
	return keys
}

// Many processes asking at the same instant, through compare-and-set on
// one key, are granted exactly the limit between them: never more.
func TestSharedBudgetContentionNeverOverGrants(t *testing.T) {
	t.Parallel()
	srv := natstest.Run(t)
	const processes, goroutines, limit = 4, 8, 25
	keys := newSharedKeys(t, srv, processes)
	rule := budgetRule{limit: limit, span: time.Minute}
	var granted, refused atomic.Int64
	var wg sync.WaitGroup
	for p := range processes {
		for range goroutines {
			wg.Go(func() {
				for range 5 {
					ok, wait, _, err := keys[p].take(context.Background(), budgetT0, rule)
					switch {
					case err != nil:
						t.Error(err)
						return
					case ok:
						granted.Add(1)
					case wait != time.Minute:
						t.Errorf("refused with a wait of %s, want the window", wait)
					default:
						refused.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	if granted.Load() != limit {
		t.Errorf("%d requests granted, want exactly %d", granted.Load(), limit)
	}
	if granted.Load()+refused.Load() != processes*goroutines*5 {
		t.Errorf("%d granted + %d refused != %d asked", granted.Load(), refused.Load(), processes*goroutines*5)
	}
}

// A 429 one process hears holds every process back until the reset, and
// a background caller in another process leaves the reserve.
func TestSharedBudgetPauseAndReserveAcrossProcesses(t *testing.T) {
	t.Parallel()
	srv := natstest.Run(t)
	keys := newSharedKeys(t, srv, 2)
	a, b := keys[0], keys[1]
	ctx := context.Background()
	rule := budgetRule{limit: 4, span: time.Minute}
	background := rule
	background.keep = 1

	if ok, _, _, err := a.take(ctx, at(0), rule); !ok || err != nil {
		t.Fatalf("first take: %v, %v", ok, err)
	}
	a.report(ctx, serverSaid{granted: at(0), at: at(time.Second), limited: true, reset: 10 * time.Second})
	if ok, wait, _, err := b.take(ctx, at(2*time.Second), rule); ok || err != nil || wait != 9*time.Second {
		t.Fatalf("the other process during the pause: take = %v, wait %s, %v; want refused for 9s", ok, wait, err)
	}
	// b remembers the wait without asking the bucket: past it, it asks.
	for i, want := range []bool{true, true, false} { // 3 of 4 used leaves the reserve
		ok, _, _, err := b.take(ctx, at(11*time.Second+time.Duration(i)), background)
		if ok != want || err != nil {
			t.Fatalf("background take %d after the pause = %v, %v; want %v", i, ok, err, want)
		}
	}
	if ok, _, left, err := a.take(ctx, at(12*time.Second), rule); !ok || err != nil || left != 0 {
		t.Fatalf("webhook take of the reserve = %v, left %d, %v", ok, left, err)
	}
}

// When the bucket cannot be reached the key says so at once (no wait for
// a budget that cannot be read), and again until the retry time.
func TestSharedBudgetUnavailable(t *testing.T) {
	t.Parallel()
	srv := natstest.Run(t)
	keys := newSharedKeys(t, srv, 1)
	var downs atomic.Int32
	keys[0].onFail = func(down bool) {
		if down {
			downs.Add(1)
		} else {
			downs.Add(-1)
		}
	}
	rule := budgetRule{limit: 4, span: time.Minute}
	ctx := context.Background()
	if ok, _, _, err := keys[0].take(ctx, at(0), rule); !ok || err != nil {
		t.Fatalf("take with the bucket up: %v, %v", ok, err)
	}
	srv.Stop()
	if _, _, _, err := keys[0].take(ctx, at(time.Second), rule); err != errBudgetUnavailable {
		t.Fatalf("take with the server gone: %v, want errBudgetUnavailable", err)
	}
	if _, _, _, err := keys[0].take(ctx, at(2*time.Second), rule); err != errBudgetUnavailable {
		t.Fatalf("take before the retry time: %v, want errBudgetUnavailable", err)
	}
	if downs.Load() != 1 {
		t.Fatalf("fallback reported %d times, want once", downs.Load())
	}
	srv.Restart()
	natstest.Eventually(t, "the shared budget to be used again", func() bool {
		ok, _, _, err := keys[0].take(ctx, at(time.Minute), rule)
		return ok && err == nil
	})
	if downs.Load() != 0 {
		t.Fatalf("the fallback's end was not reported")
	}
}
