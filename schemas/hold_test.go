package schemas_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
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
	raw, err := fs.ReadFile(schemas.FS, canonicalHoldSchema)
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
	if want := schemas.BaseURL + canonicalHoldSchema; doc.ID != want {
		t.Errorf("$id = %q, want %q", doc.ID, want)
	}
	if doc.Title == "" || doc.Description == "" {
		t.Error("title and description are required")
	}
	if doc.AdditionalProperties == nil || *doc.AdditionalProperties {
		t.Error("the hold must have additionalProperties false")
	}
	if _, err := schemas.Compile(canonicalHoldSchema); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	rows := 0
	for _, row := range catalog.All() {
		if row.Stream != catalog.StreamFulfillment {
			continue
		}
		rows++
		if row.Schema != canonicalHoldSchema {
			t.Errorf("%s has schema %q, want %q", row.Subject, row.Schema, canonicalHoldSchema)
		}
	}
	if rows != 5 {
		t.Errorf("%d FULFILLMENT rows, want hold_placed, hold_released, rejected, hold_overdue for SHOPLINE and rejected for ShipStation", rows)
	}
}

// TestCanonicalHoldEnums: the schema's enums are pkg/model's, value for
// value.
func TestCanonicalHoldEnums(t *testing.T) {
	t.Parallel()
	var doc struct {
		Properties map[string]struct {
			Enum  []string `json:"enum"`
			Items struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"items"`
		} `json:"properties"`
	}
	raw, _ := fs.ReadFile(schemas.FS, canonicalHoldSchema)
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var statuses, reasons []string
	for _, s := range model.HoldStatuses() {
		statuses = append(statuses, string(s))
	}
	for _, r := range model.HoldReasons() {
		reasons = append(reasons, string(r))
	}
	for name, c := range map[string]struct{ got, want []string }{
		"status":                  {doc.Properties["status"].Enum, statuses},
		"provider":                {doc.Properties["provider"].Enum, []string{model.ProviderShopline, model.ProviderShipStation}},
		"holds.normalised_reason": {doc.Properties["holds"].Items.Properties["normalised_reason"].Enum, reasons},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s enum = %v, pkg/model has %v", name, c.got, c.want)
		}
	}
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
	sch, err := schemas.Compile(canonicalHoldSchema)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range canonicalHolds(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := h.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			b, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(decode(t, b)); err != nil {
				t.Errorf("the record of %s does not validate: %v\n%s", name, err, b)
			}
		})
	}
}

// TestCanonicalHoldRefuse breaks a valid held record one way per case: the
// schema must refuse it and, where marked, so must FulfillmentHold.Validate.
func TestCanonicalHoldRefuse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(map[string]any)
		goToo  bool
	}{
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
	sch, err := schemas.Compile(canonicalHoldSchema)
	if err != nil {
		t.Fatal(err)
	}
	base := mustJSON(t, canonicalHolds(t)["update, released, on_hold"])
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal([]byte(base), &doc); err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(roundTrip(t, doc)); err != nil {
				t.Fatalf("the unchanged record is already invalid: %v", err)
			}
			tc.mutate(doc)
			b := mustJSON(t, doc)
			if err := sch.Validate(decode(t, []byte(b))); err == nil {
				t.Errorf("schema accepted %s", b)
			}
			if tc.goToo {
				var h model.FulfillmentHold
				if err := json.Unmarshal([]byte(b), &h); err != nil {
					t.Fatalf("does not decode into model.FulfillmentHold: %v", err)
				}
				if err := h.Validate(); !errors.Is(err, model.ErrInvalid) {
					t.Errorf("FulfillmentHold.Validate() = %v, want ErrInvalid", err)
				}
			}
		})
	}
}

// TestCanonicalHoldAccept pins what the schema allows on purpose.
func TestCanonicalHoldAccept(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(map[string]any)
	}{
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
	sch, err := schemas.Compile(canonicalHoldSchema)
	if err != nil {
		t.Fatal(err)
	}
	base := mustJSON(t, canonicalHolds(t)["update, released, on_hold"])
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal([]byte(base), &doc); err != nil {
				t.Fatal(err)
			}
			tc.mutate(doc)
			b := mustJSON(t, doc)
			if err := sch.Validate(decode(t, []byte(b))); err != nil {
				t.Errorf("schema refused %s: %v", b, err)
			}
			var h model.FulfillmentHold
			if err := json.Unmarshal([]byte(b), &h); err != nil {
				t.Fatal(err)
			}
			if err := h.Validate(); err != nil {
				t.Errorf("FulfillmentHold.Validate(): %v", err)
			}
		})
	}
}
