package shipstation_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// listOnce lists a one-order batch (one request) and reports whether the
// budget deferred it.
func listOnce(t *testing.T, e *apiEnv, c *shipstation.Client) (deferred bool) {
	t.Helper()
	e.api.SetBatchSize("budget", 1)
	_, _, err := c.ListOrders(context.Background(), e.url("/orders", "importBatch=budget"))
	var ra *shipstation.RetryAfterError
	switch {
	case errors.As(err, &ra):
		return true
	case err != nil:
		t.Fatal(err)
	}
	return false
}

// Clients of two processes (two NATS connections) keep to one budget
// between them, and a background client leaves the reserve to them.
func TestClientsShareOneBudget(t *testing.T) {
	t.Parallel()
	srv := natstest.Run(t)
	e := startAPI(t)
	e.api.SetRateLimit(4, 0)
	shared := func(background bool) func(*shipstation.ClientConfig) {
		return func(cfg *shipstation.ClientConfig) {
			cfg.JetStream, cfg.RateLimit, cfg.Background = srv.JetStream(), 4, background
		}
	}
	a, b := e.client(t, shared(false)), e.client(t, shared(false))
	reconciler := e.client(t, shared(true)) // reserve: 25% of 4, one request

	for i, step := range []struct {
		who          *shipstation.Client
		wantDeferred bool
	}{
		{reconciler, false}, {a, false}, {reconciler, false},
		{reconciler, true},    // one left: the reserve
		{b, false}, {a, true}, // spent
	} {
		if got := listOnce(t, e, step.who); got != step.wantDeferred {
			t.Fatalf("step %d: deferred = %v, want %v", i, got, step.wantDeferred)
		}
	}
	if n := e.api.Requests(); n != 4 {
		t.Errorf("the sandbox got %d requests, want 4", n)
	}
	// The window passes (the deferred requests' wait): all may send again,
	// and no request was ever refused with a 429.
	_ = e.clock.Sleep(context.Background(), 61*time.Second)
	if listOnce(t, e, b) {
		t.Fatal("deferred after the window passed")
	}
	if n := e.api.RequestsFor("/orders"); n != 5 {
		t.Errorf("the sandbox got %d requests, want 5", n)
	}
}

// A 429 one process hears holds the other back too.
func TestClientsShareA429(t *testing.T) {
	t.Parallel()
	srv := natstest.Run(t)
	e := startAPI(t)
	shared := func(cfg *shipstation.ClientConfig) { cfg.JetStream = srv.JetStream() }
	a, b := e.client(t, shared), e.client(t, shared)
	e.api.FailNext(1, 429) // says: a minute to the reset
	if !listOnce(t, e, a) {
		t.Fatal("a 429 with a minute to wait was not deferred")
	}
	before := e.api.Requests()
	if !listOnce(t, e, b) {
		t.Fatal("the other client sent during the pause")
	}
	if n := e.api.Requests(); n != before {
		t.Errorf("the other client sent %d requests during the pause", n-before)
	}
}

// Without its bucket the client keeps to the fallback limit, says so in a
// metric, and goes back to the shared budget when the bucket is back.
func TestClientFallsBackWhenTheBucketIsUnavailable(t *testing.T) {
	t.Parallel()
	srv := natstest.Run(t)
	e := startAPI(t)
	reg := prometheus.NewRegistry()
	c := e.client(t, func(cfg *shipstation.ClientConfig) {
		cfg.JetStream, cfg.FallbackRateLimit, cfg.Metrics = srv.JetStream(), 2, reg
	})
	srv.Stop()
	for i, wantDeferred := range []bool{false, false, true} {
		if got := listOnce(t, e, c); got != wantDeferred {
			t.Fatalf("request %d: deferred = %v, want %v", i, got, wantDeferred)
		}
	}
	want := `
# HELP hookstream_provider_api_budget_fallback 1 while the shared API budget bucket cannot be used and the process keeps to its own fallback limit, by API key (primary, secondary; <account>/primary, <account>/secondary for a named account).
# TYPE hookstream_provider_api_budget_fallback gauge
hookstream_provider_api_budget_fallback{key="primary",provider="shipstation"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hookstream_provider_api_budget_fallback"); err != nil {
		t.Error(err)
	}
	srv.Restart()
	_ = e.clock.Sleep(context.Background(), 61*time.Second) // past the fallback's window and retry time
	natstest.Eventually(t, "the shared budget to be used again", func() bool {
		listOnce(t, e, c)
		return testutil.GatherAndCompare(reg, strings.NewReader(strings.Replace(want, "} 1", "} 0", 1)), "hookstream_provider_api_budget_fallback") == nil
	})
}
