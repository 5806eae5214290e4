package schemas_test

import (
	"encoding/json"
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
	checkCanonicalSchemaFile(t, canonicalShipmentSchema, "shipment")
	if checkStreamRows(t, catalog.StreamShipments, canonicalShipmentSchema) == 0 {
		t.Error("the catalog has no shipment events")
	}
}

// TestCanonicalShipmentEnums: the schema's enums are pkg/model's, value for
// value.
func TestCanonicalShipmentEnums(t *testing.T) {
	t.Parallel()
	checkEnums(t, canonicalShipmentSchema, map[string][]string{
		"carrier":  enumStrings(model.Carriers()),
		"source":   enumStrings(model.Sources()),
		"provider": {model.ProviderShipStation, model.ProviderSnipcart, model.ProviderShopline},
	})
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
	for _, topic := range []string{"fulfillments/create", "fulfillments/update"} {
		et, err := catalog.Webhook(catalog.Shopline, topic)
		if err != nil {
			t.Fatal(err)
		}
		body, _, err := schemas.Example(et)
		if err != nil {
			t.Fatal(err)
		}
		if out["shopline "+topic], err = model.FromShoplineFulfillment(body, "1610418123456"); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		unmarshalEdited(t, string(body), func(m map[string]any) { m["status"] = "cancelled" }, &m)
		if out["shopline "+topic+" cancelled"], err = model.FromShoplineFulfillment([]byte(mustJSON(t, m)), "1610418123456"); err != nil {
			t.Fatal(err)
		}
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
	checkRecordsValid(t, canonicalShipmentSchema, canonicalShipments(t))
}

// TestCanonicalShipmentRefuse starts from a valid voided label with items
// and breaks one thing per case: the schema must refuse it and, where the
// document still decodes into a model.Shipment, so must Validate.
func TestCanonicalShipmentRefuse(t *testing.T) {
	t.Parallel()
	cases := []refuseCase{
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
	base := canonicalShipments(t)["voided label"]
	if len(base.Items) == 0 || !base.Voided {
		t.Fatal("the base shipment must be voided and have items")
	}
	checkRefused(t, canonicalShipmentSchema, base, cases)
}

// TestCanonicalShipmentAccept pins what the schema allows on purpose.
func TestCanonicalShipmentAccept(t *testing.T) {
	t.Parallel()
	cases := []acceptCase{
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
	checkAccepted(t, canonicalShipmentSchema, canonicalShipments(t)["voided label"], cases)
}
