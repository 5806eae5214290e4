package shipmenttracker

import (
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
	"webhooks.snipcart.order.tracking_number.changed",
	"webhooks.shopline.fulfillments.>",
}

// Service is a running shipment-tracker. Build it with New; Run blocks.
type Service struct {
	*consumer.Frame
	cfg Config
}

// New builds the service on nc. It does not touch the network.
func New(cfg Config, nc *nats.Conn, log *zap.Logger) (*Service, error) {
	s := &Service{cfg: cfg}
	var err error
	s.Frame, err = consumer.New(nc, cfg.Settings, consumer.Spec{
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
