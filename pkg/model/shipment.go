package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// Source says how a shipment became known.
type Source string

// Shipment sources.
const (
	// SourceLabel: a label bought in ShipStation (GET /shipments, after a
	// SHIP_NOTIFY or ITEM_SHIP_NOTIFY).
	SourceLabel Source = "label"
	// SourceFulfillment: an order shipped without a ShipStation label,
	// marked shipped by a user, a marketplace or a fulfillment provider
	// (GET /fulfillments, after a FULFILLMENT_SHIPPED).
	SourceFulfillment Source = "fulfillment"
	// SourceMarketplace: a tracking number entered on the selling channel
	// itself (Snipcart's order.trackingNumber.changed).
	SourceMarketplace Source = "marketplace"
	// SourceTracking: a parcel whose carrier tracking arrived before
	// anything else about it (a ShipStation TRACK_EVENT_V2 for a label
	// hookstream has not seen); it has no order. Its label or fulfillment,
	// when it becomes known, replaces the record and keeps the id.
	SourceTracking Source = "tracking"
)

// Sources returns every Source, in the order of the canonical shipment
// schema's enum.
func Sources() []Source {
	return []Source{SourceLabel, SourceFulfillment, SourceMarketplace, SourceTracking}
}

// Valid reports whether s is one of Sources.
func (s Source) Valid() bool { return slices.Contains(Sources(), s) }

