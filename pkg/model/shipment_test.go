package model_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// A label as ShipStation's GET /shipments returns it with
// includeShipmentItems=true (Pacific time without offset, a bare shipDate).
const shipStationShipmentJSON = `{
  "shipmentId": 33974374, "orderId": 43945660, "orderKey": "8061c220f0794a9b92460b8bae6837e4",
  "orderNumber": "100038-1", "createDate": "2024-07-01T08:16:12.1230000", "shipDate": "2024-07-02",
  "shipmentCost": 2.35, "trackingNumber": "9400111899223197428490", "carrierCode": "stamps_com",
  "serviceCode": "usps_first_class_mail", "voided": false, "voidDate": null,
  "shipTo": {"name": "Ada Lovelace", "street1": "1 Main St", "city": "Austin", "state": "TX", "postalCode": "78701", "country": "US"},
  "shipmentItems": [
    {"orderItemId": 1, "lineItemKey": "li-1", "sku": "MUG-1", "name": "Mug", "quantity": 3},
    {"orderItemId": 2, "lineItemKey": "li-2", "sku": "TEE-2", "name": "Tee", "quantity": 1}
  ]
}`

func decodeShipStation[T any](t *testing.T, raw string, edit func(m map[string]any)) T {
	t.Helper()
	if edit != nil {
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		raw = mustJSON(t, m)
	}
	var v T
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func shipStationShipment(t *testing.T, edit func(m map[string]any)) model.Shipment {
	t.Helper()
	s, err := model.FromShipStationShipment(decodeShipStation[shipstation.Shipment](t, shipStationShipmentJSON, edit), "123456")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFromShipStationShipment(t *testing.T) {
	t.Parallel()
	s := shipStationShipment(t, nil)
	checks := map[string][2]string{
		"id":           {s.ID, "shipstation:33974374"},
		"key":          {s.Key(), "shipstation.33974374"},
		"store":        {s.Store, "123456"},
		"order_id":     {s.OrderID, "shipstation:43945660"},
		"order_number": {s.OrderNumber, "100038-1"},
		"carrier":      {string(s.Carrier), "usps"},
		"raw_carrier":  {s.RawCarrier, "stamps_com"},
		"service":      {s.Service, "usps_first_class_mail"},
		"tracking":     {s.TrackingNumber, "9400111899223197428490"},
		"url":          {s.TrackingURL, "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490"},
		"ship_date":    {s.ShipDate.Format(time.RFC3339), "2024-07-02T07:00:00Z"}, // midnight PDT
		"source":       {string(s.Source), "label"},
		// The latest time ShipStation gives: the ship date, after the creation.
		"updated_at": {s.UpdatedAt.Format(time.RFC3339Nano), "2024-07-02T07:00:00Z"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if s.Voided || s.VoidedAt != nil {
		t.Errorf("voided %v at %v, want not voided", s.Voided, s.VoidedAt)
	}
	want := []model.ShipmentItem{{SKU: "MUG-1", Name: "Mug", Quantity: 3}, {SKU: "TEE-2", Name: "Tee", Quantity: 1}}
	if mustJSON(t, s.Items) != mustJSON(t, want) {
		t.Errorf("items %+v, want %+v", s.Items, want)
	}
	again := shipStationShipment(t, nil)
	if again.Version() != s.Version() || again.Version().After(s.Version()) {
		t.Error("the same label gives another version")
	}
}

// The version of a label: voided beats not voided, whatever the times say;
// with items beats without; a replay is never newer.
func TestShipStationShipmentVersions(t *testing.T) {
	t.Parallel()
	tracked := shipStationShipment(t, nil)
	withoutItems := shipStationShipment(t, func(m map[string]any) { m["shipmentItems"] = nil })
	voided := shipStationShipment(t, func(m map[string]any) {
		m["voided"], m["voidDate"], m["shipmentItems"] = true, "2024-07-03T10:00:00.0000000", nil
	})
	// A void date before the ship date (labels can be bought for a later
	// day and voided before it), and one that is missing.
	voidedEarly := shipStationShipment(t, func(m map[string]any) {
		m["voided"], m["voidDate"] = true, "2024-07-01T09:00:00.0000000"
	})
	voidedUndated := shipStationShipment(t, func(m map[string]any) { m["voided"] = true })

	cases := []struct {
		name         string
		newer, older model.Shipment
	}{
		{"voided after tracked", voided, tracked},
		{"voided before the ship date", voidedEarly, tracked},
		{"voided without a date", voidedUndated, tracked},
		{"voided without items, over tracked with items", voided, tracked},
		{"items over no items", tracked, withoutItems},
	}
	for _, tc := range cases {
		if !tc.newer.Version().After(tc.older.Version()) {
			t.Errorf("%s: %s is not after %s", tc.name, tc.newer.Version(), tc.older.Version())
		}
		if tc.older.Version().After(tc.newer.Version()) {
			t.Errorf("%s: the older state %s is after %s", tc.name, tc.older.Version(), tc.newer.Version())
		}
	}
	if voided.VoidedAt == nil || voided.VoidedAt.Format(time.RFC3339) != "2024-07-03T17:00:00Z" {
		t.Errorf("voided_at = %v, want 2024-07-03T17:00:00Z", voided.VoidedAt)
	}
	if voidedUndated.VoidedAt != nil || !voidedUndated.Voided {
		t.Errorf("voided %v at %v, want voided at an unknown time", voidedUndated.Voided, voidedUndated.VoidedAt)
	}
	if got := voided.Version().Time; !got.Equal(time.Date(2024, 7, 3, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("voided version time %s, want the void date", got)
	}

	// The voided state, fetched without items, keeps the items known.
	merged := voided
	if !merged.MergeItems(tracked) || len(merged.Items) != 2 || merged.Version() != voided.Version() {
		t.Errorf("MergeItems: items %+v, version %s", merged.Items, merged.Version())
	}
	if merged.MergeItems(tracked) {
		t.Error("MergeItems changed a shipment that has items")
	}
	other := withoutItems
	other.ID = "shipstation:1"
	if other.MergeItems(tracked) {
		t.Error("MergeItems took the items of another shipment")
	}
}

// A fulfillment as ShipStation's GET /fulfillments returns it.
const shipStationFulfillmentJSON = `{
  "fulfillmentId": 33974374, "orderId": 43945660, "orderNumber": "100038-1",
  "userId": "c9f06d74-95de-4263-9b04-e87095cababf", "customerEmail": "ada@example.com",
  "trackingNumber": "1Z999AA10123456784", "createDate": "2024-07-01T08:16:12.1230000",
  "shipDate": "2024-07-01T00:00:00.0000000", "voidDate": null, "deliveryDate": null,
  "carrierCode": "UPS", "fulfillmentProviderCode": null, "fulfillmentServiceCode": null,
  "fulfillmentFee": 0, "voidRequested": false, "voided": false, "marketplaceNotified": true,
  "notifyErrorMessage": null,
  "shipTo": {"name": "Ada Lovelace", "street1": "1 Main St", "city": "Austin", "state": "TX", "postalCode": "78701", "country": "US"}
}`

func TestFromShipStationFulfillment(t *testing.T) {
	t.Parallel()
	cases := []struct {
		carrierCode string
		carrier     model.Carrier
		url         string
	}{
		{"USPS", model.CarrierUSPS, "https://tools.usps.com/go/TrackConfirmAction?tLabels=1Z999AA10123456784"},
		{"UPS", model.CarrierUPS, "https://www.ups.com/track?tracknum=1Z999AA10123456784"},
		{"FedEx", model.CarrierFedEx, "https://www.fedex.com/fedextrack/?trknbr=1Z999AA10123456784"},
		{"DHL Express", model.CarrierDHLExpress, "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=1Z999AA10123456784"},
		{"Canada Post", model.CarrierCanadaPost, "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=1Z999AA10123456784"},
		{"Royal Mail", model.CarrierRoyalMail, "https://www.royalmail.com/track-your-item?trackNumber=1Z999AA10123456784"},
		{"Australia Post", model.CarrierAustraliaPost, "https://auspost.com.au/mypost/track/details/1Z999AA10123456784"},
		{"Speedy Parcels Ltd", model.CarrierOther, ""},
	}
	for _, tc := range cases {
		t.Run(tc.carrierCode, func(t *testing.T) {
			t.Parallel()
			in := decodeShipStation[shipstation.Fulfillment](t, shipStationFulfillmentJSON, func(m map[string]any) { m["carrierCode"] = tc.carrierCode })
			s, err := model.FromShipStationFulfillment(in, "")
			if err != nil {
				t.Fatal(err)
			}
			if s.Carrier != tc.carrier || s.RawCarrier != tc.carrierCode || s.TrackingURL != tc.url {
				t.Errorf("carrier %q (raw %q), url %q; want %q, %q", s.Carrier, s.RawCarrier, s.TrackingURL, tc.carrier, tc.url)
			}
			if s.ID != "shipstation:f33974374" || s.Key() != "shipstation.f33974374" || s.OrderID != "shipstation:43945660" {
				t.Errorf("id %q, key %q, order %q", s.ID, s.Key(), s.OrderID)
			}
			if s.Source != model.SourceFulfillment || s.Service != "" || len(s.Items) != 0 || s.Store != "" {
				t.Errorf("source %q, service %q, items %v, store %q", s.Source, s.Service, s.Items, s.Store)
			}
		})
	}
}

// A label and a fulfillment with the same number are different shipments.
func TestShipmentAndFulfillmentIDsDiffer(t *testing.T) {
	t.Parallel()
	label := shipStationShipment(t, nil)
	f, err := model.FromShipStationFulfillment(decodeShipStation[shipstation.Fulfillment](t, shipStationFulfillmentJSON, nil), "123456")
	if err != nil {
		t.Fatal(err)
	}
	if label.ID == f.ID || label.Key() == f.Key() {
		t.Errorf("label %q and fulfillment %q share an id", label.ID, f.ID)
	}
}

func TestShipStationFulfillmentVoided(t *testing.T) {
	t.Parallel()
	from := func(edit func(m map[string]any)) model.Shipment {
		s, err := model.FromShipStationFulfillment(decodeShipStation[shipstation.Fulfillment](t, shipStationFulfillmentJSON, edit), "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	shipped := from(nil)
	requested := from(func(m map[string]any) { m["voidRequested"] = true })
	voided := from(func(m map[string]any) { m["voidRequested"], m["voided"] = true, true })
	if requested.Voided {
		t.Error("a void request alone voids the fulfillment")
	}
	if !voided.Voided || voided.VoidedAt != nil {
		t.Errorf("voided %v at %v, want voided at an unknown time", voided.Voided, voided.VoidedAt)
	}
	if !voided.Version().After(shipped.Version()) || !voided.Version().After(requested.Version()) {
		t.Error("the voided fulfillment is not newer than the shipped one")
	}
}

func TestFromShipStationRefuses(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(m map[string]any){
		"no shipmentId": func(m map[string]any) { delete(m, "shipmentId") },
		"no orderId":    func(m map[string]any) { m["orderId"] = 0 },
		"no times": func(m map[string]any) {
			m["createDate"], m["shipDate"] = nil, nil
		},
		"negative quantity": func(m map[string]any) {
			m["shipmentItems"].([]any)[0].(map[string]any)["quantity"] = -1
		},
	} {
		s, err := model.FromShipStationShipment(decodeShipStation[shipstation.Shipment](t, shipStationShipmentJSON, edit), "")
		if !errors.Is(err, model.ErrInvalid) || s.ID != "" {
			t.Errorf("%s: %+v, %v; want ErrInvalid and no shipment", name, s, err)
		}
	}
	if _, err := model.FromShipStationFulfillment(shipstation.Fulfillment{OrderID: 1}, ""); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("fulfillment without id: %v", err)
	}
}

// snipcartTrackingExample is the order.trackingNumber.changed example,
// optionally changed.
func snipcartTrackingExample(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "snipcart", "order.tracking_number.changed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return raw
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return []byte(mustJSON(t, m))
}

func TestFromSnipcartTracking(t *testing.T) {
	t.Parallel()
	s, err := model.FromSnipcartTracking(snipcartTrackingExample(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"id":          {s.ID, "snipcart:1912e4c1-d008-4c15-ab12-fe21a76d30d4"},
		"key":         {s.Key(), "snipcart.1912e4c1-d008-4c15-ab12-fe21a76d30d4"},
		"order_id":    {s.OrderID, "snipcart:1912e4c1-d008-4c15-ab12-fe21a76d30d4"},
		"number":      {s.OrderNumber, "SNIP-1003"},
		"store":       {s.Store, "live"},
		"carrier":     {string(s.Carrier), "fedex"},
		"raw_carrier": {s.RawCarrier, "FedEx"},
		"service":     {s.Service, "Livraison"},
		"tracking":    {s.TrackingNumber, "794644790132"},
		"url":         {s.TrackingURL, "https://www.fedex.com/fedextrack/?trknbr=794644790132"},
		"source":      {string(s.Source), "marketplace"},
		"updated_at":  {s.UpdatedAt.Format(time.RFC3339Nano), "2017-10-05T14:01:37Z"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if s.ShipDate != nil || s.Voided || len(s.Items) != 2 {
		t.Errorf("ship_date %v, voided %v, items %+v", s.ShipDate, s.Voided, s.Items)
	}
	checkGolden(t, filepath.Join("testdata", "shipment.snipcart.tracking_number.changed.json"), s)
}

func TestFromSnipcartTrackingVariants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                       string
		edit                       func(m map[string]any)
		number, url, carrier, note string
	}{
		{"no tracking URL: built from the carrier", func(m map[string]any) {
			delete(m, "trackingUrl")
			m["content"].(map[string]any)["trackingUrl"] = nil
		}, "794644790132", "https://www.fedex.com/fedextrack/?trknbr=794644790132", "fedex", ""},
		{"a non-http URL is not passed on", func(m map[string]any) {
			m["trackingUrl"] = "javascript:alert(1)"
		}, "794644790132", "https://www.fedex.com/fedextrack/?trknbr=794644790132", "fedex", ""},
		{"carrier from the URL's domain", func(m map[string]any) {
			m["trackingNumber"], m["trackingUrl"] = "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784&lang=en"
			m["content"].(map[string]any)["shippingProvider"] = "Livraison express"
		}, "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784&lang=en", "ups", ""},
		{"unknown carrier, no URL", func(m map[string]any) {
			delete(m, "trackingUrl")
			m["content"].(map[string]any)["trackingUrl"] = nil
			m["content"].(map[string]any)["shippingProvider"] = "Livraison express"
		}, "794644790132", "", "other", ""},
		{"top-level number wins over the order's", func(m map[string]any) {
			m["trackingNumber"], m["trackingUrl"] = "111122223333", nil
			m["content"].(map[string]any)["trackingNumber"] = "794644790132"
			m["content"].(map[string]any)["trackingUrl"] = nil
		}, "111122223333", "https://www.fedex.com/fedextrack/?trknbr=111122223333", "fedex", ""},
		{"number removed", func(m map[string]any) {
			m["trackingNumber"] = ""
		}, "", "", "fedex", ""},
		{"no top-level fields: the order's", func(m map[string]any) {
			delete(m, "trackingNumber")
			delete(m, "trackingUrl")
		}, "794644790132", "https://www.fedex.com/fedextrack/?trknbr=794644790132", "fedex", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := model.FromSnipcartTracking(snipcartTrackingExample(t, tc.edit))
			if err != nil {
				t.Fatal(err)
			}
			if s.TrackingNumber != tc.number || s.TrackingURL != tc.url || string(s.Carrier) != tc.carrier {
				t.Errorf("number %q, url %q, carrier %q; want %q, %q, %q", s.TrackingNumber, s.TrackingURL, s.Carrier, tc.number, tc.url, tc.carrier)
			}
		})
	}
}

// A later tracking change is newer; the same webhook is not; a digital
// item is not in the parcel.
func TestSnipcartTrackingVersions(t *testing.T) {
	t.Parallel()
	first, err := model.FromSnipcartTracking(snipcartTrackingExample(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := model.FromSnipcartTracking(snipcartTrackingExample(t, nil))
	if again.Version() != first.Version() {
		t.Error("the same webhook gives another version")
	}
	later, err := model.FromSnipcartTracking(snipcartTrackingExample(t, func(m map[string]any) {
		m["createdOn"] = "2017-10-05T14:01:37.9000000Z" // same second of modificationDate
		m["trackingNumber"] = "111122223333"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !later.Version().After(first.Version()) || first.Version().After(later.Version()) {
		t.Errorf("%s is not after %s", later.Version(), first.Version())
	}
	digital, err := model.FromSnipcartTracking(snipcartTrackingExample(t, func(m map[string]any) {
		m["content"].(map[string]any)["items"].([]any)[0].(map[string]any)["shippable"] = false
	}))
	if err != nil || len(digital.Items) != 1 || digital.Items[0].SKU != "2" {
		t.Errorf("items %+v, %v; want only the shippable item 2", digital.Items, err)
	}
}

func TestFromSnipcartTrackingRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]func(m map[string]any){
		"no token":       func(m map[string]any) { delete(m["content"].(map[string]any), "token") },
		"token with dot": func(m map[string]any) { m["content"].(map[string]any)["token"] = "a.b" },
		"bad mode":       func(m map[string]any) { m["mode"] = "Staging" },
		"no createdOn":   func(m map[string]any) { delete(m, "createdOn") },
		"content a list": func(m map[string]any) { m["content"] = []any{} },
	}
	for name, edit := range cases {
		if s, err := model.FromSnipcartTracking(snipcartTrackingExample(t, edit)); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%s: %+v, %v; want ErrInvalid", name, s, err)
		}
	}
	for _, body := range []string{"", "null", "[]", `"x"`} {
		if _, err := model.FromSnipcartTracking([]byte(body)); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", body, err)
		}
	}
}

func TestShipmentValidate(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		mutate func(s *model.Shipment)
		want   string
	}{
		{"unknown provider", func(s *model.Shipment) { s.Provider = "shopify" }, "provider"},
		{"id of another provider", func(s *model.Shipment) { s.ID = "snipcart:1" }, "id"},
		{"id without provider", func(s *model.Shipment) { s.ID = "33974374" }, "id"},
		{"order id with a dot", func(s *model.Shipment) { s.OrderID = "shipstation:1.2" }, "order_id"},
		{"raw carrier as carrier", func(s *model.Shipment) { s.Carrier = "stamps_com" }, "carrier"},
		{"unknown source", func(s *model.Shipment) { s.Source = "drone" }, "source"},
		{"javascript tracking URL", func(s *model.Shipment) { s.TrackingURL = "javascript:alert(1)" }, "tracking_url"},
		{"relative tracking URL", func(s *model.Shipment) { s.TrackingURL = "/track/1" }, "tracking_url"},
		{"voided_at without voided", func(s *model.Shipment) { s.VoidedAt = &when }, "voided_at"},
		{"negative quantity", func(s *model.Shipment) { s.Items[0].Quantity = -1 }, "quantity"},
		{"no updated_at", func(s *model.Shipment) { s.UpdatedAt = time.Time{} }, "updated_at"},
		{"zero ship date", func(s *model.Shipment) { s.ShipDate = &time.Time{} }, "ship_date"},
		{"snipcart store", func(s *model.Shipment) {
			s.Provider, s.ID, s.OrderID, s.Store = "snipcart", "snipcart:abc", "snipcart:abc", "123456"
		}, "store"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := shipStationShipment(t, nil)
			if err := s.Validate(); err != nil {
				t.Fatalf("the unchanged shipment is invalid: %v", err)
			}
			tc.mutate(&s)
			err := s.Validate()
			if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want ErrInvalid naming %s", err, tc.want)
			}
		})
	}
}

func TestShipmentMarshalJSON(t *testing.T) {
	t.Parallel()
	pdt := time.FixedZone("PDT", -7*3600)
	ship := time.Date(2024, 7, 2, 0, 0, 0, 0, pdt)
	s := model.Shipment{
		ID: "shipstation:1", Provider: "shipstation", OrderID: "shipstation:2",
		Carrier: model.CarrierOther, Source: model.SourceLabel,
		ShipDate: &ship, UpdatedAt: ship,
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(mustJSON(t, s)), &m); err != nil {
		t.Fatal(err)
	}
	if items, ok := m["items"].([]any); !ok || len(items) != 0 {
		t.Errorf("items = %#v, want []", m["items"])
	}
	if m["ship_date"] != "2024-07-02T07:00:00Z" || m["updated_at"] != "2024-07-02T07:00:00Z" {
		t.Errorf("ship_date %v, updated_at %v; want UTC", m["ship_date"], m["updated_at"])
	}
	if v, ok := m["voided_at"]; !ok || v != nil {
		t.Errorf("voided_at = %#v, want null", v)
	}
	if ship.Location() != pdt {
		t.Error("MarshalJSON changed the caller's time")
	}
	var back model.Shipment
	if err := json.Unmarshal([]byte(mustJSON(t, s)), &back); err != nil || mustJSON(t, back) != mustJSON(t, s) {
		t.Errorf("round trip: %v", err)
	}
}

func TestShipmentFingerprint(t *testing.T) {
	t.Parallel()
	a := shipStationShipment(t, nil)
	b := shipStationShipment(t, nil)
	fa, err := a.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	if fb, _ := b.Fingerprint(); fb != fa {
		t.Error("equal shipments have different fingerprints")
	}
	b.TrackingNumber = "x"
	if fb, _ := b.Fingerprint(); fb == fa {
		t.Error("different shipments have the same fingerprint")
	}
	if len(fa) != 32 {
		t.Errorf("fingerprint %q, want 32 hex digits", fa)
	}
}
