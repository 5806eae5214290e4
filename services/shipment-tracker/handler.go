package shipmenttracker

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
		consumer.On(catalog.ShipStation, "SHIP_NOTIFY", s.shipStationLabels),
		consumer.On(catalog.ShipStation, "ITEM_SHIP_NOTIFY", s.shipStationLabels),
		consumer.On(catalog.ShipStation, "FULFILLMENT_SHIPPED", s.shipStationFulfillments),
		consumer.On(catalog.ShipStation, "FULFILLMENT_SHIPPED_V2", s.shipStationV2Fulfillments),
		consumer.On(catalog.Snipcart, "order.trackingNumber.changed", s.snipcartTracking),
		consumer.On(catalog.Shopline, "fulfillments/create", s.shoplineFulfillment),
		consumer.On(catalog.Shopline, "fulfillments/update", s.shoplineFulfillment),
		consumer.On(catalog.ShipStation, "TRACK_EVENT_V2", s.shipStationTrack),
		consumer.On(catalog.ShipStation, "API_TRACK", s.shipStationTrack),
		// Labels and fulfillments the reconciler found in ShipStation's lists.
		consumer.OnReconciled(catalog.ShipStation, catalog.ReconciledShipment, s.reconciledShipStationShipment),
		consumer.OnReconciled(catalog.ShipStation, catalog.ReconciledFulfillment, s.reconciledShipStationFulfillment),
	)
}

// Handle processes one webhook: the runner.Handler of the service (see
// webhooks). Its error tells the runner what to do (see
// runner.ClassifyProvider).
func (s *Service) Handle(ctx context.Context, m *runner.Message) error {
	return s.routes.Handle(ctx, m)
}

// shipStationLabels fetches the labels of a SHIP_NOTIFY or ITEM_SHIP_NOTIFY
// and applies each one.
func (s *Service) shipStationLabels(ctx context.Context, e *event.Event) error {
	return shipStationPages(ctx, s, e, (*shipstation.Client).ShipmentPages, func(l shipstation.Shipment, storeID string) (model.Shipment, error) {
		sh, err := model.FromShipStationShipment(l, storeID)
		if err != nil {
			return sh, fmt.Errorf("shipment %d: %w", l.ShipmentID, err)
		}
		return sh, nil
	})
}

// shipStationFulfillments fetches the fulfillments of a FULFILLMENT_SHIPPED
// and applies each one.
func (s *Service) shipStationFulfillments(ctx context.Context, e *event.Event) error {
	return shipStationPages(ctx, s, e, (*shipstation.Client).FulfillmentPages, func(f shipstation.Fulfillment, storeID string) (model.Shipment, error) {
		sh, err := model.FromShipStationFulfillment(f, storeID)
		if err != nil {
			return sh, fmt.Errorf("fulfillment %d: %w", f.FulfillmentID, err)
		}
		return sh, nil
	})
}

// shipStationPages fetches the records of a ShipStation V1 webhook's
// resource and applies them (applyPages).
func shipStationPages[T any](ctx context.Context, s *Service, e *event.Event,
	pages func(*shipstation.Client, context.Context, string, int, func(int, []T) error) (shipstation.Stats, error),
	normalise func(record T, storeID string) (model.Shipment, error)) error {
	client, resourceURL, storeID, err := s.frame.ShipStationResource(e)
	if err != nil {
		return err
	}
	fetch := func(from int, each func(int, []T) error) (shipstation.Stats, error) {
		return pages(client, ctx, resourceURL, from, each)
	}
	return applyPages(ctx, s, e, fetch, func(r T) (model.Shipment, error) { return normalise(r, storeID) })
}

// applyPages runs fetch (one provider resource, page by page, resuming
// where an earlier delivery stopped: consumer.Frame.ResumePages),
// normalises every record and applies each page. One bad record does not
// hold up the others: they are applied, and the message goes to the DLQ
// naming the bad ones.
func applyPages[T any](ctx context.Context, s *Service, e *event.Event,
	fetch func(from int, each func(int, []T) error) (shipstation.Stats, error),
	normalise func(record T) (model.Shipment, error)) error {
	var bad []string
	total := 0
	err := s.frame.ResumePages(ctx, e, func(from int, done func(int)) error {
		stats, err := fetch(from, func(page int, records []T) error {
			total += len(records)
			shipments := make([]model.Shipment, 0, len(records))
			for _, r := range records {
				sh, err := normalise(r)
				if err != nil {
					bad = append(bad, err.Error())
					continue
				}
				shipments = append(shipments, sh)
			}
			if err := s.applyAll(ctx, e, shipments); err != nil {
				return err
			}
			done(page)
			return nil
		})
		s.frame.Log().Debug("fetched ShipStation records", zap.String("event_id", e.ID()), zap.Int("records", total), zap.Int("requests", stats.Requests))
		return runner.ClassifyProvider(err)
	})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return runner.Permanent(fmt.Errorf("%d of %d records could not be normalised: %s", len(bad), total, strings.Join(bad, "; ")))
	}
	return nil
}