// Shipment is the canonical shipment every provider's shipment becomes:
// what the shipment-tracker publishes on shipments.<provider>.tracking_updated
// and shipments.<provider>.voided and keeps in the shipments KV bucket. Its
// JSON form is described by schemas/canonical/shipment.schema.json.
type Shipment struct {
	// ID is "<provider>:<external id>", unique across sources:
	//   - a ShipStation label: "shipstation:<shipmentId>";
	//   - a ShipStation fulfillment: "shipstation:f<fulfillmentId>" (the
	//     "f" keeps the two id spaces apart: ShipStation numbers shipments
	//     and fulfillments independently);
	//   - Snipcart: "snipcart:<order token>": a Snipcart order has one
	//     tracking number, so its shipment is the order's, and a new number
	//     replaces the old one;
	//   - a SHOPLINE fulfillment: "shopline:<fulfillment id>";
	//   - a parcel first known from its tracking: "shipstation:t<tracking
	//     number>" (see TrackedShipmentID); its label or fulfillment, when
	//     it becomes known, keeps this id.
	//
	// The external id is 1 to 128 characters from [A-Za-z0-9_-], so
	// [Shipment.Key] is a valid KV key.
	ID string `json:"id"`
	// Provider is one of the Provider constants.
	Provider string `json:"provider"`
	// Account is the named account the shipment belongs to, which is also in
	// its id (see Order.Account). Absent for the default account.
	Account string `json:"account,omitempty"`
	// Store is the account: the ShipStation storeID of the webhook's
	// resource_url (empty when the webhook covers all stores), "live" or
	// "test" for Snipcart, the SHOPLINE shop id.
	Store string `json:"store"`
	// OrderID is the canonical id of the order shipped, as in Order.ID:
	// "shipstation:<orderId>", "snipcart:<order token>"; "" only while the
	// shipment is known from its tracking alone (SourceTracking).
	OrderID string `json:"order_id"`
	// OrderNumber is the order number people see.
	OrderNumber string `json:"order_number"`
	// Carrier is the normalised carrier (see NormaliseCarrier); RawCarrier
	// is the provider's word: "stamps_com" on a ShipStation label, "USPS"
	// on a ShipStation fulfillment, Snipcart's shippingProvider.
	Carrier    Carrier `json:"carrier"`
	RawCarrier string  `json:"raw_carrier"`
	// Service is the provider's service: ShipStation's serviceCode
	// ("usps_priority_mail"), Snipcart's shippingMethod; empty for
	// fulfillments, which have none.
	Service string `json:"service"`
	// TrackingNumber may be empty: a service without tracking, or a
	// Snipcart number removed.
	TrackingNumber string `json:"tracking_number"`
	// TrackingURL is the provider's tracking link when it gives a valid
	// http(s) one, else one built by TrackingURL; empty when neither is
	// possible.
	TrackingURL string `json:"tracking_url"`
	// ShipDate is when the parcel ships, UTC; nil when the provider does
	// not say (Snipcart). ShipStation gives labels a bare date, which is
	// midnight Pacific time on that date.
	ShipDate *time.Time `json:"ship_date"`
	// Voided says the label was voided (or the fulfillment cancelled); a
	// voided shipment is never un-voided. VoidedAt is when, UTC, nil when
	// the provider does not say (fulfillments) or Voided is false.
	Voided   bool       `json:"voided"`
	VoidedAt *time.Time `json:"voided_at"`
	// Items is never null in JSON: a shipment whose provider lists no items
	// (a SHIP_NOTIFY without includeShipmentItems, a fulfillment) has [].
	Items []ShipmentItem `json:"items"`
	// Source says how the shipment became known.
	Source Source `json:"source"`
	// ShipmentStatus is the provider's delivery status of the parcel,
	// verbatim (SHOPLINE's shipment_status: in_transit, delivered, failure,
	// …); empty, and absent from the JSON, when the provider reports none
	// (ShipStation, Snipcart).
	ShipmentStatus string `json:"shipment_status,omitempty"`
	// DeliveryStatus is where the parcel is, normalised (see
	// DeliveryStatus): from the carrier's tracking (ShipStation
	// TRACK_EVENT_V2) or the provider's shipment_status (SHOPLINE); before
	// any tracking, label_created for a ShipStation label and unknown for
	// everything else. DeliveryDescription is the carrier's words for it
	// ("" when it gives none).
	DeliveryStatus      DeliveryStatus `json:"delivery_status"`
	DeliveryDescription string         `json:"delivery_description"`
	// TrackingEvents is the carrier's history of the parcel, oldest first,
	// each event once; never null in JSON.
	TrackingEvents []TrackingEvent `json:"tracking_events"`
	// TrackedAt is the time of the newest tracking event, UTC: the version
	// of the tracking (see ApplyTrack); nil before any.
	TrackedAt *time.Time `json:"tracked_at"`
	// EstimatedDeliveryAt and DeliveredAt are the carrier's estimated and
	// actual delivery times, UTC, nil when it does not say.
	EstimatedDeliveryAt *time.Time `json:"estimated_delivery_at"`
	DeliveredAt         *time.Time `json:"delivered_at"`
	// UpdatedAt is the first half of the shipment's Version, UTC. Labels
	// and fulfillments have no modification time: it is the latest of the
	// times ShipStation gives (created, ship date, voided). For Snipcart it
	// is the order's modificationDate, else the webhook's createdOn.
	UpdatedAt time.Time `json:"updated_at"`
	// Tiebreak orders two states with the same UpdatedAt; see
	// Shipment.Version.
	Tiebreak string `json:"tiebreak"`
}

// ShipmentItem is one line of a shipment.
type ShipmentItem struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

// Key returns the shipment's key in the shipments KV bucket:
// "<provider>.<external id>" ("shipstation.f123" for a fulfillment).
func (s Shipment) Key() string { return strings.ReplaceAll(s.ID, ":", ".") }

// Version returns the shipment's version, with the semantics of
// Order.Version: a later UpdatedAt wins, then the greater Tiebreak.
//
// For ShipStation the tie-break starts with two digits that rank the
// states of one shipment: voided ("1") over not voided ("0"), then with
// items ("1") over without; then a hash of the provider's record. A voided
// shipment also never has an earlier UpdatedAt than its unvoided state
// (its time includes the create and ship dates), so voided always wins over
// not voided, and the ITEM_SHIP_NOTIFY view of a label (with items) wins
// over the SHIP_NOTIFY view of the same label, whatever order they arrive in.
func (s Shipment) Version() Version { return Version{Time: s.UpdatedAt, Tiebreak: s.Tiebreak} }

