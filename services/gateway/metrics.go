package gateway

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream/pkg/obs"
)

// metrics are the gateway's Prometheus series.
type metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	publish      prometheus.Histogram
	batch        prometheus.Histogram
	duplicates   *prometheus.CounterVec
	uncatalogued *prometheus.CounterVec
	tokenMemory  prometheus.Counter
}

func newMetrics(routes []*route) *metrics {
	m := &metrics{
		registry: obs.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_gateway_requests_total",
			Help: "Webhook requests by route and HTTP status.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookstream_gateway_request_duration_seconds",
			Help:    "Time from request to answer, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"route"}),
		publish: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookstream_gateway_publish_duration_seconds",
			Help:    "Time waiting for JetStream's PubAck.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookstream_gateway_publish_batch_size",
			Help:    "Messages per JetStream batch: requests that arrived while the previous batch was being stored share one acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9),
		}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_gateway_duplicates_total",
			Help: "Webhooks JetStream already had (provider retries), answered 200 and not stored again.",
		}, []string{"route"}),
		uncatalogued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_gateway_uncatalogued_total",
			Help: "Authenticated webhooks whose event is not in the catalog, stored by rule (the log names the subject; " +
				"a label of it would let a sender make series without end).",
		}, []string{"provider"}),
	}
	m.tokenMemory = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hookstream_gateway_snipcart_token_memory_errors_total",
		Help: "Reads and writes of the shared memory of validated Snipcart tokens (KV bucket snipcart_tokens) that failed. " +
			"A failed read answers 503; a failed write leaves the token remembered by this replica only.",
	})
	m.registry.MustRegister(m.requests, m.duration, m.publish, m.batch, m.duplicates, m.uncatalogued, m.tokenMemory)
	for _, rt := range routes { // series exist from the start, so rates work
		rt.stored = m.requests.WithLabelValues(rt.label, "200")
		rt.took = m.duration.WithLabelValues(rt.label)
	}
	return m
}

func (m *metrics) observe(rt *route, code int, d time.Duration) {
	if code == http.StatusOK {
		rt.stored.Inc()
	} else {
		m.requests.WithLabelValues(rt.label, strconv.Itoa(code)).Inc()
	}
	rt.took.Observe(d.Seconds())
}

func (m *metrics) observeBatch(size int, _ time.Duration) { m.batch.Observe(float64(size)) }
