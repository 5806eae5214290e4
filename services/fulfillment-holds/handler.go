package fulfillmentholds

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
)

// webhooks is the table of the webhooks the service handles: its durable
// consumer's filter subjects and Handle's dispatch both come from it, so
// handling one more catalogued webhook is one line here.
func (s *Service) webhooks() *consumer.Routes {
	return consumer.NewRoutes(Durable,
		consumer.On(catalog.ShipStation, "FULFILLMENT_REJECTED", s.shipStationRejected),
		consumer.On(catalog.ShipStation, "FULFILLMENT_REJECTED_V2", s.shipStationV2Rejected),
		// Every SHOPLINE fulfillment_order/* topic, also those the catalog
		// does not know yet: the body is the whole fulfillment order.
		consumer.OnFamily(catalog.Shopline, "fulfillment_order", s.shoplineFulfillmentOrder),
	)
}

// Handle processes one webhook: the runner.Handler of the WEBHOOKS
// consumer (see webhooks). Its error tells the runner what to do (see
// runner.ClassifyProvider).
func (s *Service) Handle(ctx context.Context, m *runner.Message) error {
	return s.routes.Handle(ctx, m)
}

// shoplineFulfillmentOrder normalises a SHOPLINE fulfillment_order/*
// webhook and applies it. The shop is the webhook's shopid extension
// (X-Shopline-Shop-Id), else its source, else the body's shop_id.
func (s *Service) shoplineFulfillmentOrder(ctx context.Context, m *runner.Message) error {
	e := m.Event
	h, err := model.FromShoplineFulfillmentOrder(e.Data(), shopline.ShopID(e), consumer.EventTime(m))
	if err != nil {
		return runner.Permanent(err)
	}
	return s.apply(ctx, e, h)
}

// shipStationRejected fetches the fulfillments a FULFILLMENT_REJECTED
// webhook names and applies each as a rejected record (rejectedPages).
func (s *Service) shipStationRejected(ctx context.Context, e *event.Event) error {
	client, resourceURL, store, err := s.frame.ShipStationResource(e)
	if err != nil {
		return err
	}
	fetch := func(from int, each func(int, []shipstation.Fulfillment) error) (shipstation.Stats, error) {
		return client.FulfillmentPages(ctx, resourceURL, from, each)
	}
	return rejectedPages(ctx, s, e, fetch, func(f shipstation.Fulfillment) (model.FulfillmentHold, error) {
		h, err := model.FromShipStationRejection(f, store, e.Time())
		if err != nil {
			return h, fmt.Errorf("%d: %w", f.FulfillmentID, err)
		}
		return h, nil
	})
}

// rejectedPages runs fetch (the rejected fulfillments of one webhook, page
// by page, resuming where an earlier delivery stopped, see
// consumer.Frame.ResumePages) and applies each as a rejected record. One
// bad fulfillment does not hold up the others: they are applied, and the
// message goes to the DLQ naming the bad ones.
func rejectedPages[T any](ctx context.Context, s *Service, e *event.Event,
	fetch func(from int, each func(int, []T) error) (shipstation.Stats, error),
	normalise func(T) (model.FulfillmentHold, error)) error {
	var bad []string
	total := 0
	err := s.frame.ResumePages(ctx, e, func(from int, done func(int)) error {
		stats, err := fetch(from, func(page int, fulfillments []T) error {
			total += len(fulfillments)
			for _, f := range fulfillments {
				h, err := normalise(f)
				if err != nil {
					bad = append(bad, err.Error())
					continue
				}
				if err := s.apply(ctx, e, h); err != nil {
					return err
				}
			}
			done(page)
			return nil
		})
		s.frame.Log().Debug("fetched rejected fulfillments", zap.String("event_id", e.ID()), zap.Int("fulfillments", total), zap.Int("requests", stats.Requests))
		return runner.ClassifyProvider(err)
	})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return runner.Permanent(fmt.Errorf("%d of %d fulfillments could not be normalised: %s", len(bad), total, strings.Join(bad, "; ")))
	}
	return nil
}

// apply stores h when it is newer than the stored record of its
// fulfillment order, publishes the event its change of status calls for,
// and then brings the overdue timer in line with what is stored.
func (s *Service) apply(ctx context.Context, cause *event.Event, h model.FulfillmentHold) error {
	h.SetAccount(consumer.Account(cause))
	_, err := s.frame.State().Apply(ctx, cause, h.Key(), func(current json.RawMessage) (*state.Change, error) {
		var prev *model.FulfillmentHold
		if current != nil {
			stored, err := decodeHold(current)
			if err != nil {
				return nil, err
			}
			if !h.Version().After(stored.Version()) {
				return nil, nil // a redelivery, or older than what we have
			}
			prev = &stored
		}
		next := h.Succeed(prev)
		if err := next.Validate(); err != nil {
			return nil, runner.Permanent(err)
		}
		return s.change(prev, next), nil
	})
	if err != nil {
		return err
	}
	// Also when nothing changed: the redelivery of a message whose
	// process died after the KV write must still arm or cancel the timer.
	return s.reconcileTimer(ctx, h.Key())
}

// change is the state next and, when its status changed in a way that
// matters, the event announcing it.
func (s *Service) change(prev *model.FulfillmentHold, next model.FulfillmentHold) *state.Change {
	name := string(next.Transition(prev))
	if name == "" {
		return &state.Change{State: next}
	}
	s.frame.Log().Info("fulfillment hold "+name, zap.String("hold", next.ID), zap.String("status", string(next.Status)), zap.Int("hold_seq", next.HoldSeq))
	return &state.Change{State: next, Event: holdEvent(name, next)}
}

// holdEvent is the event name publishes for the record h.
func holdEvent(name string, h model.FulfillmentHold) *state.Event {
	return &state.Event{Name: name, Provider: h.Provider, Subject: h.ID, Time: h.UpdatedAt, Account: h.Account}
}

func decodeHold(b []byte) (model.FulfillmentHold, error) {
	var h model.FulfillmentHold
	if err := json.Unmarshal(b, &h); err != nil {
		return h, runner.Permanent(fmt.Errorf("stored fulfillment hold is not readable: %w", err))
	}
	return h, nil
}
