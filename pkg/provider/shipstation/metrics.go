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
// ("error" when no answer came), its latency, and the budget ShipStation
// says is left. Label sets are bounded.
type apiMetrics struct {
	calls     *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	remaining *prometheus.GaugeVec
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
			Help: "Requests the provider says are left in the current rate-limit window (X-Rate-Limit-Remaining), by API key (primary, secondary).",
		}, []string{"provider", "key"}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.calls, m.latency, m.remaining} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				errs = append(errs, err)
				continue
			}
			// Another client in the process (hookstream dev) registered
			// them: share its collectors.
			switch existing := are.ExistingCollector.(type) {
			case *prometheus.CounterVec:
				m.calls = existing
			case *prometheus.HistogramVec:
				m.latency = existing
			case *prometheus.GaugeVec:
				m.remaining = existing
			}
		}
	}
	return m, errors.Join(errs...)
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
