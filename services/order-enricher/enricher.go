// Package orderenricher is hookstream's order-enricher: it turns order
// webhooks into canonical orders. For a ShipStation ORDER_NOTIFY or
// ITEM_ORDER_NOTIFY it fetches the import batch the webhook's resource_url
// names from ShipStation's API and publishes one orders.shipstation.upserted
// per order; a Snipcart order event carries the whole order and is
// normalised without any API call; Snipcart refunds and notifications
// attach to the order they name, also when they arrive before it.
//
// The latest state of every order is in the KV bucket "orders" (key
// <provider>.<external id>), written in the order-safe sequence of
// jsx.Update, so redelivered and reordered webhooks publish no second event
// and never roll an order back.
package orderenricher

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/jsx"
	"github.com/hookstream/hookstream/pkg/obs"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// Source is the ce-source of the events this service publishes.
const Source = "/hookstream/order-enricher"

// FilterSubjects are the webhooks the service consumes.
var FilterSubjects = []string{
	"webhooks.shipstation.order_notify",
	"webhooks.shipstation.item_order_notify",
	"webhooks.snipcart.order.>",
}

// Service is a running order-enricher. Build it with New; Run blocks.
type Service struct {
	cfg      Config
	log      *zap.Logger
	nc       *nats.Conn
	js       jetstream.JetStream
	client   *shipstation.Client // nil without credentials
	registry *prometheus.Registry
	health   *obs.Health

	mu     sync.Mutex
	kv     jetstream.KeyValue // set by Provision
	runner *jsx.Runner
}

// New builds the service on nc. It does not touch the network.
func New(cfg Config, nc *nats.Conn, log *zap.Logger) (*Service, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("order-enricher: jetstream: %w", err)
	}
	s := &Service{cfg: cfg, log: log, nc: nc, js: js, registry: obs.NewRegistry()}
	if cfg.ShipStation.Key != "" {
		s.client, err = shipstation.NewClient(shipstation.ClientConfig{
			Primary:           cfg.ShipStation,
			Secondary:         cfg.ShipStationSecondary,
			BaseURL:           cfg.ShipStationAPIURL,
			Resources:         cfg.resourcePolicy(),
			RequestsPerMinute: cfg.ShipStationRequestsPerMinute,
			Logger:            log.Named("shipstation"),
		})
		if err != nil {
			return nil, fmt.Errorf("order-enricher: %w", err)
		}
	}
	consumer := cfg.Consumer
	consumer.Stream, consumer.Durable, consumer.FilterSubjects = catalog.StreamWebhooks, Durable, FilterSubjects
	if s.runner, err = jsx.NewRunner(js, consumer, s.Handle, log, s.registry); err != nil {
		return nil, fmt.Errorf("order-enricher: %w", err)
	}
	s.health = &obs.Health{Checks: map[string]obs.Check{
		"nats": func(context.Context) error {
			if st := nc.Status(); st != nats.CONNECTED {
				return fmt.Errorf("nats connection is %s", st)
			}
			return nil
		},
		"state": func(context.Context) error {
			if s.bucket() == nil {
				return errors.New("streams and bucket not provisioned yet")
			}
			return nil
		},
	}}
	return s, nil
}

// Provision creates or updates the streams and the bucket the service
// writes: ORDERS, DLQ and the orders bucket.
func (s *Service) Provision(ctx context.Context) error {
	if err := jsx.Ensure(ctx, s.js, jsx.OrdersStream(s.cfg.Orders), jsx.DLQStream(jsx.StreamOptions{Replicas: s.cfg.Orders.Replicas})); err != nil {
		return err
	}
	kv, err := jsx.EnsureBucket(ctx, s.js, jsx.StateBucket(jsx.BucketOrders,
		"Latest canonical order per order (key <provider>.<external id>)", jsx.KVOptions{Replicas: s.cfg.Orders.Replicas}))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.kv = kv
	s.mu.Unlock()
	return nil
}

func (s *Service) bucket() jetstream.KeyValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kv
}

// Run provisions (waiting for NATS if need be), serves the health
// endpoints and consumes until ctx is cancelled, then drains.
func (s *Service) Run(ctx context.Context) error {
	if err := jsx.Provision(ctx, s.log, s.Provision); err != nil {
		return nil // cancelled before NATS was reachable: nothing in flight
	}
	healthErr := make(chan error, 1)
	go func() { healthErr <- obs.ServeHealth(ctx, s.cfg.HealthAddr, s.health, s.registry, s.log) }()
	if err := s.runner.Run(ctx); err != nil {
		return fmt.Errorf("order-enricher: %w", err)
	}
	return <-healthErr
}
