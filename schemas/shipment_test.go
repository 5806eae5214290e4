package schemas_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/schemas"
)

const canonicalShipmentSchema = "canonical/shipment.schema.json"

// TestCanonicalShipmentSchemaFile checks the canonical shipment schema like
// the order's, and that every catalog shipment event names it.
func TestCanonicalShipmentSchemaFile(t *testing.T) {
	t.Parallel()
	raw, err := fs.ReadFile(schemas.FS, canonicalShipmentSchema)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema               string `json:"$schema"`
		ID                   string `json:"$id"`
		Title                string `json:"title"`
		Description          string `json:"description"`
		AdditionalProperties *bool  `json:"additionalProperties"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q, want draft 2020-12", doc.Schema)
	}
	if want := schemas.BaseURL + canonicalShipmentSchema; doc.ID != want {
		t.Errorf("$id = %q, want %q", doc.ID, want)
	}
	if doc.Title == "" || doc.Description == "" {
		t.Error("title and description are required")
	}
	if doc.AdditionalProperties == nil || *doc.AdditionalProperties {
		t.Error("the shipment must have additionalProperties false")
	}
	if _, err := schemas.Compile(canonicalShipmentSchema); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	rows := 0
	for _, row := range catalog.All() {
		if row.Stream != catalog.StreamShipments {
			continue
		}
		rows++
		if row.Schema != canonicalShipmentSchema {
			t.Errorf("%s has schema %q, want %q", row.Subject, row.Schema, canonicalShipmentSchema)
		}
	}
	if rows == 0 {
		t.Error("the catalog has no shipment events")
	}
}

// TestCanonicalShipmentEnums: the schema's enums are pkg/model's, value for
// value.
func TestCanonicalShipmentEnums(t *testing.T) {
	t.Parallel()
	var doc struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
	}
	raw, _ := fs.ReadFile(schemas.FS, canonicalShipmentSchema)
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var carriers, sources []string
	for _, c := range model.Carriers() {
		carriers = append(carriers, string(c))
	}
	for _, s := range model.Sources() {
		sources = append(sources, string(s))
	}
	for prop, want := range map[string][]string{
		"carrier":  carriers,
		"source":   sources,
		"provider": {model.ProviderShipStation, model.ProviderSnipcart, model.ProviderShopline},
	} {
		if got := doc.Properties[prop].Enum; !slices.Equal(got, want) {
			t.Errorf("%s enum = %v, pkg/model has %v", prop, got, want)
		}
	}
}

// ShipStation records as the V1 API returns them.
const (
	labelJSON = `{"shipmentId": 33974374, "orderId": 43945660, "orderNumber": "100038-1",
	  "createDate": "2024-07-01T08:16:12.1230000", "shipDate": "2024-07-02",
	  "trackingNumber": "9400111899223197428490", "carrierCode": "stamps_com",
	  "serviceCode": "usps_first_class_mail", "voided": false, "voidDate": null,
	  "shipmentItems": [{"orderItemId": 1, "sku": "MUG-1", "name": "Mug", "quantity": 3}]}`
	fulfillmentJSON = `{"fulfillmentId": 5512, "orderId": 43945660, "orderNumber": "100038-1",
	  "trackingNumber": "1Z999AA10123456784", "createDate": "2024-07-01T08:16:12.1230000",
	  "shipDate": "2024-07-01T00:00:00.0000000", "carrierCode": "UPS", "voided": false, "voidRequested": false}`
)

// canonicalShipments returns, by name, a shipment of every kind the
// normalisers make.
func canonicalShipments(t *testing.T) map[string]model.Shipment {
	t.Helper()
	out := map[string]model.Shipment{}
	label := func(name, store string, edit func(m map[string]any)) {
		var s shipstation.Shipment
		unmarshalEdited(t, labelJSON, edit, &s)
		sh, err := model.FromShipStationShipment(s, store)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = sh
	}
	label("label", "123456", nil)
	label("label without items or store", "", func(m map[string]any) { m["shipmentItems"] = nil })
	label("voided label", "123456", func(m map[string]any) { m["voided"], m["voidDate"] = true, "2024-07-03T10:00:00.0000000" })
	label("label of an unknown carrier", "123456", func(m map[string]any) { m["carrierCode"] = "asendia" })
	label("label without tracking", "123456", func(m map[string]any) { m["trackingNumber"] = nil })
	for _, carrier := range []string{"USPS", "UPS", "FedEx", "DHL Express", "Canada Post", "Royal Mail", "Australia Post"} {
		var f shipstation.Fulfillment
		unmarshalEdited(t, fulfillmentJSON, func(m map[string]any) { m["carrierCode"] = carrier }, &f)
		sh, err := model.FromShipStationFulfillment(f, "")
		if err != nil {
			t.Fatalf("fulfillment %s: %v", carrier, err)
		}
		out["fulfillment "+carrier] = sh
	}
	var f shipstation.Fulfillment
	unmarshalEdited(t, fulfillmentJSON, func(m map[string]any) { m["voided"] = true }, &f)
	sh, err := model.FromShipStationFulfillment(f, "")
	if err != nil {
		t.Fatal(err)
	}
	out["voided fulfillment"] = sh

	et, err := catalog.Webhook(catalog.Snipcart, "order.trackingNumber.changed")
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	if out["snipcart"], err = model.FromSnipcartTracking(body); err != nil {
		t.Fatal(err)
	}
	return out
}

func unmarshalEdited(t *testing.T, raw string, edit func(m map[string]any), v any) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	if err := json.Unmarshal([]byte(mustJSON(t, m)), v); err != nil {
		t.Fatal(err)
	}
}

// TestCanonicalShipments validates a shipment of every kind the normalisers
// make against the canonical schema.
func TestCanonicalShipments(t *testing.T) {
	t.Parallel()
	sch, err := schemas.Compile(canonicalShipmentSchema)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range canonicalShipments(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := s.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(decode(t, b)); err != nil {
				t.Errorf("%s does not validate: %v\n%s", name, err, b)
			}
		})
	}
}

// TestCanonicalShipmentRefuse starts from a valid voided label with items
// and breaks one thing per case: the schema must refuse it and, where the
// document still decodes into a model.Shipment, so must Validate.
func TestCanonicalShipmentRefuse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(map[string]any)
		goToo  bool // model.Shipment.Validate must refuse it too
	}{
		{"raw carrier code as carrier", set("carrier", "stamps_com"), true},
		{"display name as carrier", set("carrier", "USPS"), true},
		{"missing carrier", del("carrier"), true},
		{"unknown source", set("source", "drone"), true},
		{"id without provider", set("id", "33974374"), true},
		{"id with a colon in the external id", set("id", "shipstation:f:1"), true},
		{"order id with a dot", set("order_id", "shipstation:1.2"), true},
		{"unknown provider", func(m map[string]any) {
			m["id"], m["order_id"], m["provider"] = "shopify:1", "shopify:2", "shopify"
		}, true},
		{"javascript tracking URL", set("tracking_url", "javascript:alert(1)"), true},
		{"relative tracking URL", set("tracking_url", "/track?n=1"), true},
		{"voided_at on a shipment not voided", set("voided", false), true},
		{"voided a string", set("voided", "true"), false},
		{"ship_date a date", set("ship_date", "2024-07-02"), false},
		{"updated_at not UTC", set("updated_at", "2024-07-03T10:00:00-07:00"), false},
		{"missing updated_at", del("updated_at"), true},
		{"missing ship_date", del("ship_date"), false},
		{"missing voided_at", del("voided_at"), false},
		{"missing tiebreak", del("tiebreak"), false},
		{"items null", set("items", nil), false},
		{"negative quantity", set("items.0.quantity", -1.0), true},
		{"fractional quantity", set("items.0.quantity", 1.5), false},
		{"extra field", set("cost", "2.35"), false},
		{"extra field in an item", set("items.0.unit_price", "9.99"), false},
		{"tracking number a number", set("tracking_number", 9400111899.0), false},
	}
	sch, err := schemas.Compile(canonicalShipmentSchema)
	if err != nil {
		t.Fatal(err)
	}
	base := canonicalShipments(t)["voided label"]
	if len(base.Items) == 0 || !base.Voided {
		t.Fatal("the base shipment must be voided and have items")
	}
	baseJSON := mustJSON(t, base)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal([]byte(baseJSON), &doc); err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(roundTrip(t, doc)); err != nil {
				t.Fatalf("the unchanged shipment is already invalid: %v", err)
			}
			tc.mutate(doc)
			b := mustJSON(t, doc)
			if err := sch.Validate(decode(t, []byte(b))); err == nil {
				t.Errorf("schema accepted %s", b)
			}
			if tc.goToo {
				var s model.Shipment
				if err := json.Unmarshal([]byte(b), &s); err != nil {
					t.Fatalf("does not decode into model.Shipment: %v", err)
				}
				if err := s.Validate(); !errors.Is(err, model.ErrInvalid) {
					t.Errorf("Shipment.Validate() = %v, want ErrInvalid", err)
				}
			}
		})
	}
}

// TestCanonicalShipmentAccept pins what the schema allows on purpose.
func TestCanonicalShipmentAccept(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(map[string]any)
	}{
		{"voided at an unknown time", set("voided_at", nil)},
		{"no ship date", set("ship_date", nil)},
		{"no items", set("items", []any{})},
		{"no tracking", func(m map[string]any) { m["tracking_number"], m["tracking_url"] = "", "" }},
		{"http tracking URL", set("tracking_url", "http://track.example.com/?n=1")},
		{"fractional seconds", set("updated_at", "2024-07-03T17:00:00.1234567Z")},
		{"fulfillment id", set("id", "shipstation:f5512")},
		{"snipcart", func(m map[string]any) {
			m["id"], m["order_id"], m["provider"], m["store"], m["source"] = "snipcart:1912e4c1-d008", "snipcart:1912e4c1-d008", "snipcart", "test", "marketplace"
		}},
	}
	sch, err := schemas.Compile(canonicalShipmentSchema)
	if err != nil {
		t.Fatal(err)
	}
	baseJSON := mustJSON(t, canonicalShipments(t)["voided label"])
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal([]byte(baseJSON), &doc); err != nil {
				t.Fatal(err)
			}
			tc.mutate(doc)
			b := mustJSON(t, doc)
			if err := sch.Validate(decode(t, []byte(b))); err != nil {
				t.Errorf("schema refused %s: %v", b, err)
			}
			var s model.Shipment
			if err := json.Unmarshal([]byte(b), &s); err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("Shipment.Validate(): %v", err)
			}
		})
	}
}
