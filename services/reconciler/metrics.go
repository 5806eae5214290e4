package reconciler

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the reconciler's own; labels are bounded: provider and kind
// (orders, shipments, voids, fulfillments).
type metrics struct {
	found       *prometheus.CounterVec
	listed      *prometheus.CounterVec
	runs        *prometheus.CounterVec
	errors      *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	leaseHeld   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"provider", "kind"}
	m := &metrics{
		found: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_reconcile_found_total",
			Help: "Resources found only by reconciliation: changes whose webhook the provider did not deliver (or not within RECONCILE_SETTLE).",
		}, labels),
		listed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_reconcile_listed_total",
			Help: "Resources the provider's list API returned, found or already held.",
		}, labels),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_reconcile_runs_total",
			Help: "Reconciliation windows attempted.",
		}, labels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_reconcile_errors_total",
			Help: "Reconciliation windows that failed (the checkpoint stays; the next run retries the window).",
		}, labels),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookstream_reconcile_last_success_timestamp_seconds",
			Help: "Unix time of the end of the last window reconciled completely: alert when it lags.",
		}, labels),
		leaseHeld: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hookstream_reconcile_lease_held",
			Help: "1 while this replica holds the reconciliation lease and works, 0 while another one does.",
		}),
	}
	reg.MustRegister(m.found, m.listed, m.runs, m.errors, m.lastSuccess, m.leaseHeld)
	return m
}
