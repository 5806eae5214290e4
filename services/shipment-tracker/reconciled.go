package shipmenttracker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/runner"
)

// shipStationStorePrefix begins the ce-source of a ShipStation event that
// names its store: /shipstation/stores/<storeID> (a named account's,
// /shipstation/accounts/<account>/stores/<storeID>, read through
// provider.DefaultSource).
const shipStationStorePrefix = "/shipstation/stores/"

// reconciledShipStation applies a label or fulfillment the reconciler
// found, with the same normaliser and the same apply as one fetched for a
// SHIP_NOTIFY or FULFILLMENT_SHIPPED: a record the state already holds at
// that version publishes nothing. The store is the one the event's source
// names (the reconciler takes it from the order), else none.
func reconciledShipStation[T any](ctx context.Context, s *Service, e *event.Event, normalise func(T, string) (model.Shipment, error)) error {
	var record T
	if err := json.Unmarshal(e.Data(), &record); err != nil {
		return runner.Permanent(fmt.Errorf("reconciled ShipStation record is not readable: %w", err))
	}
	source, _ := provider.DefaultSource(e.Source())
	storeID, _ := strings.CutPrefix(source, shipStationStorePrefix)
	if storeID == source {
		storeID = ""
	}
	sh, err := normalise(record, storeID)
	if err != nil {
		return runner.Permanent(err)
	}
	return s.applyAll(ctx, e, []model.Shipment{sh})
}

// reconciledShipStationShipment applies a label the reconciler found.
func (s *Service) reconciledShipStationShipment(ctx context.Context, e *event.Event) error {
	return reconciledShipStation(ctx, s, e, func(l shipstation.Shipment, storeID string) (model.Shipment, error) {
		return model.FromShipStationShipment(l, storeID)
	})
}

// reconciledShipStationFulfillment applies a fulfillment the reconciler found.
func (s *Service) reconciledShipStationFulfillment(ctx context.Context, e *event.Event) error {
	return reconciledShipStation(ctx, s, e, model.FromShipStationFulfillment)
}

// keepStore keeps the store of stored when next is the same version of the
// same record: the store is not in ShipStation's record but in how it was
// found (a webhook's resource_url, or the order the reconciler looked up),
// so the same label found both ways, in either order, is one state and
// publishes one event.
func keepStore(next *model.Shipment, stored model.Shipment) {
	if next.Version().Equal(stored.Version()) {
		next.Store = stored.Store
	}
}
