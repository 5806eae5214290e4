package model

// FulfillmentHold: the record fulfillment-holds keeps per fulfillment order
// (KV bucket holds) and publishes on fulfillment.<provider>.<event>. Its
// JSON form is described by schemas/canonical/fulfillment-hold.schema.json.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// HoldStatus says where a fulfillment order stands as far as holds go.
type HoldStatus string

// Hold statuses.
const (
	// HoldHeld: on hold (SHOPLINE status on_hold, or holds listed). The
	// only open state: an overdue alert is armed for it.
	HoldHeld HoldStatus = "held"
	// HoldReleased: not on hold. A fulfillment order seen only in other
	// states (open, in_progress, scheduled, incomplete) is released too,
	// never held as far as hookstream knows.
	HoldReleased HoldStatus = "released"
	// HoldRejected: the fulfiller refused the fulfillment request
	// (SHOPLINE request_status rejected, ShipStation FULFILLMENT_REJECTED).
	HoldRejected HoldStatus = "rejected"
	// HoldCancelled: the fulfillment order was cancelled; final.
	HoldCancelled HoldStatus = "cancelled"
	// HoldClosed: the fulfillment order is done (SHOPLINE status closed,
	// typically every item fulfilled); final. Kept apart from cancelled
	// so that a hold that ended in a shipment does not read as cancelled.
	HoldClosed HoldStatus = "closed"
)

// HoldStatuses returns every HoldStatus, in the order of the canonical
// schema's enum.
func HoldStatuses() []HoldStatus {
	return []HoldStatus{HoldHeld, HoldReleased, HoldRejected, HoldCancelled, HoldClosed}
}

// Valid reports whether s is one of HoldStatuses.
func (s HoldStatus) Valid() bool { return slices.Contains(HoldStatuses(), s) }

// HoldReason is a hold's reason, normalised; Hold.Reason keeps the
// provider's text.
type HoldReason string

// Normalised hold reasons.
const (
	ReasonOutOfStock HoldReason = "out_of_stock"
	ReasonAddress    HoldReason = "address"
	ReasonFraudRisk  HoldReason = "fraud_risk"
	ReasonPayment    HoldReason = "payment"
	// ReasonOther: any other reason, or none; Hold.Reason has the text.
	ReasonOther HoldReason = "other"
)

// HoldReasons returns every HoldReason, in the order of the canonical
// schema's enum.
func HoldReasons() []HoldReason {
	return []HoldReason{ReasonOutOfStock, ReasonAddress, ReasonFraudRisk, ReasonPayment, ReasonOther}
}

// Valid reports whether r is one of HoldReasons.
func (r HoldReason) Valid() bool { return slices.Contains(HoldReasons(), r) }

// holdReasons maps known reason texts, lower-cased with spaces and hyphens
// as '_': SHOPLINE's free-text examples and the enum names shops copy from
// Shopify-style APIs.
var holdReasons = map[string]HoldReason{
	"out_of_stock": ReasonOutOfStock, "inventory_out_of_stock": ReasonOutOfStock,
	"stock_out": ReasonOutOfStock, "backorder": ReasonOutOfStock, "back_order": ReasonOutOfStock,
	"incorrect_address": ReasonAddress, "invalid_address": ReasonAddress, "wrong_address": ReasonAddress,
	"address": ReasonAddress, "address_verification": ReasonAddress,
	"high_risk_of_fraud": ReasonFraudRisk, "fraud": ReasonFraudRisk, "fraud_risk": ReasonFraudRisk,
	"high_risk": ReasonFraudRisk, "suspected_fraud": ReasonFraudRisk,
	"awaiting_payment": ReasonPayment, "payment": ReasonPayment, "payment_pending": ReasonPayment,
	"pending_payment": ReasonPayment, "unpaid": ReasonPayment, "payment_failed": ReasonPayment,
	"other": ReasonOther,
}

// holdReasonWords decide, in this order, for a text the table lacks:
// "Item temporarily out-of-stock (supplier)" is out_of_stock.
var holdReasonWords = []struct {
	words  []string
	reason HoldReason
}{
	{[]string{"stock", "inventory", "backorder", "缺货", "库存"}, ReasonOutOfStock},
	{[]string{"address", "地址"}, ReasonAddress},
	{[]string{"fraud", "risk", "欺诈", "风险"}, ReasonFraudRisk},
	{[]string{"payment", "unpaid", "付款", "支付"}, ReasonPayment},
}

