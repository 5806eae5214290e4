package model_test

import (
	"bytes"
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

const (
	holdShop = "1610418123456"
	holdFO   = "4005740193290131085320"
	holdID   = "shopline:" + holdShop + ":" + holdFO
)

var holdT0 = time.Date(2025, 6, 3, 9, 0, 0, 0, time.UTC)

// holdFixture reads testdata/hold/shopline/fulfillment_order.<name>.json.
func holdFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hold", "shopline", "fulfillment_order."+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withUpdatedAt sets fulfillment_order.updated_at in a SHOPLINE body.
func withUpdatedAt(t *testing.T, body []byte, at time.Time) []byte {
	t.Helper()
	var doc map[string]map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	doc["fulfillment_order"]["updated_at"] = at.Format(time.RFC3339)
	b, _ := json.Marshal(doc)
	return b
}

func fromShopline(t *testing.T, body []byte, at time.Time) model.FulfillmentHold {
	t.Helper()
	h, err := model.FromShoplineFulfillmentOrder(body, holdShop, at)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNormaliseHoldReason(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		want model.HoldReason
	}{
		{"out of stock", model.ReasonOutOfStock},
		{"INVENTORY_OUT_OF_STOCK", model.ReasonOutOfStock},
		{"Item temporarily out-of-stock (supplier)", model.ReasonOutOfStock},
		{"缺货", model.ReasonOutOfStock},
		{"incorrect address", model.ReasonAddress},
		{"INCORRECT_ADDRESS", model.ReasonAddress},
		{"Customer asked to change the delivery address", model.ReasonAddress},
		{"high_risk_of_fraud", model.ReasonFraudRisk},
		{"High risk", model.ReasonFraudRisk},
		{"awaiting payment", model.ReasonPayment},
		{"AWAITING_PAYMENT", model.ReasonPayment},
		{"unpaid", model.ReasonPayment},
		{"OTHER", model.ReasonOther},
		{"customer require", model.ReasonOther}, // seed 004's example note, as a reason
		{"", model.ReasonOther},
		{"gift wrapping pending", model.ReasonOther},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			t.Parallel()
			if got := model.NormaliseHoldReason(tc.raw); got != tc.want {
				t.Errorf("NormaliseHoldReason(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestHoldEnums(t *testing.T) {
	t.Parallel()
	if n := len(model.HoldStatuses()); n != 5 {
		t.Errorf("%d hold statuses, want the 5 documented", n)
	}
	if n := len(model.HoldReasons()); n != 5 {
		t.Errorf("%d hold reasons, want the 5 documented", n)
	}
	for _, s := range []model.HoldStatus{"", "on_hold", "Held", "open"} {
		if s.Valid() {
			t.Errorf("status %q is Valid", s)
		}
	}
	for _, r := range []model.HoldReason{"", "out of stock", "fraud"} {
		if r.Valid() {
			t.Errorf("reason %q is Valid", r)
		}
	}
}

// TestHoldFixturesMatchExamples: testdata/hold/shopline is a copy of the
// fulfillment-order examples in schemas/examples/shopline.
func TestHoldFixturesMatchExamples(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "schemas", "examples", "shopline")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no schemas module beside pkg: %v", err)
	}
	examples, _ := filepath.Glob(filepath.Join(dir, "fulfillment_order.*.json"))
	var bodies []string
	for _, ex := range examples {
		if !strings.HasSuffix(ex, ".headers.json") {
			bodies = append(bodies, ex)
		}
	}
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "hold", "shopline", "*.json"))
	if len(bodies) == 0 || len(fixtures) != len(bodies) {
		t.Errorf("%d fixtures, %d fulfillment-order examples", len(fixtures), len(bodies))
	}
	for _, ex := range bodies {
		want, _ := os.ReadFile(ex)
		got, err := os.ReadFile(filepath.Join("testdata", "hold", "shopline", filepath.Base(ex)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/hold/shopline/%s differs from %s (copy it again): %v", filepath.Base(ex), ex, err)
		}
	}
}

// Every SHOPLINE fulfillment-order example normalises to a valid record,
// as if nothing were stored before it; the records are golden files.
func TestHoldFromShoplineExamples(t *testing.T) {
	t.Parallel()
	want := map[string]model.HoldStatus{
		"create": model.HoldReleased, "update": model.HoldHeld, "on_hold": model.HoldHeld,
		"released": model.HoldReleased, "update.released": model.HoldReleased, "submitted": model.HoldReleased,
		"accepted": model.HoldReleased, "rejected": model.HoldRejected,
		"cancellation_request_submitted": model.HoldReleased, "cancellation_request_rejected": model.HoldReleased,
	}
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "hold", "shopline", "*.json"))
	if len(fixtures) != len(want) {
		t.Fatalf("%d fixtures, the test knows %d", len(fixtures), len(want))
	}
	for _, f := range fixtures {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "fulfillment_order."), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := fromShopline(t, holdFixture(t, name), holdT0)
			if h.ID != holdID || h.Key() != "shopline."+holdShop+"."+holdFO {
				t.Errorf("id %q key %q", h.ID, h.Key())
			}
			if h.Status != want[name] {
				t.Errorf("status %q, want %q", h.Status, want[name])
			}
			if err := h.Validate(); err != nil {
				t.Error(err)
			}
			checkGolden(t, filepath.Join("testdata", "hold", "golden", name+".hold.json"), h)
		})
	}
}

