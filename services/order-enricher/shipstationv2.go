package orderenricher

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// shipStationV2SalesOrders fetches the sales orders a
// SALES_ORDERS_IMPORTED_V2 webhook names from the V2 API and upserts each,
// as shipStationBatch does for V1. Without a V2 API key the message goes to
// the DLQ naming SHIPSTATION_V2_API_KEY.
func (s *Service) shipStationV2SalesOrders(ctx context.Context, e *event.Event) error {
	client, resourceURL, err := s.frame.ShipStationV2Resource(e)
	if err != nil {
		return err
	}
	fetch := func(from int, each func(int, []shipstation.V2SalesOrder) error) (shipstation.Stats, error) {
		return client.SalesOrderPages(ctx, resourceURL, from, each)
	}
	return upsertPages(ctx, s, e, fetch, func(o shipstation.V2SalesOrder) (model.Order, error) {
		order, err := model.FromShipStationV2SalesOrder(o)
		if err != nil {
			return order, fmt.Errorf("%s: %w", o.SalesOrderID, err)
		}
		return order, nil
	})
}
