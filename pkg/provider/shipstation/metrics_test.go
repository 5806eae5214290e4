package shipstation_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// Every API call is counted by endpoint and status (429s and failures
// included), timed, and the budget ShipStation reports is exported; no
// label takes a value from a request (the import batch, a store id).
func TestAPICallMetrics(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	reg := prometheus.NewRegistry()
	c := e.client(t, func(cfg *shipstation.ClientConfig) { cfg.Metrics = reg })
	e.api.SetBatchSize("metrics-batch", 600) // two pages
	target := e.url("/orders", "storeID=42&importBatch=metrics-batch")
	e.api.FailNext(1, http.StatusTooManyRequests)
	if _, _, err := c.ListOrders(context.Background(), target); err == nil {
		t.Fatal("a 429 with a minute to wait did not come back as an error")
	}
	_ = e.clock.Sleep(context.Background(), 61*time.Second) // the minute passes
	if _, _, err := c.ListOrders(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP hookstream_provider_api_requests_total Provider API calls by provider, endpoint and HTTP status (429: rate limited; error: no answer).
# TYPE hookstream_provider_api_requests_total counter
hookstream_provider_api_requests_total{endpoint="/orders",provider="shipstation",status="200"} 2
hookstream_provider_api_requests_total{endpoint="/orders",provider="shipstation",status="429"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hookstream_provider_api_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "hookstream_provider_api_request_duration_seconds"); n != 1 {
		t.Errorf("%d latency series, want 1 (/orders)", n)
	}
	if n := testutil.CollectAndCount(reg, "hookstream_provider_api_budget_remaining"); n != 1 {
		t.Errorf("%d budget series, want 1 (the primary key)", n)
	}

	// A named account's client beside it: its budget has a series of its
	// own, the other series are shared.
	east := e.client(t, func(cfg *shipstation.ClientConfig) { cfg.Metrics, cfg.Account = reg, "east" })
	if _, _, err := east.ListOrders(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"primary", "east/primary"} {
		if v, ok := budgetRemaining(t, reg, key); !ok || v <= 0 {
			t.Errorf("budget remaining of key %s = %v (series found: %v), want the sandbox's figure", key, v, ok)
		}
	}
}

// budgetRemaining is the hookstream_provider_api_budget_remaining value
// of key in reg; ok is false when there is no such series.
func budgetRemaining(t *testing.T, reg *prometheus.Registry, key string) (v float64, ok bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "hookstream_provider_api_budget_remaining" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "key" && l.GetValue() == key {
					return m.GetGauge().GetValue(), true
				}
			}
		}
	}
	return 0, false
}
