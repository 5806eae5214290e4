package fulfillmentholds

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
const Source = "/hookstream/fulfillment-holds"

// FilterSubjects are the webhooks the service consumes.
var FilterSubjects = []string{
	"webhooks.shopline.fulfillment_order.>",
	"webhooks.shipstation.fulfillment_rejected",
	"webhooks.shipstation.fulfillment_rejected_v2",
}

// TimerFilterSubjects are the fired overdue timers the service consumes.
var TimerFilterSubjects = []string{HoldTimerFiredPrefix + ">"}

// Service is a running fulfillment-holds: two consumers in one frame, the
// webhooks (Handle) and the fired overdue timers (HandleTimer). Build it
// with New; Run blocks.
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
		Streams:        []jetstream.StreamConfig{streams.Fulfillment(cfg.Fulfillment), HoldTimersStream(cfg.Timers)},
		Bucket: state.Bucket(state.BucketHolds,
			"Latest fulfillment hold per fulfillment order (key <provider>.<shop>.<fulfillment order id>)", state.BucketOptions{}),
		Events: state.Kind{Root: "fulfillment", Stream: catalog.StreamFulfillment, Source: Source},
	}, s.Handle, log)
	if err != nil {
		return nil, err
	}
	fired := cfg.Consumer
	fired.Stream, fired.Durable, fired.FilterSubjects = StreamHoldTimers, TimersDurable, TimerFilterSubjects
	if err := s.frame.AddRunner(fired, s.HandleTimer); err != nil {
		return nil, err
	}
	return s, nil
}

// Run provisions the service's streams and bucket (waiting for NATS if
// need be), serves its health endpoints and runs its consumers until ctx
// is cancelled, then drains: see consumer.Frame.Run.
func (s *Service) Run(ctx context.Context) error { return s.frame.Run(ctx) }

// Provision creates or updates the service's streams, the DLQ and its
// bucket; Run does it first. Tests call it to prepare without running.
func (s *Service) Provision(ctx context.Context) error { return s.frame.Provision(ctx) }
