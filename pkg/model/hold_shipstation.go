package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// FromShipStationRejection normalises one fulfillment of a ShipStation
// FULFILLMENT_REJECTED webhook's resource (GET /fulfillments). store is the
// resource_url's storeID ("" gives UnknownStore); eventTime, the webhook's
// time, is the version when the fulfillment has no createDate. The record
// is rejected, with request_status "rejected", order_id the ShipStation
// orderId and fulfillment_order_id the fulfillmentId.
func FromShipStationRejection(f shipstation.Fulfillment, store string, eventTime time.Time) (FulfillmentHold, error) {
	if f.FulfillmentID <= 0 {
		return FulfillmentHold{}, fmt.Errorf("%w: shipstation fulfillment without fulfillmentId", ErrInvalid)
	}
	if store == "" {
		store = UnknownStore
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return FulfillmentHold{}, fmt.Errorf("%w: shipstation fulfillment %d: %v", ErrInvalid, f.FulfillmentID, err)
	}
	sum := sha256.Sum256(raw)
	id := strconv.FormatInt(f.FulfillmentID, 10)
	out := FulfillmentHold{
		ID:                 FulfillmentHoldID(ProviderShipStation, store, id),
		Provider:           ProviderShipStation,
		Shop:               store,
		FulfillmentOrderID: id,
		RequestStatus:      "rejected",
		UpdatedAt:          firstTime(f.CreateDate.Time, f.ShipDate.Time, eventTime),
		Tiebreak:           hex.EncodeToString(sum[:8]),
	}
	if f.OrderID > 0 {
		out.OrderID = strconv.FormatInt(f.OrderID, 10)
	}
	out = out.first()
	if err := out.Validate(); err != nil {
		return FulfillmentHold{}, err
	}
	return out, nil
}