// MergeItems gives s the items of prev, an earlier state of the same
// shipment, when s lists none (ShipStation lists a label's items only for
// ITEM_SHIP_NOTIFY; items of a label never change), and reports whether s
// changed. It does nothing when prev is another shipment.
func (s *Shipment) MergeItems(prev Shipment) bool {
	if prev.ID != s.ID || len(s.Items) > 0 || len(prev.Items) == 0 {
		return false
	}
	s.Items = slices.Clone(prev.Items)
	return true
}

// MarshalJSON writes the shipment with times in UTC, Items and
// TrackingEvents as [] when empty, and the default DeliveryStatus when it
// is not set (a state stored before shipments had one), so that equal
// shipments always have equal JSON (see Fingerprint).
func (s Shipment) MarshalJSON() ([]byte, error) {
	type plain Shipment // without the method, to avoid recursion
	p := plain(s)
	if p.Items == nil {
		p.Items = []ShipmentItem{}
	}
	if p.TrackingEvents == nil {
		p.TrackingEvents = []TrackingEvent{}
	}
	if p.DeliveryStatus == "" {
		p.DeliveryStatus = s.defaultDeliveryStatus()
	}
	p.UpdatedAt = p.UpdatedAt.UTC()
	p.ShipDate, p.VoidedAt = utcTimePtr(p.ShipDate), utcTimePtr(p.VoidedAt)
	p.TrackedAt, p.EstimatedDeliveryAt, p.DeliveredAt = utcTimePtr(p.TrackedAt), utcTimePtr(p.EstimatedDeliveryAt), utcTimePtr(p.DeliveredAt)
	return json.Marshal(p)
}

func utcTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Fingerprint returns a hash of the shipment's whole JSON form, for the
// Nats-Msg-Id of the published event (ID + "@" + Fingerprint): equal for a
// redelivery, different for any new state.
func (s Shipment) Fingerprint() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("model: fingerprint of %s: %w", s.ID, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

// ContentFingerprint returns a hash of what a subscriber sees of the
// shipment: its JSON form without UpdatedAt and Tiebreak, which change with
// every version (a Snipcart tracking number sent again with a later
// createdOn is the same shipment). A newer version with the same content
// fingerprint publishes no event (the state is still stored).
func (s Shipment) ContentFingerprint() (string, error) {
	s.UpdatedAt, s.Tiebreak = time.Time{}, ""
	return s.Fingerprint()
}

// Validate checks the shipment against the rules of the canonical schema:
// ids "<provider>:<external id>" with a known provider (the shipment's and
// its order's), a known carrier and source, an http(s) tracking URL or
// none, voided_at only on a voided shipment, set times, no negative
// quantity. The error wraps ErrInvalid and lists every problem found.
func (s Shipment) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if !knownProvider(s.Provider) {
		bad("unknown provider %q", s.Provider)
	}
	for _, f := range []struct{ name, id string }{{"id", s.ID}, {"order_id", s.OrderID}} {
		if f.name == "order_id" && f.id == "" && s.Source == SourceTracking {
			continue // no order is known yet
		}
		checkAccount(bad, s.Account, f.id)
		id, _ := defaultAccountID(f.id, s.Account)
		if prov, ext, ok := strings.Cut(id, ":"); !ok || prov != s.Provider || !externalIDPattern.MatchString(ext) {
			bad("%s %q is not %q + \":\" + [A-Za-z0-9_-]{1,128}", f.name, f.id, s.Provider)
		}
	}
	if s.Provider == ProviderSnipcart && s.Store != SnipcartLive && s.Store != SnipcartTest {
		bad("snipcart store %q is not %q or %q", s.Store, SnipcartLive, SnipcartTest)
	}
	if !s.Carrier.Valid() {
		bad("carrier %q is not one of %v", s.Carrier, Carriers())
	}
	if !s.Source.Valid() {
		bad("source %q is not one of %v", s.Source, Sources())
	}
	if s.TrackingURL != "" && !isHTTPURL(s.TrackingURL) {
		bad("tracking_url %q is not an absolute http(s) URL", s.TrackingURL)
	}
	if s.VoidedAt != nil && !s.Voided {
		bad("voided_at is set on a shipment that is not voided")
	}
	for i, it := range s.Items {
		if it.Quantity < 0 {
			bad("items[%d].quantity %d is negative", i, it.Quantity)
		}
	}
	checkTime := func(name string, t time.Time) {
		if t.IsZero() || t.Year() > 9999 {
			bad("%s is not set", name)
		}
	}
	checkTime("updated_at", s.UpdatedAt)
	for _, f := range []struct {
		name string
		t    *time.Time
	}{
		{"ship_date", s.ShipDate}, {"voided_at", s.VoidedAt}, {"tracked_at", s.TrackedAt},
		{"estimated_delivery_at", s.EstimatedDeliveryAt}, {"delivered_at", s.DeliveredAt},
	} {
		if f.t != nil {
			checkTime(f.name, *f.t)
		}
	}
	s.validateTracking(bad)
	if len(problems) > 0 {
		return fmt.Errorf("%w: shipment %q: %s", ErrInvalid, s.ID, strings.Join(problems, "; "))
	}
	return nil
}

