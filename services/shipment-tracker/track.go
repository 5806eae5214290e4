package shipmenttracker

import (
	"context"
	"encoding/json"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
)

// shipStationTrack applies the carrier tracking of a TRACK_EVENT_V2 or
// API_TRACK to the shipment its tracking number belongs to (see
// claimTracking), making a shipment known from its tracking alone
// (model.NewTrackedShipment) when there is none yet. A body that cannot be
// read goes to the DLQ with the reason; a track that is not newer than the
// shipment's tracking changes nothing (model.Shipment.ApplyTrack).
func (s *Service) shipStationTrack(ctx context.Context, e *event.Event) error {
	t, err := model.ParseShipStationTrack(e.Data())
	if err != nil {
		return runner.Permanent(err)
	}
	provider, account := model.ProviderShipStation, consumer.Account(e)
	tracked := model.TrackedShipmentID(provider, t.TrackingNumber)
	id, err := s.claimTracking(ctx, provider, account, t.TrackingNumber, model.AccountID(tracked, account))
	if err != nil {
		return err
	}
	_, err = s.frame.State().Apply(ctx, e, model.Shipment{ID: id}.Key(), func(current json.RawMessage) (*state.Change, error) {
		if current == nil {
			sh, err := model.NewTrackedShipment(tracked, t, e.Time())
			if err != nil {
				return nil, runner.Permanent(err)
			}
			sh.SetAccount(account)
			return change(nil, sh)
		}
		stored, err := decodeShipment(current)
		if err != nil {
			return nil, err
		}
		next := stored
		if !next.ApplyTrack(t) {
			return nil, nil // a redelivery, or older than the tracking we have
		}
		if err := next.Validate(); err != nil {
			return nil, runner.Permanent(err)
		}
		return change(&stored, next)
	})
	return err
}

// eventName is the canonical event of a shipment's new state next, prev its
// last state (nil when it is new): voided for a voided shipment; delivered
// when its delivery status becomes delivered; delivery_updated when its
// delivery part changed and nothing else did (or it is known from its
// tracking alone); tracking_updated for any other change (its label or
// fulfillment, or only the form of a state stored by an older version).
func eventName(prev *model.Shipment, next model.Shipment) string {
	switch {
	case next.Voided:
		return catalog.ShipmentVoided
	case next.Delivery() == model.DeliveryDelivered && (prev == nil || prev.Delivery() != model.DeliveryDelivered):
		return catalog.ShipmentDelivered
	case next.Source == model.SourceTracking || (prev != nil && next.SameRecord(*prev) && !next.SameDelivery(*prev)):
		return catalog.ShipmentDeliveryUpdated
	}
	return catalog.ShipmentTrackingUpdated
}
