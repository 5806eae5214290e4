package state

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket names.
const (
	// BucketOrders holds the newest canonical order per order.
	BucketOrders = "orders"
	// BucketShipments holds the newest canonical shipment per shipment and
	// an index of shipments per order.
	BucketShipments = "shipments"
	// BucketHolds holds the newest fulfillment-hold record per fulfillment
	// order.
	BucketHolds = "holds"
)

// BucketOptions tunes a state bucket; zero values take defaults.
type BucketOptions struct {
	// Replicas is the number of copies in a cluster.
	Replicas int
	// History is how many revisions of a key are kept (default 5), so an
	// operator can see how a record got where it is.
	History uint8
}

// Bucket returns the definition of a file-backed KV bucket for the
// records of a consumer.
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
