package shipstation

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// apiMetrics are the client's Prometheus collectors: every API call by
// endpoint (the collection path, never a value from a request) and status
// ("error" when no answer came), its latency, the budget ShipStation says
// is left, and the client's own budget: waits for it by caller (webhook,
// background), what the shared budget has left, whether a key is on the
// local fallback. Label sets are bounded.
type apiMetrics struct {
	calls           *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	remaining       *prometheus.GaugeVec
	waits           *prometheus.CounterVec
	waitSeconds     *prometheus.CounterVec
	sharedRemaining *prometheus.GaugeVec
	fallbackKeys    *prometheus.GaugeVec
}

// endpoints are the paths the clients call; anything else is "other".
var endpoints = []string{"/orders", "/shipments", "/fulfillments", "/v2/fulfillments", "/v2/sales_orders"}

func newAPIMetrics(reg prometheus.Registerer) (*apiMetrics, error) {
	m := &apiMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_provider_api_requests_total",
			Help: "Provider API calls by provider, endpoint and HTTP status (429: rate limited; error: no answer).",
		}, []string{"provider", "endpoint", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookstream_provider_api_request_duration_seconds",
			Help:    "Time from a provider API request to its answer's headers.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}, []string{"provider", "endpoint"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookstream_provider_api_budget_remaining",
			Help: "Requests the provider says are left in the current rate-limit window (X-Rate-Limit-Remaining), by API key (primary, secondary; <account>/primary, <account>/secondary for a named account).",
		}, []string{"provider", "key"}),
	}
	m.waits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_provider_api_budget_waits_total",
		Help: "Requests that waited for the API budget, by caller (webhook, background) and outcome (waited: in the process; deferred: handed back to be retried later).",
	}, []string{"provider", "caller", "outcome"})
	m.waitSeconds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_provider_api_budget_wait_seconds_total",
		Help: "Time requests spent waiting for the API budget, by caller (webhook, background).",
	}, []string{"provider", "caller"})
	m.sharedRemaining = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hookstream_provider_api_budget_shared_remaining",
		Help: "Requests the budget shared by every process had left in the window after this process's last request, by API key (primary, secondary; <account>/primary, <account>/secondary for a named account).",
	}, []string{"provider", "key"})
	m.fallbackKeys = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hookstream_provider_api_budget_fallback",
		Help: "1 while the shared API budget bucket cannot be used and the process keeps to its own fallback limit, by API key (primary, secondary; <account>/primary, <account>/secondary for a named account).",
	}, []string{"provider", "key"})
	if reg == nil {
		return m, nil
	}
	// Another client in the process (hookstream dev) may have registered
	// them: share its collectors.
	return m, errors.Join(
		share(reg, &m.calls), share(reg, &m.latency), share(reg, &m.remaining),
		share(reg, &m.waits), share(reg, &m.waitSeconds), share(reg, &m.sharedRemaining), share(reg, &m.fallbackKeys))
}

// share registers *c, or replaces it with the collector of the same name
// registered before.
func share[C prometheus.Collector](reg prometheus.Registerer, c *C) error {
	err := reg.Register(*c)
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		return err
	}
	existing, ok := are.ExistingCollector.(C)
	if !ok {
		return err
	}
	*c = existing
	return nil
}

// budgetWait records a request that waited for the budget.
func (m *apiMetrics) budgetWait(caller, outcome string, d time.Duration) {
	m.waits.WithLabelValues("shipstation", caller, outcome).Inc()
	m.waitSeconds.WithLabelValues("shipstation", caller).Add(max(d, 0).Seconds())
}

// sharedLeft records what the shared budget had left after a grant.
func (m *apiMetrics) sharedLeft(key string, n int) {
	m.sharedRemaining.WithLabelValues("shipstation", key).Set(float64(n))
}

// fallback records a key entering (true) or leaving the local fallback.
func (m *apiMetrics) fallback(key string, on bool) {
	v := 0.0
	if on {
		v = 1
	}
	m.fallbackKeys.WithLabelValues("shipstation", key).Set(v)
}

// observe records one call to target with key: its answer (nil when none
// came) and how long it took.
func (m *apiMetrics) observe(target, key string, resp *http.Response, took time.Duration) {
	m.observeAs("shipstation", target, key, resp, took)
}

// observeAs is observe under the provider label provider ("shipstation" for
// the V1 API, "shipstation_v2" for the V2 API).
func (m *apiMetrics) observeAs(provider, target, key string, resp *http.Response, took time.Duration) {
	endpoint := "other"
	if u, err := url.Parse(target); err == nil {
		for _, e := range endpoints {
			if u.Path == e {
				endpoint = e
			}
		}
	}
	status := "error"
	if resp != nil {
		status = strconv.Itoa(resp.StatusCode)
		if n, err := strconv.Atoi(resp.Header.Get(HeaderRateRemaining)); err == nil {
			m.remaining.WithLabelValues(provider, key).Set(float64(n))
		}
	}
	m.calls.WithLabelValues(provider, endpoint, status).Inc()
	m.latency.WithLabelValues(provider, endpoint).Observe(took.Seconds())
}
