package shipmenttracker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
)

// trackingPrefix prefixes the keys of the tracking-number index in the
// shipments bucket. No provider is called "tracking", so they cannot meet
// a shipment's key.
const trackingPrefix = "tracking."

// TrackingIndex is the value of a tracking number's key in the shipments
// bucket: the one shipment the number belongs to.
type TrackingIndex struct {
	// TrackingNumber is the number as the first shipment to claim it wrote
	// it.
	TrackingNumber string `json:"tracking_number"`
	// ShipmentID is the canonical id of the shipment: a label's or
	// fulfillment's ("shipstation:<shipmentId>", "shipstation:f<id>"), or
	// "shipstation:t<number>" for a parcel first known from its tracking.
	ShipmentID string `json:"shipment_id"`
}

// TrackingIndexKey returns the key of a tracking number in the shipments
// bucket: "tracking.<provider>.<number>" ("tracking.<provider>.<account>.<number>"
// for a named account's: accounts never share a parcel), the number as in
// model.TrackingToken (upper-cased, without whitespace, or a hash). The
// carrier is not part of it: labels and tracking name carriers
// differently, and carriers' numbers do not collide in practice.
func TrackingIndexKey(provider, account, trackingNumber string) string {
	if account != "" {
		provider += "." + account
	}
	return trackingPrefix + provider + "." + model.TrackingToken(trackingNumber)
}

// claimTracking returns the id of the shipment trackingNumber belongs to:
// the one the index names, or id, which it then names (compare-and-set,
// so of two shipments claiming one number at once exactly one wins).
func (s *Service) claimTracking(ctx context.Context, provider, account, trackingNumber, id string) (string, error) {
	owner := id
	key := TrackingIndexKey(provider, account, trackingNumber)
	_, err := s.frame.State().Apply(ctx, nil, key, func(current json.RawMessage) (*state.Change, error) {
		if current != nil {
			var idx TrackingIndex
			if err := json.Unmarshal(current, &idx); err != nil {
				return nil, runner.Permanent(fmt.Errorf("tracking index %s is not readable: %w", key, err))
			}
			if idx.ShipmentID != "" {
				owner = idx.ShipmentID
				return nil, nil
			}
		}
		owner = id
		return &state.Change{State: TrackingIndex{TrackingNumber: strings.TrimSpace(trackingNumber), ShipmentID: id}}, nil
	})
	return owner, err
}

// trackedShipment returns sh, a ShipStation label or fulfillment, under
// the id of the shipment its tracking arrived for first, when it did: so
// the label or fulfillment of a parcel first known from its tracking is
// applied to that shipment, not made a second one. Otherwise (no tracking
// number, another provider, or the number claimed by sh itself or another
// label or fulfillment) sh is returned unchanged; a number first claimed
// by sh makes its later tracking reach sh.
func (s *Service) trackedShipment(ctx context.Context, sh model.Shipment) (model.Shipment, error) {
	if sh.Provider != model.ProviderShipStation || strings.TrimSpace(sh.TrackingNumber) == "" {
		return sh, nil
	}
	owner, err := s.claimTracking(ctx, sh.Provider, sh.Account, sh.TrackingNumber, sh.ID)
	if err != nil {
		return sh, err
	}
	if owner != sh.ID && owner == model.AccountID(model.TrackedShipmentID(sh.Provider, sh.TrackingNumber), sh.Account) {
		sh.ID = owner
	}
	return sh, nil
}