// isHTTPURL reports whether raw is an absolute http or https URL with a host.
func isHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// FromShipStationShipment converts a label from ShipStation's GET
// /shipments. storeID is the storeID of the webhook's resource_url ("" when
// it covers all stores: shipments do not name their store).
//
// Carrier is NormaliseCarrier(carrierCode) (stamps_com and endicia are
// USPS), Service is serviceCode, the tracking URL is built from the carrier
// (ShipStation gives none), Items come from shipmentItems (only with
// ITEM_SHIP_NOTIFY). VoidedAt is voidDate. See Shipment.Version for the
// version. Every error wraps ErrInvalid.
func FromShipStationShipment(s shipstation.Shipment, storeID string) (Shipment, error) {
	if s.ShipmentID <= 0 || s.OrderID <= 0 {
		return Shipment{}, fmt.Errorf("%w: shipstation shipment %d of order %d: shipmentId and orderId are required", ErrInvalid, s.ShipmentID, s.OrderID)
	}
	items := make([]ShipmentItem, 0, len(s.ShipmentItems))
	for _, it := range s.ShipmentItems {
		items = append(items, ShipmentItem{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity})
	}
	out := shipStationShipment(shipStationRecord{
		id:       strconv.FormatInt(s.ShipmentID, 10),
		orderID:  s.OrderID,
		number:   s.OrderNumber,
		store:    storeID,
		carrier:  s.CarrierCode,
		service:  s.ServiceCode,
		tracking: s.TrackingNumber,
		created:  s.CreateDate.Time,
		shipped:  s.ShipDate.Time,
		voided:   s.Voided,
		voidedAt: s.VoidDate.Time,
		items:    items,
		source:   SourceLabel,
		raw:      s,
	})
	return validShipment(out)
}

