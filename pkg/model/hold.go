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
	"strings"
	"time"
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
	// Account is the named account the record belongs to, which is also in
	// its id (see Order.Account). Absent for the default account.
	Account string `json:"account,omitempty"`
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
	checkAccount(bad, h.Account, h.ID)
	if id, _ := defaultAccountID(h.ID, h.Account); !holdIDPart.MatchString(h.Shop) || !holdIDPart.MatchString(h.FulfillmentOrderID) ||
		id != FulfillmentHoldID(h.Provider, h.Shop, h.FulfillmentOrderID) {
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
