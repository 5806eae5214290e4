package orderenricher

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/runner"
)

// typeReconciledShipStationOrder is a ShipStation order the reconciler
// found by listing: the whole order is in the event.
var typeReconciledShipStationOrder = catalog.MustReconciliationType(catalog.ShipStation, catalog.ReconciledOrder)

// reconciledShipStationOrder normalises an order the reconciler found, with
// the same normaliser and the same upsert as an order fetched for an
// ORDER_NOTIFY: an order the state already holds at that version publishes
// nothing.
func (s *Service) reconciledShipStationOrder(ctx context.Context, e *event.Event) error {
	var o shipstation.Order
	if err := json.Unmarshal(e.Data(), &o); err != nil {
		return runner.Permanent(fmt.Errorf("reconciled ShipStation order is not readable: %w", err))
	}
	order, err := model.FromShipStation(o)
	if err != nil {
		return runner.Permanent(err)
	}
	return s.upsert(ctx, e, order)
}