// The update example in detail: both spellings and types of the seed.
func TestHoldFromShoplineUpdate(t *testing.T) {
	t.Parallel()
	h := fromShopline(t, holdFixture(t, "update"), holdT0)
	if h.Status != model.HoldHeld || h.RawStatus != "on_hold" || h.HoldSeq != 1 || !h.PlacedAt.Equal(holdT0) {
		t.Errorf("status %q raw %q seq %d placed %s", h.Status, h.RawStatus, h.HoldSeq, h.PlacedAt)
	}
	if len(h.Holds) != 1 || h.Holds[0].Reason != "out of stock" || h.Holds[0].NormalisedReason != model.ReasonOutOfStock ||
		!strings.HasPrefix(h.Holds[0].Note, "Size M back in stock") {
		t.Errorf("holds %+v", h.Holds)
	}
	if h.OrderID != "21057401932826316666967110" || h.RequestStatus != "unsubmitted" {
		t.Errorf("order %q request status %q", h.OrderID, h.RequestStatus)
	}
	if l := h.AssignedLocation; l == nil || l.ID != "5327026538935748524" || l.Name != "Louisville Warehouse" || l.CountryCode != "US" {
		t.Errorf("location %+v", l)
	}
	// fulfillable_quantity is "2" on one line and 1 on the other.
	if len(h.LineItems) != 2 || h.LineItems[0].FulfillableQuantity != 2 || h.LineItems[1].FulfillableQuantity != 1 ||
		h.LineItems[0].Quantity != 2 || h.LineItems[0].VariantID != "18055128824718541486811487" {
		t.Errorf("line items %+v", h.LineItems)
	}
	if strings.Join(h.SupportedActions, ",") != "release_hold,move" {
		t.Errorf("supported actions %v", h.SupportedActions)
	}
}

// Placed, released, placed again: the bookkeeping follows each change.
func TestHoldPlacedReleasedPlacedAgain(t *testing.T) {
	t.Parallel()
	t1, t2, t3 := holdT0, holdT0.Add(time.Hour), holdT0.Add(2*time.Hour)
	placed := fromShopline(t, withUpdatedAt(t, holdFixture(t, "update"), t1), time.Time{})
	released := fromShopline(t, withUpdatedAt(t, holdFixture(t, "update.released"), t2), time.Time{}).Succeed(&placed)
	if released.Status != model.HoldReleased || !released.ReleasedAt.Equal(t2) || !released.PlacedAt.Equal(t1) || released.HoldSeq != 1 {
		t.Errorf("released: %+v", released)
	}
	if len(released.Holds) != 1 || released.Holds[0].Reason != "out of stock" {
		t.Errorf("released record does not name the hold it released: %+v", released.Holds)
	}
	// The on_hold topic sends only id, status and holds: the rest is kept.
	again := fromShopline(t, withUpdatedAt(t, holdFixture(t, "on_hold"), t3), time.Time{}).Succeed(&released)
	if again.Status != model.HoldHeld || again.HoldSeq != 2 || !again.PlacedAt.Equal(t3) || !again.ReleasedAt.IsZero() {
		t.Errorf("placed again: status %q seq %d placed %s released %s", again.Status, again.HoldSeq, again.PlacedAt, again.ReleasedAt)
	}
	if again.OrderID != placed.OrderID || len(again.LineItems) != 2 || again.AssignedLocation == nil ||
		strings.Join(again.SupportedActions, ",") != "create_fulfillment,move,hold" {
		t.Errorf("the reduced on_hold body lost stored members: %+v", again)
	}
	if err := again.Validate(); err != nil {
		t.Error(err)
	}
	checkGolden(t, filepath.Join("testdata", "hold", "golden", "placed-released-placed.hold.json"), again)
}