// NormaliseHoldReason maps a provider's hold reason text to a HoldReason:
// known texts first ("out of stock", "INCORRECT_ADDRESS",
// "high_risk_of_fraud", "awaiting payment", case, spaces, hyphens and
// underscores ignored), then words in the text (stock, inventory,
// backorder; address; fraud, risk; payment, unpaid; and their Chinese
// equivalents), else ReasonOther. An unknown reason is never an error.
func NormaliseHoldReason(raw string) HoldReason {
	s := strings.ToLower(strings.TrimSpace(raw))
	key := strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
	if r, ok := holdReasons[key]; ok {
		return r
	}
	for _, w := range holdReasonWords {
		for _, word := range w.words {
			if strings.Contains(s, word) {
				return w.reason
			}
		}
	}
	return ReasonOther
}

// Hold is one hold on a fulfillment order.
type Hold struct {
	// Reason is the provider's reason, verbatim ("out of stock"); empty
	// when it sent none.
	Reason string `json:"reason"`
	// Note is the provider's note (SHOPLINE reason_notes, or reason_note
	// as the Chinese docs spell it).
	Note string `json:"note"`
	// NormalisedReason is Reason mapped by NormaliseHoldReason.
	NormalisedReason HoldReason `json:"normalised_reason"`
}

// Location is where a fulfillment order is assigned to be fulfilled from.
type Location struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Address1    string `json:"address1"`
	City        string `json:"city"`
	Province    string `json:"province"`
	Zip         string `json:"zip"`
	CountryCode string `json:"country_code"`
}

// HoldLineItem is one line of a fulfillment order.
type HoldLineItem struct {
	// ID is the fulfillment order line's id; LineItemID the order line's.
	ID         string `json:"id"`
	LineItemID string `json:"line_item_id"`
	// VariantID is the product variant (SHOPLINE's docs call it the SKU).
	VariantID string `json:"variant_id"`
	// Quantity is the order line's quantity; FulfillableQuantity what is
	// left to fulfil. SHOPLINE sends the latter as a string or a number.
	Quantity            int `json:"quantity"`
	FulfillableQuantity int `json:"fulfillable_quantity"`
}

// FulfillmentHold is the canonical record of one fulfillment order's
// holds and rejections, the same shape for every provider.
type FulfillmentHold struct {
	// ID is "<provider>:<shop>:<fulfillment order id>":
	// "shopline:1610418123456:4005740193290131085320" (X-Shopline-Shop-Id,
	// fulfillment_order.id), "shipstation:123456:98765" (the resource_url's
	// storeID, fulfillmentId). Each part is 1 to 128 characters from
	// [A-Za-z0-9_-], so Key is a valid KV key and subject tokens.
	ID       string `json:"id"`
	Provider string `json:"provider"`
	// Shop is the SHOPLINE shop id or the ShipStation store id
	// (UnknownStore when the webhook names none).
	Shop               string     `json:"shop"`
	OrderID            string     `json:"order_id"`
	FulfillmentOrderID string     `json:"fulfillment_order_id"`
	Status             HoldStatus `json:"status"`
	// RawStatus is the provider's fulfillment order status, verbatim
	// (SHOPLINE on_hold, open, in_progress, closed, ...); empty when the
	// provider has none (ShipStation).
	RawStatus string `json:"raw_status"`
	// RequestStatus is SHOPLINE's request_status, verbatim; "rejected" for
	// a ShipStation FULFILLMENT_REJECTED.
	RequestStatus string `json:"request_status"`
	// Holds are the holds while Status is held; otherwise the last holds
	// released (empty when the fulfillment order was never seen held).
	Holds []Hold `json:"holds"`
	// HoldSeq counts the holds placed on this fulfillment order: 1 for
	// the first, 2 after a release and a new hold. With PlacedAt it names
	// one hold, so an overdue timer armed for an earlier hold never fires
	// for a later one.
	HoldSeq          int            `json:"hold_seq"`
	AssignedLocation *Location      `json:"assigned_location,omitempty"`
	LineItems        []HoldLineItem `json:"line_items"`
	// SupportedActions are SHOPLINE's (create_fulfillment, move, hold,
	// release_hold, ...).
	SupportedActions []string `json:"supported_actions"`
	// Message is the provider's message with a rejection or cancellation
	// answer ("Destination cannot be served from this location").
	Message string `json:"message,omitempty"`
	// PlacedAt is when the current (or last) hold was placed: the version
	// time of the update that put the fulfillment order on hold.
	PlacedAt time.Time `json:"placed_at,omitzero"`
	// ReleasedAt is when the last hold ended (released, rejected,
	// cancelled or closed); zero while held.
	ReleasedAt time.Time `json:"released_at,omitzero"`
	// OverdueAt is when hold_overdue was published for the hold of
	// HoldSeq: its due time. Zero until then.
	OverdueAt time.Time `json:"overdue_at,omitzero"`
	// UpdatedAt is the provider's modification time (SHOPLINE
	// fulfillment_order.updated_at, else the webhook's time), the first
	// half of Version; Tiebreak the second.
	UpdatedAt time.Time `json:"updated_at"`
	Tiebreak  string    `json:"tiebreak"`

	// missing lists what the webhook left out (SHOPLINE's on_hold,
	// released, accepted... bodies carry only some members), for Succeed to
	// take from the stored record. Zero for a decoded record.
	missing holdFields
}

