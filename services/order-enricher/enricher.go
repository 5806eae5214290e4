// Package orderenricher is hookstream's order-enricher: it turns order
// webhooks into canonical orders. For a ShipStation ORDER_NOTIFY or
// ITEM_ORDER_NOTIFY it fetches the import batch the webhook's resource_url
// names from ShipStation's API and publishes one orders.shipstation.upserted
// per order (for a SALES_ORDERS_IMPORTED_V2, the sales orders from the V2
// API, one per sales order); a Snipcart order event carries the whole order and is
// normalised without any API call, and so is a SHOPLINE orders/* webhook
// (orders/delete makes the order cancelled, raw status "deleted", for
// good); Snipcart refunds and notifications attach to the order they name,
// also when they arrive before it.
//
// The latest state of every order is in the KV bucket "orders" (key
// <provider>.<external id>), changed only through state.Store.Apply, so
// redelivered and reordered webhooks publish no second event and never roll
// an order back.
package orderenricher

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
)

// Source is the ce-source of the events this service publishes.
const Source = "/hookstream/order-enricher"

// Service is a running order-enricher. Build it with New; Run blocks.
type Service struct {
	frame  *consumer.Frame
	cfg    Config
	routes *consumer.Routes
}

// New builds the service on nc. It does not touch the network.
func New(cfg Config, nc *nats.Conn, log *zap.Logger) (*Service, error) {
	s := &Service{cfg: cfg}
	s.routes = s.webhooks()
	var err error
	s.frame, err = consumer.New(nc, cfg.Settings, consumer.Spec{
		Name:     Durable,
		Webhooks: s.routes,
		Streams:  []jetstream.StreamConfig{streams.Orders(cfg.Orders)},
		Bucket:   state.Bucket(state.BucketOrders, "Latest canonical order per order (key <provider>.<external id>)", state.BucketOptions{}),
		Events:   state.Kind{Root: "orders", Stream: catalog.StreamOrders, Source: Source},
	}, log)
	return s, err
}

// Run provisions the service's streams and bucket (waiting for NATS if
// need be), serves its health endpoints and runs its consumers until ctx
// is cancelled, then drains: see consumer.Frame.Run.
func (s *Service) Run(ctx context.Context) error { return s.frame.Run(ctx) }

// Provision creates or updates the service's streams, the DLQ and its
// bucket; Run does it first. Tests call it to prepare without running.
func (s *Service) Provision(ctx context.Context) error { return s.frame.Provision(ctx) }