// Reduced bodies: a body that does not mention holds keeps them; one that
// leaves on_hold for another status releases them.
func TestHoldReducedBodies(t *testing.T) {
	t.Parallel()
	held := fromShopline(t, holdFixture(t, "update"), holdT0)
	cases := []struct {
		name string
		body string
		want model.HoldStatus
	}{
		{"only a request status", `{"fulfillment_order":{"id":"` + holdFO + `","request_status":"submitted"}}`, model.HoldHeld},
		{"on_hold without holds", `{"fulfillment_order":{"id":"` + holdFO + `","status":"on_hold"}}`, model.HoldHeld},
		{"accepted", string(holdFixture(t, "accepted")), model.HoldReleased},
		{"released topic", string(holdFixture(t, "released")), model.HoldReleased},
		{"rejected", string(holdFixture(t, "rejected")), model.HoldRejected},
		{"closed", `{"fulfillment_order":{"id":"` + holdFO + `","status":"closed"}}`, model.HoldClosed},
		{"cancelled", `{"fulfillment_order":{"id":"` + holdFO + `","status":"cancelled"}}`, model.HoldCancelled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := fromShopline(t, []byte(tc.body), holdT0.Add(time.Minute)).Succeed(&held)
			if next.Status != tc.want {
				t.Fatalf("status %q, want %q", next.Status, tc.want)
			}
			if len(next.Holds) != 1 || next.HoldSeq != 1 || !next.PlacedAt.Equal(holdT0) {
				t.Errorf("holds %+v seq %d placed %s", next.Holds, next.HoldSeq, next.PlacedAt)
			}
			if (tc.want == model.HoldHeld) != next.ReleasedAt.IsZero() {
				t.Errorf("released_at %s for status %s", next.ReleasedAt, next.Status)
			}
			if next.OrderID == "" || len(next.LineItems) != 2 {
				t.Errorf("stored members lost: order %q, %d lines", next.OrderID, len(next.LineItems))
			}
			if err := next.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

// Unknown reasons, the other spelling of the note, ids as numbers, a
// single supported action, missing optional members: all accepted.
func TestHoldFromShoplineLenient(t *testing.T) {
	t.Parallel()
	body := `{"fulfillment_order":{"id":4005740193290131085320,"status":"on_hold",
		"fulfillment_holds":[{"reason":"Waiting for engraving","reason_note":"customer require"},{"reason":"address"},{}],
		"line_items":[{"id":"1","quantity":"3","fulfillable_quantity":2}],
		"supported_actions":"release_hold"}}`
	h := fromShopline(t, []byte(body), holdT0)
	if h.ID != holdID || h.Status != model.HoldHeld {
		t.Fatalf("id %q status %q", h.ID, h.Status)
	}
	want := []model.Hold{
		{Reason: "Waiting for engraving", Note: "customer require", NormalisedReason: model.ReasonOther},
		{Reason: "address", NormalisedReason: model.ReasonAddress},
		{NormalisedReason: model.ReasonOther},
	}
	if len(h.Holds) != len(want) {
		t.Fatalf("holds %+v", h.Holds)
	}
	for i := range want {
		if h.Holds[i] != want[i] {
			t.Errorf("holds[%d] = %+v, want %+v", i, h.Holds[i], want[i])
		}
	}
	if len(h.LineItems) != 1 || h.LineItems[0].Quantity != 3 || h.LineItems[0].FulfillableQuantity != 2 {
		t.Errorf("line items %+v", h.LineItems)
	}
	if len(h.SupportedActions) != 1 || h.SupportedActions[0] != "release_hold" {
		t.Errorf("supported actions %v", h.SupportedActions)
	}
	if h.OrderID != "" || h.AssignedLocation != nil || !h.UpdatedAt.Equal(holdT0) {
		t.Errorf("order %q location %v updated %s", h.OrderID, h.AssignedLocation, h.UpdatedAt)
	}
	// Without the header, the body's shop_id names the shop.
	h2, err := model.FromShoplineFulfillmentOrder([]byte(`{"fulfillment_order":{"id":"9","shop_id":"77","status":"open"}}`), "", holdT0)
	if err != nil || h2.ID != "shopline:77:9" {
		t.Errorf("shop from the body: %q, %v", h2.ID, err)
	}
	// updated_at, when present, is the version rather than the event time.
	h3 := fromShopline(t, withUpdatedAt(t, holdFixture(t, "update"), holdT0.Add(-time.Hour)), holdT0)
	if !h3.UpdatedAt.Equal(holdT0.Add(-time.Hour)) {
		t.Errorf("updated_at %s, want the body's", h3.UpdatedAt)
	}
}

func TestHoldFromShoplineRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, body, shop string }{
		{"not JSON", `{"fulfillment_order":`, holdShop},
		{"an array", `[]`, holdShop},
		{"no fulfillment order", `{"order":{"id":"1"}}`, holdShop},
		{"fulfillment order null", `{"fulfillment_order":null}`, holdShop},
		{"no id", `{"fulfillment_order":{"status":"on_hold"}}`, holdShop},
		{"id with a dot", `{"fulfillment_order":{"id":"a.b","status":"on_hold"}}`, holdShop},
		{"id with a colon", `{"fulfillment_order":{"id":"gid:1","status":"on_hold"}}`, holdShop},
		{"no shop anywhere", `{"fulfillment_order":{"id":"1","status":"on_hold"}}`, ""},
		{"negative quantity", `{"fulfillment_order":{"id":"1","line_items":[{"quantity":-1}]}}`, holdShop},
		{"quantity a word", `{"fulfillment_order":{"id":"1","line_items":[{"fulfillable_quantity":"two"}]}}`, holdShop},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := model.FromShoplineFulfillmentOrder([]byte(tc.body), tc.shop, holdT0); !errors.Is(err, model.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := model.FromShoplineFulfillmentOrder(holdFixture(t, "on_hold"), holdShop, time.Time{}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("no updated_at and no event time: %v, want ErrInvalid", err)
	}
}

func TestHoldFromShipStationRejection(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 6, 3, 17, 4, 5, 0, time.UTC)
	f := shipstation.Fulfillment{FulfillmentID: 33974374, OrderID: 191759016, OrderNumber: "101", CreateDate: shipstation.PacificTime{Time: created}}
	h, err := model.FromShipStationRejection(f, "123456", holdT0)
	if err != nil {
		t.Fatal(err)
	}
	if h.ID != "shipstation:123456:33974374" || h.Status != model.HoldRejected || h.OrderID != "191759016" ||
		h.RequestStatus != "rejected" || !h.UpdatedAt.Equal(created) || h.HoldSeq != 0 {
		t.Errorf("record %+v", h)
	}
	if h2, _ := model.FromShipStationRejection(f, "", holdT0); h2.Shop != model.UnknownStore {
		t.Errorf("shop %q without a store, want %q", h2.Shop, model.UnknownStore)
	}
	if h3, _ := model.FromShipStationRejection(shipstation.Fulfillment{FulfillmentID: 1}, "1", holdT0); !h3.UpdatedAt.Equal(holdT0) {
		t.Errorf("without createDate the version is the event time, got %s", h3.UpdatedAt)
	}
	if _, err := model.FromShipStationRejection(shipstation.Fulfillment{}, "1", holdT0); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("no fulfillmentId: %v", err)
	}
}

func TestHoldVersionAndFingerprint(t *testing.T) {
	t.Parallel()
	a := fromShopline(t, holdFixture(t, "update"), holdT0)
	b := fromShopline(t, holdFixture(t, "update"), holdT0)
	if a.Version().After(b.Version()) || b.Version().After(a.Version()) {
		t.Error("the same webhook twice must not be newer than itself")
	}
	c := fromShopline(t, holdFixture(t, "update.released"), holdT0)
	if a.Version().After(c.Version()) == c.Version().After(a.Version()) {
		t.Error("different bodies at the same time must be ordered by the tie-break")
	}
	if later := fromShopline(t, holdFixture(t, "update"), holdT0.Add(time.Second)); !later.Version().After(c.Version()) {
		t.Error("a later time must win whatever the tie-break")
	}
	// The fingerprint survives a round trip through the KV bucket.
	fp, _ := a.Fingerprint()
	raw, _ := json.Marshal(a)
	var stored model.FulfillmentHold
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	if fp2, _ := stored.Fingerprint(); fp2 != fp {
		t.Errorf("fingerprint changed across JSON: %s → %s", fp, fp2)
	}
	if fpc, _ := c.Fingerprint(); fpc == fp {
		t.Error("different records share a fingerprint")
	}
}

func TestHoldValidateRefuses(t *testing.T) {
	t.Parallel()
	base := fromShopline(t, holdFixture(t, "update"), holdT0)
	cases := []struct {
		name   string
		mutate func(h *model.FulfillmentHold)
	}{
		{"unknown provider", func(h *model.FulfillmentHold) { h.Provider = "shopify" }},
		{"id disagrees with its parts", func(h *model.FulfillmentHold) { h.FulfillmentOrderID = "1" }},
		{"unknown status", func(h *model.FulfillmentHold) { h.Status = "on_hold" }},
		{"held without hold_seq", func(h *model.FulfillmentHold) { h.HoldSeq = 0 }},
		{"held without placed_at", func(h *model.FulfillmentHold) { h.PlacedAt = time.Time{} }},
		{"unknown normalised reason", func(h *model.FulfillmentHold) { h.Holds[0].NormalisedReason = "stock" }},
		{"negative quantity", func(h *model.FulfillmentHold) { h.LineItems[0].Quantity = -1 }},
		{"no updated_at", func(h *model.FulfillmentHold) { h.UpdatedAt = time.Time{} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := base
			h.Holds = append([]model.Hold(nil), base.Holds...)
			h.LineItems = append([]model.HoldLineItem(nil), base.LineItems...)
			tc.mutate(&h)
			if err := h.Validate(); !errors.Is(err, model.ErrInvalid) {
				t.Errorf("Validate() = %v, want ErrInvalid", err)
			}
		})
	}
}

// The hold state machine: which event a change of status announces.
func TestHoldTransition(t *testing.T) {
	t.Parallel()
	rec := func(s model.HoldStatus) *model.FulfillmentHold { return &model.FulfillmentHold{Status: s} }
	for _, tc := range []struct {
		prev *model.FulfillmentHold
		next model.HoldStatus
		want model.HoldEvent
	}{
		{nil, model.HoldHeld, model.HoldEventPlaced},
		{rec(model.HoldReleased), model.HoldHeld, model.HoldEventPlaced},
		{rec(model.HoldHeld), model.HoldHeld, model.HoldEventNone},
		{rec(model.HoldHeld), model.HoldReleased, model.HoldEventReleased},
		{rec(model.HoldHeld), model.HoldRejected, model.HoldEventReleased},
		{rec(model.HoldHeld), model.HoldClosed, model.HoldEventReleased},
		{nil, model.HoldRejected, model.HoldEventRejected},
		{rec(model.HoldReleased), model.HoldRejected, model.HoldEventRejected},
		{rec(model.HoldRejected), model.HoldRejected, model.HoldEventNone},
		{nil, model.HoldReleased, model.HoldEventNone},
	} {
		var prev model.HoldStatus = "(none)"
		if tc.prev != nil {
			prev = tc.prev.Status
		}
		if got := (model.FulfillmentHold{Status: tc.next}).Transition(tc.prev); got != tc.want {
			t.Errorf("%s → %s: %q, want %q", prev, tc.next, got, tc.want)
		}
	}
}
