package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bucket names.
const (
	// BucketOrders holds the latest canonical order per order.
	BucketOrders = "orders"
	// BucketShipments holds the latest canonical shipment per shipment and
	// an index of shipments per order.
	BucketShipments = "shipments"
	// BucketHolds holds the latest fulfillment-hold record per fulfillment
	// order.
	BucketHolds = "holds"
)

// CallTimeout bounds each JetStream call Update makes. A request that
// reached a server that then died is never answered; without a bound the
// handler would wait for its own deadline (CONSUMER_HANDLER_TIMEOUT,
// minutes) before the message is retried on a live server.
const CallTimeout = 10 * time.Second

// bounded runs one JetStream call with CallTimeout.
func bounded[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	return call(ctx)
}

// maxConflicts bounds how often Update starts again after losing a
// compare-and-set race before it gives up (the message is then retried).
const maxConflicts = 16

// Change is what a Decide function wants done to a record.
type Change struct {
	// Value is the new record.
	Value []byte
	// Event, when not nil, is published (and acknowledged by JetStream)
	// before the record is written. Its Nats-Msg-Id must be deterministic
	// for the change (key and version), so that a retry after a crash
	// between publish and write is de-duplicated.
	Event *nats.Msg
}

// Decide looks at the current record (nil when there is none) and returns
// the change to make, or nil when the incoming data is not newer than the
// record and nothing is to be done.
type Decide func(current []byte) (*Change, error)

// Store is the part of a KV bucket Update needs.
type Store interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
}

// Publisher is the part of jetstream.JetStream Update needs.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Update changes one record in the order-safe sequence every consumer
// follows, so that redelivery and reordering end in the same state and
// publish no second event:
//
//  1. read the current record and its revision;
//  2. decide: if the incoming version is not newer, stop (applied false);
//  3. publish the output event with its deterministic Nats-Msg-Id;
//  4. write the record with compare-and-set on the revision from step 1;
//     when another writer got there first, start again at step 1;
//  5. the caller acks the message.
//
// A crash between any two steps leads to a redelivery that ends in the same
// state: the event is published again under the same id and de-duplicated.
func Update(ctx context.Context, js Publisher, kv Store, key string, decide Decide) (applied bool, err error) {
	for range maxConflicts {
		var (
			current  []byte
			revision uint64
		)
		entry, err := bounded(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return kv.Get(ctx, key) })
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return false, fmt.Errorf("state: read %s: %w", key, err)
		default:
			current, revision = entry.Value(), entry.Revision()
		}
		change, err := decide(current)
		if err != nil || change == nil {
			return false, err
		}
		if change.Event != nil {
			if _, err := bounded(ctx, func(ctx context.Context) (*jetstream.PubAck, error) { return js.PublishMsg(ctx, change.Event) }); err != nil {
				return false, fmt.Errorf("state: publish %s: %w", change.Event.Subject, err)
			}
		}
		_, err = bounded(ctx, func(ctx context.Context) (uint64, error) {
			if revision == 0 {
				return kv.Create(ctx, key, change.Value)
			}
			return kv.Update(ctx, key, change.Value, revision)
		})
		if err == nil {
			return true, nil
		}
		if !isConflict(err) {
			return false, fmt.Errorf("state: write %s: %w", key, err)
		}
	}
	return false, fmt.Errorf("state: %s changed under us %d times in a row", key, maxConflicts)
}

// isConflict reports a lost compare-and-set: the key was created or
// updated by someone else since it was read.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence)
}

// BucketOptions tunes a state bucket; zero values take defaults.
type BucketOptions struct {
	// Replicas is the number of copies in a cluster.
	Replicas int
	// History is how many revisions of a key are kept (default 5), so an
	// operator can see how a record got where it is.
	History uint8
}

// Bucket returns the definition of a file-backed KV bucket for the
// latest state of a consumer's records.
func Bucket(name, description string, o BucketOptions) jetstream.KeyValueConfig {
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.History == 0 {
		o.History = 5
	}
	return jetstream.KeyValueConfig{
		Bucket:      name,
		Description: description,
		History:     o.History,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
	}
}

// BucketManager is the part of jetstream.JetStream EnsureBucket needs.
type BucketManager interface {
	CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error)
}

// EnsureBucket creates or updates a KV bucket and returns it.
func EnsureBucket(ctx context.Context, js BucketManager, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("state: ensure bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}
