// Package streams defines hookstream's JetStream streams once: WEBHOOKS,
// the canonical streams (ORDERS, SHIPMENTS, FULFILLMENT) and the shape they
// share. Services apply the definitions idempotently at start-up with
// [Ensure], waiting for NATS with [Provision]; `hookstream streams` prints
// them as the JSON `nats stream add --config` reads.
package streams

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
)

// Defaults for the WEBHOOKS stream.
const (
	// DefaultDuplicateWindow is how long JetStream remembers a Nats-Msg-Id.
	//
	// One hour covers the retries that matter for the gateway: a provider
	// that timed out waiting for our answer and sends the same delivery again
	// within minutes. The window costs server memory in proportion to
	// rate × window (one id per message), so it is not stretched to cover
	// SHOPLINE's 48 hours of retries; a later duplicate is stored again and
	// the consumers' versioned, idempotent state changes make it a no-op.
	DefaultDuplicateWindow = time.Hour
	// DefaultWebhooksMaxAge keeps raw webhooks a week, for replay.
	DefaultWebhooksMaxAge = 7 * 24 * time.Hour
	// DefaultCanonicalMaxAge keeps canonical events 30 days; their latest
	// state also lives in a KV bucket.
	DefaultCanonicalMaxAge = 30 * 24 * time.Hour
)

// Options tunes the limits of a stream; zero values take defaults.
type Options struct {
	// Replicas is the number of copies in a cluster (1, or 3 in production).
	Replicas int
	// MaxAge is how long messages are kept.
	MaxAge time.Duration
	// MaxBytes caps the stream's size; when it is reached, publishes are
	// refused (Discard: new) and the gateway answers 503, so the provider
	// retries instead of an old message being dropped. 0 means no cap.
	MaxBytes int64
	// DuplicateWindow is the de-duplication window.
	DuplicateWindow time.Duration
}

// The REPLAY stream: raw webhooks sent again to one consumer service by
// `hookstream replay`, on replay.<consumer>.<original subject>. Each
// consumer service reads its own replay.<consumer>.> with the same handler
// as WEBHOOKS, so a replayed webhook takes the normal path and only the
// consumer it was meant for sees it.
const (
	// ReplayName is the replay stream.
	ReplayName = "REPLAY"
	// ReplayPrefix is the first token of every replay subject.
	ReplayPrefix = "replay"
)

// ReplaySubject is the subject of webhook subject replayed to consumer.
func ReplaySubject(consumer, subject string) string {
	return ReplayPrefix + "." + consumer + "." + subject
}

// Replay returns the definition of the REPLAY stream: like WEBHOOKS
// (file-backed, Discard: new, the same retention), without batches.
func Replay(o Options) jetstream.StreamConfig {
	cfg := Webhooks(o)
	cfg.Name, cfg.Subjects = ReplayName, []string{ReplayPrefix + ".>"}
	cfg.Description = "Raw webhooks sent again to one consumer service by hookstream replay, on replay.<consumer>.<original subject>"
	cfg.AllowBatchPublish, cfg.AllowAtomicPublish = false, false
	return cfg
}

// Webhooks returns the definition of the WEBHOOKS stream: verified raw
// webhooks as CloudEvents, file-backed, never discarding old messages to
// make room.
func Webhooks(o Options) jetstream.StreamConfig {
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultWebhooksMaxAge
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = DefaultDuplicateWindow
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = -1
	}
	return jetstream.StreamConfig{
		Name:        catalog.StreamWebhooks,
		Description: "Verified provider webhooks as CloudEvents; data is the body unchanged",
		Subjects:    []string{"webhooks.>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxAge:      o.MaxAge,
		MaxBytes:    o.MaxBytes,
		MaxMsgs:     -1,
		Duplicates:  o.DuplicateWindow,
		Replicas:    o.Replicas,
		// The gateway group-commits its publishes as fast-ingest or, with
		// GATEWAY_PUBLISH_ATOMIC, atomic batches (groupcommit.Publisher).
		AllowBatchPublish:  true,
		AllowAtomicPublish: true,
	}
}

// Orders returns the definition of the ORDERS stream: canonical
// orders published by the order-enricher. Like WEBHOOKS it refuses new
// messages when full rather than dropping old ones.
func Orders(o Options) jetstream.StreamConfig {
	return DiscardNew(catalog.StreamOrders, "orders.>", "Canonical orders (dev.hookstream.order.*) from the order-enricher", o)
}

// Shipments returns the definition of the SHIPMENTS stream:
// canonical shipments published by the shipment-tracker.
func Shipments(o Options) jetstream.StreamConfig {
	return DiscardNew(catalog.StreamShipments, "shipments.>", "Canonical shipments (dev.hookstream.shipment.*) from the shipment-tracker", o)
}

// Fulfillment returns the definition of the FULFILLMENT stream:
// holds, releases, rejections and overdue alerts from fulfillment-holds.
func Fulfillment(o Options) jetstream.StreamConfig {
	return DiscardNew(catalog.StreamFulfillment, "fulfillment.>", "Fulfillment holds (dev.hookstream.fulfillment.*) from fulfillment-holds", o)
}

// DiscardNew is the shape every stream of canonical events shares.
func DiscardNew(name, subjects, description string, o Options) jetstream.StreamConfig {
	cfg := Webhooks(o)
	cfg.Name, cfg.Subjects, cfg.Description = name, []string{subjects}, description
	cfg.AllowBatchPublish, cfg.AllowAtomicPublish = false, false
	if o.MaxAge <= 0 {
		cfg.MaxAge = DefaultCanonicalMaxAge
	}
	return cfg
}

// Manager is the part of jetstream.JetStream that Ensure needs.
type Manager interface {
	CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error)
}

// Ensure creates or updates each stream so that it matches its definition.
// It is safe to call from every replica of every service at start-up.
func Ensure(ctx context.Context, js Manager, streams ...jetstream.StreamConfig) error {
	for _, cfg := range streams {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("streams: ensure stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// Provision runs provision (creating streams and buckets) until it
// succeeds or ctx ends, a second between attempts, each attempt bounded to
// five seconds. A service started beside a NATS server that is not up yet
// waits for it instead of exiting.
func Provision(ctx context.Context, log *zap.Logger, provision func(ctx context.Context) error) error {
	for {
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := provision(attempt)
		cancel()
		if err == nil {
			return nil
		}
		log.Warn("streams not provisioned yet; retrying", zap.Error(err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// SubjectMatches reports whether subject (no wildcards) matches filter,
// whose tokens may be * (one token) or a final > (one or more).
func SubjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		switch {
		case tok == ">":
			return i == len(f)-1 && len(s) > i
		case i >= len(s):
			return false
		case tok != "*" && tok != s[i]:
			return false
		}
	}
	return len(f) == len(s)
}