// holdFields flags the members of a webhook that can be left out.
type holdFields uint8

const (
	fieldOrderID holdFields = 1 << iota
	fieldStatus
	fieldHolds
	fieldLocation
	fieldLineItems
	fieldRequestStatus
	fieldActions
)

// UnknownStore is the store part of a ShipStation hold's id when the
// webhook's resource_url names no storeID.
const UnknownStore = "unknown"

// FulfillmentHoldID returns the canonical id of a fulfillment order.
func FulfillmentHoldID(provider, shop, fulfillmentOrderID string) string {
	return provider + ":" + shop + ":" + fulfillmentOrderID
}

// Key returns the record's key in the holds KV bucket:
// "<provider>.<shop>.<fulfillment order id>". KV keys cannot contain ':',
// hence not the ID.
func (h FulfillmentHold) Key() string { return strings.ReplaceAll(h.ID, ":", ".") }

// Version returns the record's version: UpdatedAt and Tiebreak.
func (h FulfillmentHold) Version() Version { return Version{Time: h.UpdatedAt, Tiebreak: h.Tiebreak} }

// Open reports whether the record is an open hold.
func (h FulfillmentHold) Open() bool { return h.Status == HoldHeld }

// MarshalJSON writes the record with times in UTC and lists as [] when
// empty, so that equal records always have equal JSON (see Fingerprint).
func (h FulfillmentHold) MarshalJSON() ([]byte, error) {
	type plain FulfillmentHold // without the method, to avoid recursion
	p := plain(h)
	if p.Holds == nil {
		p.Holds = []Hold{}
	}
	if p.LineItems == nil {
		p.LineItems = []HoldLineItem{}
	}
	if p.SupportedActions == nil {
		p.SupportedActions = []string{}
	}
	for _, t := range []*time.Time{&p.PlacedAt, &p.ReleasedAt, &p.OverdueAt, &p.UpdatedAt} {
		*t = t.UTC()
	}
	return json.Marshal(p)
}

