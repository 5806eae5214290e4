package shipmenttracker

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
const Source = "/hookstream/shipment-tracker"

// FilterSubjects are the webhooks the service consumes.
var FilterSubjects = []string{
	"webhooks.shipstation.ship_notify",
	"webhooks.shipstation.item_ship_notify",
	"webhooks.shipstation.fulfillment_shipped",
	"webhooks.snipcart.order.tracking_number.changed",
}

// Service is a running shipment-tracker. Build it with New; Run blocks.
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
		return nil, fmt.Errorf("shipment-tracker: jetstream: %w", err)
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
			return nil, fmt.Errorf("shipment-tracker: %w", err)
		}
	}
	consumer := cfg.Consumer
	consumer.Stream, consumer.Durable, consumer.FilterSubjects = catalog.StreamWebhooks, Durable, FilterSubjects
	if s.runner, err = jsx.NewRunner(js, consumer, s.Handle, log, s.registry); err != nil {
		return nil, fmt.Errorf("shipment-tracker: %w", err)
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
// writes: SHIPMENTS, DLQ and the shipments bucket.
func (s *Service) Provision(ctx context.Context) error {
	if err := jsx.Ensure(ctx, s.js, jsx.ShipmentsStream(s.cfg.Shipments), jsx.DLQStream(jsx.StreamOptions{Replicas: s.cfg.Shipments.Replicas})); err != nil {
		return err
	}
	kv, err := jsx.EnsureBucket(ctx, s.js, jsx.StateBucket(jsx.BucketShipments,
		"Latest canonical shipment per shipment (key <provider>.<external id>) and the shipment ids of each order (key order.<provider>.<external order id>)",
		jsx.KVOptions{Replicas: s.cfg.Shipments.Replicas}))
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
		return fmt.Errorf("shipment-tracker: %w", err)
	}
	return <-healthErr
}
