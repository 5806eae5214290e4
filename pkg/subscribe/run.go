package subscribe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/runner"
)

// Handler handles one canonical event. Its result is the runner's ack
// contract (see the package comment): nil acks, runner.Permanent sends the
// message to the DLQ, anything else redelivers it later. ctx ends after the
// runner's HandlerTimeout (default 2m). Handlers run concurrently
// (Config.Consumer.Concurrency, default 16) and a message can be delivered
// more than once, so a handler must be idempotent, or be wrapped in
// NewestOnly.
type Handler func(ctx context.Context, e Event) error

// Config is a subscriber's durable consumer.
type Config struct {
	// Durable names the durable consumer, shared by every replica of the
	// subscriber: its position in the stream survives restarts. It is also
	// the second token of the subscriber's DLQ entries,
	// dlq.<Durable>.<subject>. Required; no dots, wildcards or whitespace.
	Durable string
	// FilterSubjects are the canonical events to receive, e.g. "orders.>",
	// "shipments.shipstation.>" or "fulfillment.*.hold_overdue.>". A
	// canonical subject ends with its entity's key, so a filter must end
	// in ">" or name at least four tokens. Required.
	FilterSubjects []string
	// Stream is the stream to consume. Default: the canonical stream of
	// the filters' first token (orders → ORDERS, shipments → SHIPMENTS,
	// fulfillment → FULFILLMENT); required when a filter starts with a
	// wildcard, and every filter must belong to the one stream.
	Stream string
	// Consumer tunes the runner: MaxDeliver (default 8), BackOff (1s, 5s,
	// 30s, 2m, 5m, 10m, 15m), AckWait (30s), MaxAckPending (1000),
	// Concurrency (16), HandlerTimeout (2m), DrainTimeout (30s) and the DLQ
	// stream's limits when it has to be created. Its Stream, Durable and
	// FilterSubjects are ignored: they come from the fields above.
	Consumer runner.Config
	// Log receives the runner's logs. Default: none.
	Log *zap.Logger
	// Metrics registers the runner's hookstream_consumer_* metrics.
	// Default: none.
	Metrics prometheus.Registerer
}

// runnerConfig returns the runner configuration for c.
func (c Config) runnerConfig() (runner.Config, error) {
	if len(c.FilterSubjects) == 0 {
		return runner.Config{}, errors.New("subscribe: FilterSubjects is required (e.g. \"orders.>\")")
	}
	stream := c.Stream
	for _, f := range c.FilterSubjects {
		tokens := strings.Split(f, ".")
		if len(tokens) < 4 && tokens[len(tokens)-1] != ">" {
			return runner.Config{}, fmt.Errorf("subscribe: filter %q matches no canonical event: their subjects end with the entity's key, add \".>\"", f)
		}
		s, ok := canonicalStreams[tokens[0]]
		switch {
		case !ok && c.Stream == "":
			return runner.Config{}, fmt.Errorf("subscribe: filter %q names no canonical stream (orders, shipments, fulfillment); set Stream", f)
		case !ok:
		case stream == "":
			stream = s
		case s != stream:
			return runner.Config{}, fmt.Errorf("subscribe: filter %q is on stream %s, not %s; run one consumer per stream", f, s, stream)
		}
	}
	rc := c.Consumer
	rc.Stream, rc.Durable, rc.FilterSubjects = stream, c.Durable, slices.Clone(c.FilterSubjects)
	return rc, nil
}

// canonicalStreams maps a canonical subject's first token to its stream,
// from the catalog.
var canonicalStreams = func() map[string]string {
	m := map[string]string{}
	for _, et := range catalog.All() {
		if et.Canonical() {
			root, _, _ := strings.Cut(et.Subject, ".")
			m[root] = et.Stream
		}
	}
	return m
}()

// Run runs h on the durable consumer cfg describes until ctx is cancelled,
// then drains (waits up to Consumer.DrainTimeout for running handlers). It
// creates the consumer, or updates it to cfg, and the DLQ stream when it is
// missing; it waits while JetStream or the stream is unavailable (a
// subscriber may start before hookstream) and returns at once for a
// configuration the server refuses. It returns nil after a clean drain and
// an error wrapping runner.ErrDrainTimeout when handlers had to be
// cancelled.
//
// Every message is decoded with Decode before h sees it; one that is not a
// canonical event is copied to the DLQ (dlq.<Durable>.<subject>) and
// terminated without reaching h.
//
// js's connection decides who the subscriber is: connect with its
// credentials and, when its account restricts replies, its inbox prefix
// (nats.CustomInboxPrefix).
func Run(ctx context.Context, js jetstream.JetStream, cfg Config, h Handler) error {
	if h == nil {
		return errors.New("subscribe: Run needs a Handler")
	}
	rc, err := cfg.runnerConfig()
	if err != nil {
		return err
	}
	r, err := runner.New(js, rc, func(ctx context.Context, m *runner.Message) error {
		e, err := fromCloudEvent(m.Subject, m.Event)
		if err != nil {
			return runner.Permanent(err)
		}
		e.StreamSeq, e.Attempt = m.StreamSeq, m.Attempt
		return h(ctx, e)
	}, cfg.Log, cfg.Metrics)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return r.Run(ctx)
}
