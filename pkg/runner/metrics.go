package runner

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcome label values of hookstream_consumer_messages_total.
const (
	// OutcomeAck: the handler succeeded and the ack was confirmed.
	OutcomeAck = "ack"
	// OutcomeRetry: the message was nak'd with a delay (retryable error, a
	// failed DLQ copy, or a drain that cancelled its handler).
	OutcomeRetry = "retry"
	// OutcomeDLQ: a permanent error (or an undecodable event) sent the
	// message to the DLQ, then TermWithReason.
	OutcomeDLQ = "dlq"
	// OutcomeTerm: retries were exhausted on the last allowed delivery; the
	// message was copied to the DLQ, then Term.
	OutcomeTerm = "term"
)

// Source label values of hookstream_consumer_dlq_copies_total.
const (
	// SourceRunner: the runner copied a message it was handling.
	SourceRunner = "runner"
	// SourceAdvisory: the max-deliveries advisory listener copied a message
	// whose last delivery was never settled (the process died).
	SourceAdvisory = "advisory"
	// SourceOwed: a message recorded as owed to the DLQ (its copy failed on
	// the last delivery) was copied at start-up.
	SourceOwed = "owed"
)

// metrics are a runner's Prometheus collectors. Several runners may share
// one registry (hookstream dev runs every service in one process): the
// vectors are registered once and shared, labelled by consumer.
type metrics struct {
	messages        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	ackPending      *prometheus.GaugeVec
	maxAckPending   *prometheus.GaugeVec
	dlqCopies       *prometheus.CounterVec
	dlqCopyFailures *prometheus.CounterVec
	pending         *prometheus.GaugeVec
	age             *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_consumer_messages_total",
			Help: "Messages settled by the consumer runner, by outcome (ack, retry, dlq, term).",
		}, []string{"consumer", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookstream_consumer_handler_duration_seconds",
			Help:    "Time spent in one handler call.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"consumer"}),
		ackPending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookstream_consumer_ack_pending",
			Help: "Messages delivered and not yet acknowledged (consumer info, refreshed every few seconds). " +
				"When it reaches hookstream_consumer_max_ack_pending the server stops delivering.",
		}, []string{"consumer"}),
		maxAckPending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookstream_consumer_max_ack_pending",
			Help: "The consumer's MaxAckPending setting.",
		}, []string{"consumer"}),
		dlqCopies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_consumer_dlq_copies_total",
			Help: "Messages newly stored in the DLQ, by who copied them (runner, advisory, owed).",
		}, []string{"consumer", "source"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookstream_consumer_pending",
			Help: "Messages in the stream the consumer has not been delivered yet: its lag (consumer info, refreshed every few seconds).",
		}, []string{"consumer"}),
		age: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookstream_consumer_event_age_seconds",
			Help:    "How old an event is when its handler starts: now minus its ce-time (for a webhook, when the provider or the gateway dated it).",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400},
		}, []string{"consumer"}),
		dlqCopyFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookstream_consumer_dlq_copy_failures_total",
			Help: "DLQ copies that failed (the DLQ stream full or unavailable). On a last delivery the message is kept and recorded in the dlq_owed bucket.",
		}, []string{"consumer"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.messages = register(reg, m.messages, &err)
	m.duration = register(reg, m.duration, &err)
	m.ackPending = register(reg, m.ackPending, &err)
	m.maxAckPending = register(reg, m.maxAckPending, &err)
	m.dlqCopies = register(reg, m.dlqCopies, &err)
	m.dlqCopyFailures = register(reg, m.dlqCopyFailures, &err)
	m.pending = register(reg, m.pending, &err)
	m.age = register(reg, m.age, &err)
	return m, err
}

// register registers c, or returns the identical collector another runner
// already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		*errp = errors.Join(*errp, err)
	}
	return c
}
