package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// shoplineFulfillment is the part of a SHOPLINE fulfillments/create or
// fulfillments/update body (the fulfillment itself, not wrapped) that the
// canonical Shipment takes. tracking_info_list is the current form; the
// single tracking_company, tracking_number and tracking_url (deprecated
// since v20250601) and the tracking_numbers and tracking_urls lists are
// read when it is empty.
type shoplineFulfillment struct {
	ID               flexID                 `json:"id"`
	OrderID          flexID                 `json:"order_id"`
	Status           string                 `json:"status"`
	ShipmentStatus   string                 `json:"shipment_status"`
	CreatedAt        flexTime               `json:"created_at"`
	UpdatedAt        flexTime               `json:"updated_at"`
	TrackingInfoList []shoplineTrackingInfo `json:"tracking_info_list"`
	TrackingCompany  string                 `json:"tracking_company"`
	TrackingNumber   string                 `json:"tracking_number"`
	TrackingURL      string                 `json:"tracking_url"`
	TrackingNumbers  []string               `json:"tracking_numbers"`
	TrackingURLs     []string               `json:"tracking_urls"`
	LineItems        []struct {
		SKU                 string   `json:"sku"`
		Name                string   `json:"name"`
		Title               string   `json:"title"`
		Quantity            flexInt  `json:"quantity"`
		FulfillmentQuantity *flexInt `json:"fulfillment_quantity"`
	} `json:"line_items"`
}

type shoplineTrackingInfo struct {
	TrackingCompany string `json:"tracking_company"`
	TrackingNumber  string `json:"tracking_number"`
	TrackingURL     string `json:"tracking_url"`
}

// tracking returns the fulfillment's parcel: the first entry of
// tracking_info_list that has a number (else its first entry), else the
// deprecated single fields and the first of the tracking lists.
func (f shoplineFulfillment) tracking() shoplineTrackingInfo {
	for _, t := range f.TrackingInfoList {
		if strings.TrimSpace(t.TrackingNumber) != "" {
			return t
		}
	}
	if len(f.TrackingInfoList) > 0 {
		return f.TrackingInfoList[0]
	}
	t := shoplineTrackingInfo{TrackingCompany: f.TrackingCompany, TrackingNumber: f.TrackingNumber, TrackingURL: f.TrackingURL}
	if t.TrackingNumber == "" && len(f.TrackingNumbers) > 0 {
		t.TrackingNumber = f.TrackingNumbers[0]
	}
	if t.TrackingURL == "" && len(f.TrackingURLs) > 0 {
		t.TrackingURL = f.TrackingURLs[0]
	}
	return t
}

// FromShoplineFulfillment converts a SHOPLINE fulfillments/create or
// fulfillments/update body into a Shipment. shop is the shop id (the
// webhook's X-Shopline-Shop-Id).
//
// The mapping: ID "shopline:<id>", OrderID "shopline:<order_id>", Store
// shop, OrderNumber empty (the body does not carry the order's name);
// RawCarrier tracking_company and Carrier its normalisation, or, when that
// is unknown, the carrier whose domain the tracking URL is on;
// TrackingNumber and TrackingURL from the first parcel that has a number
// (see shoplineFulfillment.tracking), the URL when it is an absolute
// http(s) one, else built from the carrier as for ShipStation; Service
// empty; ShipDate created_at; ShipmentStatus shipment_status verbatim;
// Items sku, name (else title) and fulfillment_quantity (else quantity);
// Source fulfillment. status "cancelled" is a voided shipment, VoidedAt
// updated_at. UpdatedAt is updated_at, else created_at (one is required);
// the tie-break ranks voided over not voided, then a hash of the body.
// Every error wraps ErrInvalid.
func FromShoplineFulfillment(body []byte, shop string) (Shipment, error) {
	var f shoplineFulfillment
	if err := decodeObject(body, &f); err != nil {
		return Shipment{}, fmt.Errorf("%w: shopline fulfillment body: %w", ErrInvalid, err)
	}
	if f.ID == "" || f.OrderID == "" {
		return Shipment{}, fmt.Errorf("%w: shopline fulfillment %q of order %q: id and order_id are required", ErrInvalid, f.ID, f.OrderID)
	}
	created := f.CreatedAt.utc()
	updated := firstTime(f.UpdatedAt.utc(), created)
	if updated.IsZero() {
		return Shipment{}, fmt.Errorf("%w: shopline fulfillment %s has no updated_at or created_at", ErrInvalid, f.ID)
	}
	t := f.tracking()
	number, link := strings.TrimSpace(t.TrackingNumber), strings.TrimSpace(t.TrackingURL)
	carrier := NormaliseCarrier(t.TrackingCompany)
	if carrier == CarrierOther && isHTTPURL(link) {
		carrier = carrierFromTrackingURL(link)
	}
	if !isHTTPURL(link) || number == "" {
		link = TrackingURL(string(carrier), number)
	}
	voided := strings.EqualFold(strings.TrimSpace(f.Status), "cancelled")
	s := Shipment{
		ID:             ProviderShopline + ":" + string(f.ID),
		Provider:       ProviderShopline,
		Store:          shop,
		OrderID:        OrderID(ProviderShopline, string(f.OrderID)),
		Carrier:        carrier,
		RawCarrier:     t.TrackingCompany,
		TrackingNumber: number,
		TrackingURL:    link,
		Voided:         voided,
		Items:          make([]ShipmentItem, 0, len(f.LineItems)),
		Source:         SourceFulfillment,
		ShipmentStatus: strings.TrimSpace(f.ShipmentStatus),
		UpdatedAt:      updated,
	}
	if !created.IsZero() {
		s.ShipDate = &created
	}
	if voided {
		s.VoidedAt = &updated
	}
	for _, it := range f.LineItems {
		q := it.Quantity
		if it.FulfillmentQuantity != nil {
			q = *it.FulfillmentQuantity
		}
		s.Items = append(s.Items, ShipmentItem{
			SKU:      strings.TrimSpace(it.SKU),
			Name:     firstNonEmpty(strings.TrimSpace(it.Name), strings.TrimSpace(it.Title)),
			Quantity: int(q),
		})
	}
	sum := sha256.Sum256(body)
	s.Tiebreak = shipmentRank(voided) + "#" + hex.EncodeToString(sum[:8])
	return validShipment(s)
}
