package shipmenttracker

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// shipStationV2Fulfillments fetches the fulfillments of a
// FULFILLMENT_SHIPPED_V2 from the V2 API and applies each one, as
// shipStationFulfillments does for V1. Without a V2 API key the message
// goes to the DLQ naming SHIPSTATION_V2_API_KEY.
func (s *Service) shipStationV2Fulfillments(ctx context.Context, e *event.Event) error {
	client, resourceURL, err := s.frame.ShipStationV2Resource(e)
	if err != nil {
		return err
	}
	fetch := func(from int, each func(int, []shipstation.V2Fulfillment) error) (shipstation.Stats, error) {
		return client.FulfillmentPages(ctx, resourceURL, from, each)
	}
	return applyPages(ctx, s, e, fetch, func(f shipstation.V2Fulfillment) (model.Shipment, error) {
		sh, err := model.FromShipStationV2Fulfillment(f)
		if err != nil {
			return sh, fmt.Errorf("fulfillment %s: %w", f.FulfillmentID, err)
		}
		return sh, nil
	})
}