// FromShipStationFulfillment converts a fulfillment from ShipStation's GET
// /fulfillments: an order shipped without a ShipStation label. The id is
// "shipstation:f<fulfillmentId>"; storeID is as for
// FromShipStationShipment.
//
// Carrier is NormaliseCarrier(carrierCode), which is in display case here
// ("USPS", "FedEx"); there is no service and no items. A voided fulfillment
// is a voided shipment; voidRequested alone is not (the fulfillment stands
// until the provider voids it). ShipStation's fulfillments have no void
// date, so VoidedAt stays nil. Every error wraps ErrInvalid.
func FromShipStationFulfillment(f shipstation.Fulfillment, storeID string) (Shipment, error) {
	if f.FulfillmentID <= 0 || f.OrderID <= 0 {
		return Shipment{}, fmt.Errorf("%w: shipstation fulfillment %d of order %d: fulfillmentId and orderId are required", ErrInvalid, f.FulfillmentID, f.OrderID)
	}
	out := shipStationShipment(shipStationRecord{
		id:       "f" + strconv.FormatInt(f.FulfillmentID, 10),
		orderID:  f.OrderID,
		number:   f.OrderNumber,
		store:    storeID,
		carrier:  f.CarrierCode,
		tracking: f.TrackingNumber,
		created:  f.CreateDate.Time,
		shipped:  f.ShipDate.Time,
		voided:   f.Voided,
		source:   SourceFulfillment,
		raw:      f,
	})
	return validShipment(out)
}

// shipStationRecord is what a label and a fulfillment have in common.
type shipStationRecord struct {
	id, number, store, carrier, service, tracking string
	orderID                                       int64
	created, shipped, voidedAt                    time.Time
	voided                                        bool
	items                                         []ShipmentItem
	source                                        Source
	raw                                           any // hashed for the tie-break
}

func shipStationShipment(r shipStationRecord) Shipment {
	number := strings.TrimSpace(r.tracking)
	s := Shipment{
		ID:             ProviderShipStation + ":" + r.id,
		Provider:       ProviderShipStation,
		Store:          r.store,
		OrderID:        OrderID(ProviderShipStation, strconv.FormatInt(r.orderID, 10)),
		OrderNumber:    r.number,
		Carrier:        NormaliseCarrier(r.carrier),
		RawCarrier:     r.carrier,
		Service:        r.service,
		TrackingNumber: number,
		TrackingURL:    TrackingURL(r.carrier, number),
		Voided:         r.voided,
		Items:          r.items,
		Source:         r.source,
		UpdatedAt:      latestShipmentTime(r.created, r.shipped),
	}
	if !r.shipped.IsZero() {
		t := r.shipped.UTC()
		s.ShipDate = &t
	}
	if r.voided {
		if !r.voidedAt.IsZero() {
			t := r.voidedAt.UTC()
			s.VoidedAt = &t
		}
		s.UpdatedAt = latestShipmentTime(s.UpdatedAt, r.voidedAt)
	}
	raw, _ := json.Marshal(r.raw) // plain structs: cannot fail
	sum := sha256.Sum256(raw)
	s.Tiebreak = shipmentRank(r.voided) + shipmentRank(len(r.items) > 0) + "#" + hex.EncodeToString(sum[:8])
	return s
}

func shipmentRank(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// latestShipmentTime returns the latest of ts in UTC, or the zero time when all are
// zero.
func latestShipmentTime(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out.UTC()
}

// snipcartTracking is the part of an order.trackingNumber.changed webhook
// the shipment takes: the new number and URL at the top level, and the
// order in content.
type snipcartTracking struct {
	TrackingNumber *string   `json:"trackingNumber"`
	TrackingURL    *string   `json:"trackingUrl"`
	Mode           string    `json:"mode"`
	CreatedOn      time.Time `json:"createdOn"`
	Content        struct {
		Token            string    `json:"token"`
		InvoiceNumber    string    `json:"invoiceNumber"`
		ModificationDate time.Time `json:"modificationDate"`
		TrackingNumber   string    `json:"trackingNumber"`
		TrackingURL      string    `json:"trackingUrl"`
		ShippingProvider string    `json:"shippingProvider"`
		ShippingMethod   string    `json:"shippingMethod"`
		Items            []struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			Quantity  int    `json:"quantity"`
			Shippable *bool  `json:"shippable"`
		} `json:"items"`
	} `json:"content"`
}

