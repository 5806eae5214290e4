package fulfillmentholds

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// shipStationV2Rejected fetches the fulfillments a FULFILLMENT_REJECTED_V2
// webhook names from the V2 API and applies each as a rejected record, as
// shipStationRejected does for V1. Without a V2 API key the message goes
// to the DLQ naming SHIPSTATION_V2_API_KEY.
func (s *Service) shipStationV2Rejected(ctx context.Context, e *event.Event) error {
	client, resourceURL, err := s.frame.ShipStationV2Resource(e)
	if err != nil {
		return err
	}
	fetch := func(from int, each func(int, []shipstation.V2Fulfillment) error) (shipstation.Stats, error) {
		return client.FulfillmentPages(ctx, resourceURL, from, each)
	}
	return rejectedPages(ctx, s, e, fetch, func(f shipstation.V2Fulfillment) (model.FulfillmentHold, error) {
		h, err := model.FromShipStationV2Rejection(f, e.Time())
		if err != nil {
			return h, fmt.Errorf("%s: %w", f.FulfillmentID, err)
		}
		return h, nil
	})
}