// Fingerprint returns a hash of the record's whole JSON form: equal for
// equal records, different as soon as anything changes. Use it in the
// Nats-Msg-Id of an event about the record.
func (h FulfillmentHold) Fingerprint() (string, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("model: fingerprint of %s: %w", h.ID, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

var holdIDPart = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Validate checks the record against the rules of the canonical schema:
// id "<provider>:<shop>:<fulfillment order id>" agreeing with those
// fields, a SHOPLINE or ShipStation provider, statuses and reasons from
// their enums, a held record with its hold number and placement time,
// non-negative quantities, set times. The error wraps ErrInvalid and lists
// every problem found.
func (h FulfillmentHold) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if h.Provider != ProviderShopline && h.Provider != ProviderShipStation {
		bad("provider %q is not %q or %q", h.Provider, ProviderShopline, ProviderShipStation)
	}
	if !holdIDPart.MatchString(h.Shop) || !holdIDPart.MatchString(h.FulfillmentOrderID) ||
		h.ID != FulfillmentHoldID(h.Provider, h.Shop, h.FulfillmentOrderID) {
		bad("id %q is not provider:shop:fulfillment order id with parts of [A-Za-z0-9_-]{1,128}", h.ID)
	}
	if !h.Status.Valid() {
		bad("status %q is not one of %v", h.Status, HoldStatuses())
	}
	if h.HoldSeq < 0 {
		bad("hold_seq %d is negative", h.HoldSeq)
	}
	if h.Status == HoldHeld && (h.HoldSeq < 1 || h.PlacedAt.IsZero()) {
		bad("a held record needs hold_seq >= 1 and placed_at")
	}
	for i, hold := range h.Holds {
		if !hold.NormalisedReason.Valid() {
			bad("holds[%d].normalised_reason %q is not one of %v", i, hold.NormalisedReason, HoldReasons())
		}
	}
	for i, it := range h.LineItems {
		if it.Quantity < 0 || it.FulfillableQuantity < 0 {
			bad("line_items[%d] has a negative quantity", i)
		}
	}
	for _, t := range []struct {
		name     string
		t        time.Time
		optional bool
	}{{"updated_at", h.UpdatedAt, false}, {"placed_at", h.PlacedAt, true}, {"released_at", h.ReleasedAt, true}, {"overdue_at", h.OverdueAt, true}} {
		if (!t.optional && t.t.IsZero()) || t.t.Year() > 9999 {
			bad("%s is not set", t.name)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: fulfillment hold %q: %s", ErrInvalid, h.ID, strings.Join(problems, "; "))
	}
	return nil
}

// holdStatus derives the status from a fulfillment order's status, its
// holds and its request status. Final states win; a hold wins over a
// rejection.
func holdStatus(rawStatus string, holds []Hold, requestStatus string) HoldStatus {
	switch strings.ToLower(rawStatus) {
	case "cancelled", "canceled":
		return HoldCancelled
	case "closed":
		return HoldClosed
	case "on_hold":
		return HoldHeld
	}
	switch {
	case len(holds) > 0:
		return HoldHeld
	case strings.EqualFold(requestStatus, "rejected"):
		return HoldRejected
	}
	return HoldReleased
}

// Succeed returns the record that follows prev (the stored record of the
// same fulfillment order, nil when there is none) when h, a newer state
// from a normaliser, arrives. What the webhook left out is taken from
// prev; the status is derived again; and the hold's bookkeeping follows
// the change:
//
//	prev → next         HoldSeq   PlacedAt      ReleasedAt    OverdueAt  Holds
//	not held → held     +1        UpdatedAt     zero          zero       the new holds
//	held → held         same      same          zero          same       the new holds (prev's if none sent)
//	held → not held     same      same          UpdatedAt     same       prev's when none sent
//	not held → not held same      same          same          same       prev's when none sent
//
// The caller decides that h is newer (h.Version().After(prev.Version()));
// Succeed does not compare versions.
func (h FulfillmentHold) Succeed(prev *FulfillmentHold) FulfillmentHold {
	next := h
	next.missing = 0
	var p FulfillmentHold
	if prev != nil {
		p = *prev
	}
	if prev != nil {
		if h.missing&fieldOrderID != 0 {
			next.OrderID = p.OrderID
		}
		if h.missing&fieldStatus != 0 {
			next.RawStatus = p.RawStatus
		}
		if h.missing&fieldRequestStatus != 0 {
			next.RequestStatus = p.RequestStatus
		}
		if h.missing&fieldLocation != 0 {
			next.AssignedLocation = p.AssignedLocation
		}
		if h.missing&fieldLineItems != 0 {
			next.LineItems = p.LineItems
		}
		if h.missing&fieldActions != 0 {
			next.SupportedActions = p.SupportedActions
		}
	}
	wasHeld := prev != nil && p.Status == HoldHeld
	active := h.Holds
	if h.missing&fieldHolds != 0 {
		active = nil
		// A body that says nothing of holds (or says on_hold without
		// listing them) leaves the current holds in place.
		if wasHeld && (h.missing&fieldStatus != 0 || strings.EqualFold(h.RawStatus, "on_hold")) {
			active = p.Holds
		}
	}
	next.Status = holdStatus(next.RawStatus, active, next.RequestStatus)
	next.Holds = active
	if next.Status != HoldHeld && len(next.Holds) == 0 {
		next.Holds = p.Holds
	}
	if next.Message == "" && prev != nil && next.Status == p.Status {
		next.Message = p.Message // a message belongs to the state it came with
	}
	next.HoldSeq, next.PlacedAt, next.ReleasedAt, next.OverdueAt = p.HoldSeq, p.PlacedAt, p.ReleasedAt, p.OverdueAt
	switch {
	case next.Status == HoldHeld && !wasHeld:
		next.HoldSeq++
		next.PlacedAt, next.ReleasedAt, next.OverdueAt = next.UpdatedAt, time.Time{}, time.Time{}
	case next.Status == HoldHeld:
		next.ReleasedAt = time.Time{}
	case wasHeld:
		next.ReleasedAt = next.UpdatedAt
	}
	return next
}

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

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// flexID decodes an id sent as a JSON string or number (every digit kept);
// null or absent is "".
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	switch s := strings.TrimSpace(string(b)); {
	case s == "null":
		*f = ""
	case strings.HasPrefix(s, `"`):
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = flexID(v)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id %s is neither a string nor a number", s)
		}
		*f = flexID(n.String())
	}
	return nil
}

// flexInt decodes a non-negative whole number sent as a JSON number or a
// decimal string ("2"); null or absent is 0.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*f = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return fmt.Errorf("quantity %s is not a non-negative whole number", string(b))
	}
	*f = flexInt(n)
	return nil
}

// flexStrings decodes a list of strings sent as an array or as one string
// (seed 004's supported_actions example is "release_hold").
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*f = nil
		return nil
	case strings.HasPrefix(s, `"`):
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*f = flexStrings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*f = flexStrings(many)
	if *f == nil {
		*f = flexStrings{}
	}
	return nil
}
