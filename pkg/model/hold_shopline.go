package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// shoplineWebhook is the part of a SHOPLINE fulfillment_order/* body the
// record takes: most topics send fulfillment_order, submitted sends
// submitted_fulfillment_order (and original_fulfillment_order).
type shoplineWebhook struct {
	FulfillmentOrder json.RawMessage `json:"fulfillment_order"`
	Submitted        json.RawMessage `json:"submitted_fulfillment_order"`
	Original         json.RawMessage `json:"original_fulfillment_order"`
}

// shoplineFulfillmentOrder is a SHOPLINE fulfillment order (seed 004).
// Pointers tell a member left out from an empty one.
type shoplineFulfillmentOrder struct {
	ID                 flexID              `json:"id"`
	OrderID            flexID              `json:"order_id"`
	ShopID             flexID              `json:"shop_id"`
	Status             *string             `json:"status"`
	RequestStatus      *string             `json:"request_status"`
	RequestStatusCamel *string             `json:"requestStatus"`
	AssignedLocationID flexID              `json:"assigned_location_id"`
	AssignedLocation   *shoplineLocation   `json:"assigned_location"`
	Holds              *[]shoplineHold     `json:"fulfillment_holds"`
	LineItems          *[]shoplineLineItem `json:"line_items"`
	SupportedActions   *flexStrings        `json:"supported_actions"`
	Message            *string             `json:"message"`
	UpdatedAt          json.RawMessage     `json:"updated_at"`
}

type shoplineLocation struct {
	LocationID  flexID `json:"location_id"`
	Name        string `json:"name"`
	Address1    string `json:"address1"`
	City        string `json:"city"`
	Province    string `json:"province"`
	Zip         string `json:"zip"`
	CountryCode string `json:"country_code"`
}

type shoplineHold struct {
	Reason      string  `json:"reason"`
	ReasonNotes *string `json:"reason_notes"`
	ReasonNote  *string `json:"reason_note"`
}

type shoplineLineItem struct {
	ID                  flexID  `json:"id"`
	LineItemID          flexID  `json:"line_item_id"`
	VariantID           flexID  `json:"variant_id"`
	Quantity            flexInt `json:"quantity"`
	FulfillableQuantity flexInt `json:"fulfillable_quantity"`
}

// FromShoplineFulfillmentOrder normalises the body of a SHOPLINE
// fulfillment_order/* webhook (create, update, on_hold, released,
// submitted, accepted, rejected, cancellation_request_*). shopID is the
// X-Shopline-Shop-Id header (the event's shopid extension); when it is
// empty the body's shop_id is used. eventTime is the webhook's time, the
// version when the body has no updated_at.
//
// The mapping, beyond the obvious:
//
//   - status on_hold, or any fulfillment_holds, is held; cancelled is
//     cancelled and closed closed (both final); request_status rejected is
//     rejected; anything else is released;
//   - holds keep reason verbatim, take the note from reason_notes (the
//     English docs) or reason_note (seed 004), and add NormaliseHoldReason;
//   - fulfillable_quantity and quantity may be numbers or decimal strings;
//   - supported_actions may be an array or one string;
//   - the version is fulfillment_order.updated_at (else eventTime) with 16
//     hex digits of the fulfillment order's SHA-256 as tie-break.
//
// The result is the record as if no earlier state were stored (HoldSeq 1
// and PlacedAt set when held); pass it to Succeed with the stored record.
// Members the body leaves out are remembered, so that Succeed keeps the
// stored ones. Errors wrap ErrInvalid.
func FromShoplineFulfillmentOrder(body []byte, shopID string, eventTime time.Time) (FulfillmentHold, error) {
	var env shoplineWebhook
	if err := decodeObject(body, &env); err != nil {
		return FulfillmentHold{}, fmt.Errorf("%w: shopline fulfillment order webhook: %v", ErrInvalid, err)
	}
	raw := env.FulfillmentOrder
	for _, r := range []json.RawMessage{env.Submitted, env.Original} {
		if isNull(raw) {
			raw = r
		}
	}
	var fo shoplineFulfillmentOrder
	if err := decodeObject(raw, &fo); err != nil {
		return FulfillmentHold{}, fmt.Errorf("%w: shopline webhook without a fulfillment order object: %v", ErrInvalid, err)
	}
	if shopID == "" {
		shopID = string(fo.ShopID)
	}
	out := FulfillmentHold{
		ID:                 FulfillmentHoldID(ProviderShopline, shopID, string(fo.ID)),
		Provider:           ProviderShopline,
		Shop:               shopID,
		OrderID:            string(fo.OrderID),
		FulfillmentOrderID: string(fo.ID),
	}
	if out.OrderID == "" {
		out.missing |= fieldOrderID
	}
	if fo.Status != nil {
		out.RawStatus = *fo.Status
	} else {
		out.missing |= fieldStatus
	}
	switch {
	case fo.RequestStatus != nil:
		out.RequestStatus = *fo.RequestStatus
	case fo.RequestStatusCamel != nil:
		out.RequestStatus = *fo.RequestStatusCamel
	default:
		out.missing |= fieldRequestStatus
	}
	switch {
	case fo.AssignedLocation != nil:
		l := fo.AssignedLocation
		out.AssignedLocation = &Location{
			ID: firstNonEmpty(string(l.LocationID), string(fo.AssignedLocationID)), Name: l.Name,
			Address1: l.Address1, City: l.City, Province: l.Province, Zip: l.Zip, CountryCode: l.CountryCode,
		}
	case fo.AssignedLocationID != "":
		out.AssignedLocation = &Location{ID: string(fo.AssignedLocationID)}
	default:
		out.missing |= fieldLocation
	}
	if fo.Holds != nil {
		out.Holds = make([]Hold, 0, len(*fo.Holds))
		for _, h := range *fo.Holds {
			note := ""
			if h.ReasonNotes != nil {
				note = *h.ReasonNotes
			} else if h.ReasonNote != nil {
				note = *h.ReasonNote
			}
			out.Holds = append(out.Holds, Hold{Reason: h.Reason, Note: note, NormalisedReason: NormaliseHoldReason(h.Reason)})
		}
	} else {
		out.missing |= fieldHolds
	}
	if fo.LineItems != nil {
		out.LineItems = make([]HoldLineItem, 0, len(*fo.LineItems))
		for _, it := range *fo.LineItems {
			out.LineItems = append(out.LineItems, HoldLineItem{
				ID: string(it.ID), LineItemID: string(it.LineItemID), VariantID: string(it.VariantID),
				Quantity: int(it.Quantity), FulfillableQuantity: int(it.FulfillableQuantity),
			})
		}
	} else {
		out.missing |= fieldLineItems
	}
	if fo.SupportedActions != nil {
		out.SupportedActions = []string(*fo.SupportedActions)
	} else {
		out.missing |= fieldActions
	}
	if fo.Message != nil {
		out.Message = *fo.Message
	}
	if s, ok := jsonString(fo.UpdatedAt); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			out.UpdatedAt = t.UTC()
		}
	}
	if out.UpdatedAt.IsZero() {
		out.UpdatedAt = eventTime.UTC()
	}
	sum := sha256.Sum256(raw)
	out.Tiebreak = hex.EncodeToString(sum[:8])
	out = out.first()
	if err := out.Validate(); err != nil {
		return FulfillmentHold{}, err
	}
	return out, nil
}

// first is the record as if nothing were stored before h, keeping h's
// notes of what the webhook left out.
func (h FulfillmentHold) first() FulfillmentHold {
	missing := h.missing
	h = h.Succeed(nil)
	h.missing = missing
	return h
}
