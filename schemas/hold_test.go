package schemas_test

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/schemas"
)

const canonicalHoldSchema = "canonical/fulfillment-hold.schema.json"

// TestCanonicalHoldSchemaFile checks the fulfillment-hold schema like the
// order's, and that every catalog FULFILLMENT event names it.
func TestCanonicalHoldSchemaFile(t *testing.T) {
	t.Parallel()
	checkCanonicalSchemaFile(t, canonicalHoldSchema, "hold")
	if rows := checkStreamRows(t, catalog.StreamFulfillment, canonicalHoldSchema); rows != 5 {
		t.Errorf("%d FULFILLMENT rows, want hold_placed, hold_released, rejected, hold_overdue for SHOPLINE and rejected for ShipStation", rows)
	}
}

// TestCanonicalHoldEnums: the schema's enums are pkg/model's, value for
// value.
func TestCanonicalHoldEnums(t *testing.T) {
	t.Parallel()
	checkEnums(t, canonicalHoldSchema, map[string][]string{
		"status":                  enumStrings(model.HoldStatuses()),
		"provider":                {model.ProviderShopline, model.ProviderShipStation},
		"holds.normalised_reason": enumStrings(model.HoldReasons()),
	})
}

// canonicalHolds returns, by name, the records the normalisers make of the
// SHOPLINE fulfillment-order examples (each as if nothing were stored, and
// the demo sequence update → update.released → on_hold) and of a
// ShipStation rejection, plus a hold marked overdue.
func canonicalHolds(t *testing.T) map[string]model.FulfillmentHold {
	t.Helper()
	at := time.Date(2025, 6, 3, 9, 0, 0, 0, time.UTC)
	norm := func(p string, at time.Time) model.FulfillmentHold {
		t.Helper()
		body, err := fs.ReadFile(schemas.FS, p)
		if err != nil {
			t.Fatal(err)
		}
		h, err := model.FromShoplineFulfillmentOrder(body, shoplineShopID, at)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return h
	}
	out := map[string]model.FulfillmentHold{}
	for _, row := range catalog.Webhooks() {
		if row.Provider == catalog.Shopline && strings.HasPrefix(row.Event, "fulfillment_order/") {
			out[row.Event] = norm(row.Example, at)
		}
	}
	if len(out) != 9 {
		t.Fatalf("%d SHOPLINE fulfillment_order rows, want 9", len(out))
	}
	placed := out["fulfillment_order/update"]
	released := norm(releasedExample, at.Add(time.Hour)).Succeed(&placed)
	again := out["fulfillment_order/on_hold"]
	again.UpdatedAt = at.Add(2 * time.Hour)
	again = again.Succeed(&released)
	out["update, then released"] = released
	out["update, released, on_hold"] = again
	overdue := again
	overdue.OverdueAt = again.PlacedAt.Add(24 * time.Hour)
	out["overdue"] = overdue
	rejected, err := model.FromShipStationRejection(shipstation.Fulfillment{
		FulfillmentID: 33974374, OrderID: 191759016, OrderNumber: "101",
		CreateDate: shipstation.PacificTime{Time: at},
	}, "123456", at)
	if err != nil {
		t.Fatal(err)
	}
	out["shipstation rejection"] = rejected
	return out
}

// TestCanonicalHoldExamples validates what the normalisers produce.
func TestCanonicalHoldExamples(t *testing.T) {
	t.Parallel()
	checkRecordsValid(t, canonicalHoldSchema, canonicalHolds(t))
}

// TestCanonicalHoldRefuse breaks a valid held record one way per case: the
// schema must refuse it and, where marked, so must FulfillmentHold.Validate.
func TestCanonicalHoldRefuse(t *testing.T) {
	t.Parallel()
	cases := []refuseCase{
		{"id without shop", set("id", "shopline:4005740193290131085320"), true},
		{"id with a dot", set("id", "shopline:1610418123456:a.b"), true},
		{"unknown provider", func(m map[string]any) { m["provider"] = "shopify" }, true},
		{"status of the provider", set("status", "on_hold"), true},
		{"missing status", del("status"), false},
		{"held without placed_at", del("placed_at"), true},
		{"held with hold_seq 0", set("hold_seq", 0.0), true},
		{"held with released_at", set("released_at", "2025-06-03T12:00:00Z"), false},
		{"negative hold_seq", set("hold_seq", -1.0), true},
		{"unknown normalised reason", set("holds.0.normalised_reason", "stock"), true},
		{"hold without reason", del("holds.0.reason"), false},
		{"extra field", set("priority", "high"), false},
		{"extra field in a hold", set("holds.0.reason_notes", "x"), false},
		{"extra field in a line", set("line_items.0.sku", "x"), false},
		{"quantity as a string", set("line_items.0.fulfillable_quantity", "2"), false},
		{"negative quantity", set("line_items.0.quantity", -1.0), true},
		{"holds null", set("holds", nil), false},
		{"supported_actions a string", set("supported_actions", "release_hold"), false},
		{"updated_at not UTC", set("updated_at", "2025-06-03T07:00:00-02:00"), false},
		{"placed_at a date", set("placed_at", "2025-06-03"), false},
		{"missing tiebreak", del("tiebreak"), false},
	}
	checkRefused(t, canonicalHoldSchema, canonicalHolds(t)["update, released, on_hold"], cases)
}

// TestCanonicalHoldAccept pins what the schema allows on purpose.
func TestCanonicalHoldAccept(t *testing.T) {
	t.Parallel()
	cases := []acceptCase{
		{"no location", del("assigned_location")},
		{"no order id yet", set("order_id", "")},
		{"empty reason and note", func(m map[string]any) { set("holds.0.reason", "")(m); set("holds.0.note", "")(m) }},
		{"unknown reason kept raw", func(m map[string]any) {
			set("holds.0.reason", "Waiting for engraving")(m)
			set("holds.0.normalised_reason", "other")(m)
		}},
		{"no holds listed while on_hold", set("holds", []any{})},
		{"released, with the holds it released", func(m map[string]any) {
			m["status"], m["raw_status"], m["released_at"] = "released", "open", "2025-06-03T12:00:00Z"
		}},
		{"never held", func(m map[string]any) {
			m["status"], m["hold_seq"], m["holds"] = "released", 0.0, []any{}
			delete(m, "placed_at")
		}},
		{"fractional seconds", set("updated_at", "2025-06-03T11:00:00.123456789Z")},
		{"with overdue_at", set("overdue_at", "2025-06-04T11:00:00Z")},
		{"with a message", set("message", "Destination cannot be served from this location")},
		{"ShipStation store unknown", func(m map[string]any) {
			m["id"], m["provider"], m["shop"], m["fulfillment_order_id"] = "shipstation:unknown:33974374", "shipstation", "unknown", "33974374"
		}},
	}
	checkAccepted(t, canonicalHoldSchema, canonicalHolds(t)["update, released, on_hold"], cases)
}