// FromSnipcartTracking converts a Snipcart order.trackingNumber.changed
// webhook body (the whole envelope: trackingNumber and trackingUrl at the
// top, the order in content) into the order's shipment.
//
// The mapping: ID and OrderID "snipcart:<token>" (one tracking number per
// Snipcart order), Store "live"/"test" from mode, OrderNumber
// invoiceNumber; TrackingNumber the top-level trackingNumber (else the
// order's); TrackingURL the top-level trackingUrl (else the order's) when it
// is an absolute http(s) URL, else one built from the carrier; RawCarrier
// the order's shippingProvider and Carrier its normalisation, or, when that
// is unknown, the carrier whose domain the tracking URL is on; Service
// shippingMethod; Items the order's shippable items; ShipDate nil (Snipcart
// does not say). UpdatedAt is the order's modificationDate, else createdOn;
// the tie-break is createdOn (fixed width) then a hash of the body. A
// number set to "" gives a shipment without tracking. Every error wraps
// ErrInvalid.
func FromSnipcartTracking(body []byte) (Shipment, error) {
	var w snipcartTracking
	if err := decodeObject(body, &w); err != nil {
		return Shipment{}, fmt.Errorf("%w: snipcart tracking webhook: %w", ErrInvalid, err)
	}
	c := w.Content
	if !externalIDPattern.MatchString(c.Token) {
		return Shipment{}, fmt.Errorf("%w: snipcart order token %q is not [A-Za-z0-9_-]{1,128}", ErrInvalid, c.Token)
	}
	store, err := snipcartStore(w.Mode)
	if err != nil {
		return Shipment{}, err
	}
	if w.CreatedOn.IsZero() {
		return Shipment{}, fmt.Errorf("%w: snipcart tracking webhook of %s has no createdOn", ErrInvalid, c.Token)
	}
	number, link := c.TrackingNumber, c.TrackingURL
	if w.TrackingNumber != nil {
		number = *w.TrackingNumber
	}
	if w.TrackingURL != nil {
		link = *w.TrackingURL
	}
	number, link = strings.TrimSpace(number), strings.TrimSpace(link)
	carrier := NormaliseCarrier(c.ShippingProvider)
	if carrier == CarrierOther && isHTTPURL(link) {
		carrier = carrierFromTrackingURL(link)
	}
	if !isHTTPURL(link) || number == "" {
		link = TrackingURL(string(carrier), number)
	}
	id := OrderID(ProviderSnipcart, c.Token)
	s := Shipment{
		ID:             id,
		Provider:       ProviderSnipcart,
		Store:          store,
		OrderID:        id,
		OrderNumber:    c.InvoiceNumber,
		Carrier:        carrier,
		RawCarrier:     c.ShippingProvider,
		Service:        c.ShippingMethod,
		TrackingNumber: number,
		TrackingURL:    link,
		Items:          make([]ShipmentItem, 0, len(c.Items)),
		Source:         SourceMarketplace,
		UpdatedAt:      firstTime(c.ModificationDate, w.CreatedOn),
	}
	for i, it := range c.Items {
		if it.Shippable != nil && !*it.Shippable {
			continue
		}
		if it.Quantity < 0 {
			return Shipment{}, fmt.Errorf("%w: snipcart order %s: items[%d] has quantity %d", ErrInvalid, c.Token, i, it.Quantity)
		}
		s.Items = append(s.Items, ShipmentItem{SKU: it.ID, Name: it.Name, Quantity: it.Quantity})
	}
	sum := sha256.Sum256(body)
	s.Tiebreak = w.CreatedOn.UTC().Format(fixedTime) + "#" + hex.EncodeToString(sum[:8])
	return validShipment(s)
}

// validShipment returns s with its default DeliveryStatus when it has
// none, or the zero Shipment and Validate's error.
func validShipment(s Shipment) (Shipment, error) {
	if s.DeliveryStatus == "" {
		s.DeliveryStatus = s.defaultDeliveryStatus()
	}
	if err := s.Validate(); err != nil {
		return Shipment{}, err
	}
	return s, nil
}
