package shipmenttracker

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
const Source = "/hookstream/shipment-tracker"

// FilterSubjects are the webhooks the service consumes.
var FilterSubjects = []string{
	"webhooks.shipstation.ship_notify",
	"webhooks.shipstation.item_ship_notify",
	"webhooks.shipstation.fulfillment_shipped",
	"webhooks.shipstation.fulfillment_shipped_v2",
	"webhooks.snipcart.order.tracking_number.changed",
	"webhooks.shopline.fulfillments.>",
}

// Service is a running shipment-tracker. Build it with New; Run blocks.
type Service struct {
	frame *consumer.Frame
	cfg   Config
}

// New builds the service on nc. It does not touch the network.
func New(cfg Config, nc *nats.Conn, log *zap.Logger) (*Service, error) {
	s := &Service{cfg: cfg}
	var err error
	s.frame, err = consumer.New(nc, cfg.Settings, consumer.Spec{
		Name:           Durable,
		FilterSubjects: FilterSubjects,
		Streams:        []jetstream.StreamConfig{streams.Shipments(cfg.Shipments)},
		Bucket: state.Bucket(state.BucketShipments,
			"Latest canonical shipment per shipment (key <provider>.<external id>) and the shipment ids of each order (key order.<provider>.<external order id>)",
			state.BucketOptions{}),
		Events: state.Kind{Root: "shipments", Stream: catalog.StreamShipments, Source: Source},
	}, s.Handle, log)
	return s, err
}

// Run provisions the service's streams and bucket (waiting for NATS if
// need be), serves its health endpoints and runs its consumers until ctx
// is cancelled, then drains: see consumer.Frame.Run.
func (s *Service) Run(ctx context.Context) error { return s.frame.Run(ctx) }

// Provision creates or updates the service's streams, the DLQ and its
// bucket; Run does it first. Tests call it to prepare without running.
func (s *Service) Provision(ctx context.Context) error { return s.frame.Provision(ctx) }
