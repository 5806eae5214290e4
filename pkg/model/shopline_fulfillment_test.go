package model_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/model"
)

const shoplineFulfillmentID = "4600740193290131085321"

// The v20260301 fulfillments/update body becomes the canonical shipment
// field by field.
func TestFromShoplineFulfillment(t *testing.T) {
	t.Parallel()
	s, err := model.FromShoplineFulfillment(shoplineBody(t, "fulfillment.json", nil), shoplineShop)
	if err != nil {
		t.Fatal(err)
	}
	shipped := utc("2025-06-04T01:12:44Z")
	want := model.Shipment{
		ID: "shopline:" + shoplineFulfillmentID, Provider: "shopline", Store: shoplineShop,
		OrderID: "shopline:" + shoplineOrderID, Carrier: model.CarrierUSPS, RawCarrier: "USPS",
		TrackingNumber: "9400111899223344556677",
		TrackingURL:    "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223344556677",
		ShipDate:       &shipped,
		Items:          []model.ShipmentItem{{SKU: "TSHIRT-ORG-M", Name: "Organic Cotton T-Shirt - M", Quantity: 2}},
		Source:         model.SourceFulfillment, ShipmentStatus: "in_transit",
		UpdatedAt: utc("2025-06-05T08:40:02Z"), Tiebreak: s.Tiebreak,
	}
	if got, wantJSON := mustJSON(t, s), mustJSON(t, want); got != wantJSON {
		t.Errorf("got\n%s\nwant\n%s", got, wantJSON)
	}
	if !strings.HasPrefix(s.Tiebreak, "0#") {
		t.Errorf("tiebreak %q, want 0#…", s.Tiebreak)
	}
}

// Tracking details from every shape SHOPLINE has used, and the URL built
// from the carrier when SHOPLINE gives none.
func TestFromShoplineFulfillmentTracking(t *testing.T) {
	t.Parallel()
	info := func(entries ...map[string]any) []any {
		out := make([]any, 0, len(entries))
		for _, e := range entries {
			out = append(out, e)
		}
		return out
	}
	cases := []struct {
		name                          string
		edit                          map[string]any
		carrier                       model.Carrier
		raw, number, url, shipmentSts string
	}{
		{"deprecated single fields", map[string]any{
			"tracking_info_list": nil, "tracking_company": "UPS", "tracking_number": "1Z999AA10123456784",
			"tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
		}, model.CarrierUPS, "UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784", "in_transit"},
		{"tracking lists", map[string]any{
			"tracking_info_list": nil, "tracking_company": "FedEx", "tracking_numbers": []any{"449044304137821"},
		}, model.CarrierFedEx, "FedEx", "449044304137821", "https://www.fedex.com/fedextrack/?trknbr=449044304137821", "in_transit"},
		{"no URL: built from the carrier", map[string]any{
			"tracking_info_list": info(map[string]any{"tracking_company": "Royal Mail", "tracking_number": "AB 1234 5678 9GB"}),
		}, model.CarrierRoyalMail, "Royal Mail", "AB 1234 5678 9GB", "https://www.royalmail.com/track-your-item?trackNumber=AB123456789GB", "in_transit"},
		{"a URL that is not http(s): built", map[string]any{
			"tracking_info_list": info(map[string]any{"tracking_company": "USPS", "tracking_number": "9400", "tracking_url": "javascript:alert(1)"}),
		}, model.CarrierUSPS, "USPS", "9400", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400", "in_transit"},
		{"unknown carrier, known tracking page", map[string]any{
			"tracking_info_list": info(map[string]any{"tracking_company": "Acme Freight", "tracking_number": "1Z1", "tracking_url": "https://www.ups.com/track?tracknum=1Z1"}),
		}, model.CarrierUPS, "Acme Freight", "1Z1", "https://www.ups.com/track?tracknum=1Z1", "in_transit"},
		{"unknown carrier, no URL: none rather than a guess", map[string]any{
			"tracking_info_list": info(map[string]any{"tracking_company": "Yun Express", "tracking_number": "YT123"}),
		}, model.CarrierOther, "Yun Express", "YT123", "", "in_transit"},
		{"the first entry with a number", map[string]any{
			"tracking_info_list": info(map[string]any{"tracking_company": "DHL"}, map[string]any{"tracking_company": "DHL Express", "tracking_number": "1234567890"}),
		}, model.CarrierDHLExpress, "DHL Express", "1234567890", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=1234567890", "in_transit"},
		{"no tracking, no status yet", map[string]any{"tracking_info_list": []any{}, "shipment_status": nil}, model.CarrierOther, "", "", "", ""},
		{"delivered", map[string]any{"shipment_status": "delivered"}, model.CarrierUSPS, "USPS", "9400111899223344556677", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223344556677", "delivered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := model.FromShoplineFulfillment(shoplineBody(t, "fulfillment.json", tc.edit), shoplineShop)
			if err != nil {
				t.Fatal(err)
			}
			if s.Carrier != tc.carrier || s.RawCarrier != tc.raw || s.TrackingNumber != tc.number || s.TrackingURL != tc.url || s.ShipmentStatus != tc.shipmentSts {
				t.Errorf("carrier %s (%q), number %q, url %q, status %q; want %s (%q), %q, %q, %q",
					s.Carrier, s.RawCarrier, s.TrackingNumber, s.TrackingURL, s.ShipmentStatus,
					tc.carrier, tc.raw, tc.number, tc.url, tc.shipmentSts)
			}
		})
	}
}

// A cancelled fulfillment is a voided shipment, newer than the same
// fulfillment not cancelled even with the same updated_at.
func TestFromShoplineFulfillmentCancelled(t *testing.T) {
	t.Parallel()
	live, _ := model.FromShoplineFulfillment(shoplineBody(t, "fulfillment.json", nil), shoplineShop)
	s, err := model.FromShoplineFulfillment(shoplineBody(t, "fulfillment.json", map[string]any{"status": "cancelled"}), shoplineShop)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Voided || s.VoidedAt == nil || !s.VoidedAt.Equal(s.UpdatedAt) || !s.Version().After(live.Version()) {
		t.Errorf("voided %v at %v; version %v after %v?", s.Voided, s.VoidedAt, s.Version(), live.Version())
	}
}

// Bad input is refused with ErrInvalid.
func TestFromShoplineFulfillmentRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, body, want string }{
		{"not JSON", `{"id"`, "shopline fulfillment body"},
		{"null", `null`, "not a JSON object"},
		{"no order_id", `{"id": "1", "updated_at": "2025-06-05T16:40:02+08:00"}`, "order_id"},
		{"no id", `{"order_id": "1", "updated_at": "2025-06-05T16:40:02+08:00"}`, "id"},
		{"no times", `{"id": "1", "order_id": "2"}`, "updated_at"},
		{"id with a space", `{"id": "1 2", "order_id": "2", "updated_at": "2025-06-05T16:40:02+08:00"}`, "id"},
		{"negative quantity", `{"id": "1", "order_id": "2", "updated_at": "2025-06-05T16:40:02+08:00", "line_items": [{"quantity": -2}]}`, "quantity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := model.FromShoplineFulfillment([]byte(tc.body), shoplineShop)
			if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}