// snipcartTracking applies the shipment of a Snipcart tracking-number
// change, which carries everything itself.
func (s *Service) snipcartTracking(ctx context.Context, e *event.Event) error {
	sh, err := model.FromSnipcartTracking(e.Data())
	if err != nil {
		return runner.Permanent(err)
	}
	return s.applyAll(ctx, e, []model.Shipment{sh})
}

// shoplineFulfillment applies the shipment of a SHOPLINE fulfillments/create
// or fulfillments/update, which carries everything itself; the shop is the
// webhook's.
func (s *Service) shoplineFulfillment(ctx context.Context, e *event.Event) error {
	sh, err := model.FromShoplineFulfillment(e.Data(), shopline.ShopID(e))
	if err != nil {
		return runner.Permanent(err)
	}
	return s.applyAll(ctx, e, []model.Shipment{sh})
}

// applyAll applies every shipment (under the id of the shipment its
// tracking number belongs to, see trackedShipment), then adds them to
// their orders' indexes. The indexes are written after the shipments, and
// on every delivery, so that a crash in between is repaired by the
// redelivery.
func (s *Service) applyAll(ctx context.Context, cause *event.Event, shipments []model.Shipment) error {
	byOrder := map[string][]string{}
	var orders []string
	account := consumer.Account(cause)
	for _, sh := range shipments {
		sh.SetAccount(account)
		sh, err := s.trackedShipment(ctx, sh)
		if err != nil {
			return err
		}
		if err := s.apply(ctx, cause, sh); err != nil {
			return err
		}
		if _, seen := byOrder[sh.OrderID]; !seen {
			orders = append(orders, sh.OrderID)
		}
		byOrder[sh.OrderID] = append(byOrder[sh.OrderID], sh.ID)
	}
	for _, orderID := range orders {
		if err := s.index(ctx, orderID, byOrder[orderID]); err != nil {
			return err
		}
	}
	return nil
}

// apply stores sh when it is newer than the stored state of the shipment
// (always over a shipment known from its tracking alone), keeping the
// stored items and tracking, and publishes it (see eventName).
func (s *Service) apply(ctx context.Context, cause *event.Event, sh model.Shipment) error {
	_, err := s.frame.State().Apply(ctx, cause, sh.Key(), func(current json.RawMessage) (*state.Change, error) {
		next := sh
		if current != nil {
			stored, err := decodeShipment(current)
			if err != nil {
				return nil, err
			}
			// Version already ranks voided over not voided; the second
			// test keeps a voided label voided even against odd dates.
			if stored.Source != model.SourceTracking &&
				(!next.Version().Replaces(stored.Version()) || (stored.Voided && !next.Voided)) {
				return nil, nil // a redelivery, or older than what we have
			}
			next.MergeItems(stored)
			next.KeepTracking(stored)
			keepStore(&next, stored)
			return change(&stored, next)
		}
		return change(nil, next)
	})
	return err
}

// change is the state sh and its event (see eventName), prev the stored
// state (nil when there is none). The event's fingerprint is the visible
// content alone, without the version (updated_at, tiebreak) or the event
// name: the same shipment sent again later publishes nothing, whichever
// event it would have been.
func change(prev *model.Shipment, sh model.Shipment) (*state.Change, error) {
	fingerprint, err := sh.ContentFingerprint()
	if err != nil {
		return nil, runner.Permanent(err)
	}
	return &state.Change{State: sh, Event: &state.Event{
		Name: eventName(prev, sh), Provider: sh.Provider, Subject: sh.ID, Time: sh.UpdatedAt, Fingerprint: fingerprint,
		Account: sh.Account,
	}}, nil
}

func decodeShipment(b []byte) (model.Shipment, error) {
	var sh model.Shipment
	if err := json.Unmarshal(b, &sh); err != nil {
		return sh, runner.Permanent(fmt.Errorf("stored shipment is not readable: %w", err))
	}
	return sh, nil
}
