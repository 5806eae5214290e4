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
)

const (
	shoplineShop    = "1610418123456"
	shoplineOrderID = "21057401932826316666967110"
)

// shoplineBody returns a fixture of testdata/shopline/ with edit applied to
// its top-level members (a nil value deletes the member).
func shoplineBody(t *testing.T, name string, edit map[string]any) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "shopline", name))
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
	for k, v := range edit {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return []byte(mustJSON(t, m))
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// The v20260301 orders/updated body becomes the canonical order field by
// field.
func TestFromShoplineOrder(t *testing.T) {
	t.Parallel()
	o, err := model.FromShoplineOrder(shoplineBody(t, "order.json", nil), shoplineShop)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Order{
		ID: "shopline:" + shoplineOrderID, Provider: "shopline", Store: shoplineShop, Number: "#1001",
		Status: model.StatusAwaitingFulfillment, RawStatus: "open",
		PaymentStatus: model.PaymentPaid, RawPaymentStatus: "paid",
		CustomerEmail: "bob.norman@mail.example.com", Currency: "USD",
		Totals: model.Totals{Subtotal: "24.00", Tax: "0.00", Shipping: "2.00", Discount: "0.00", Total: "26.00", Paid: "26.00", Refunded: "0.00"},
		Items: []model.Item{
			{SKU: "TSHIRT-ORG-M", Name: "Organic Cotton T-Shirt - M", Quantity: 2, UnitPrice: "8.00"},
			{SKU: "SOCKS-WOOL-L", Name: "Wool Socks - L", Quantity: 1, UnitPrice: "8.00"},
		},
		ShipTo: &model.Address{
			Name: "Bob Norman", Street1: "Chestnut Street 92", Street2: "Apt 4", City: "Louisville",
			State: "KY", PostalCode: "40202", Country: "US", Phone: "+1(502)-459-3417",
		},
		CreatedAt: utc("2025-06-03T01:58:21Z"), UpdatedAt: utc("2025-06-03T02:20:05Z"),
		Tiebreak: o.Tiebreak,
	}
	if got, wantJSON := mustJSON(t, o), mustJSON(t, want); got != wantJSON {
		t.Errorf("got\n%s\nwant\n%s", got, wantJSON)
	}
	if !strings.HasPrefix(o.Tiebreak, "0#") || len(o.Tiebreak) != 18 {
		t.Errorf("tiebreak %q, want 0# and 16 hex digits", o.Tiebreak)
	}
}

// The body before v20260301 (total_price, total_shipping_price) gives the
// same amounts; the set wins over the flat shipping amount when both come.
func TestFromShoplineOrderOlderShape(t *testing.T) {
	t.Parallel()
	old := shoplineBody(t, "order.json", map[string]any{
		"current_total_price": nil, "total_price": "26.00",
		"total_shipping_price_set": nil, "total_shipping_price": "2.00",
	})
	o, err := model.FromShoplineOrder(old, shoplineShop)
	if err != nil {
		t.Fatal(err)
	}
	if o.Totals.Total != "26.00" || o.Totals.Shipping != "2.00" {
		t.Errorf("totals %+v", o.Totals)
	}
	both := shoplineBody(t, "order.json", map[string]any{"total_shipping_price": "9.99"})
	if o, _ := model.FromShoplineOrder(both, shoplineShop); o.Totals.Shipping != "2.00" {
		t.Errorf("shipping %s, want the shop_money amount 2.00", o.Totals.Shipping)
	}
}

// Statuses from status, cancelled_at, fulfillment_status and
// financial_status, as each orders/* topic sends them.
func TestFromShoplineOrderStatuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                string
		edit                map[string]any
		status              model.Status
		payment             model.PaymentStatus
		paid, refunded, raw string
	}{
		{"create: pending", map[string]any{"financial_status": "pending"}, model.StatusPendingPayment, model.PaymentUnpaid, "0.00", "0.00", "open"},
		{"unpaid", map[string]any{"financial_status": "unpaid"}, model.StatusPendingPayment, model.PaymentUnpaid, "0.00", "0.00", "open"},
		{"partially paid", map[string]any{"financial_status": "partially_paid"}, model.StatusPendingPayment, model.PaymentUnpaid, "0.00", "0.00", "open"},
		{"authorized", map[string]any{"financial_status": "authorized"}, model.StatusAwaitingFulfillment, model.PaymentAuthorized, "0.00", "0.00", "open"},
		{"paid", nil, model.StatusAwaitingFulfillment, model.PaymentPaid, "26.00", "0.00", "open"},
		{"partially fulfilled", map[string]any{"fulfillment_status": "partial"}, model.StatusAwaitingFulfillment, model.PaymentPaid, "26.00", "0.00", "open"},
		{"fulfilled", map[string]any{"fulfillment_status": "fulfilled"}, model.StatusFulfilled, model.PaymentPaid, "26.00", "0.00", "open"},
		{"partially refunded", map[string]any{"financial_status": "partially_refunded"}, model.StatusAwaitingFulfillment, model.PaymentPartiallyRefunded, "26.00", "0.00", "open"},
		{"cancelled and refunded", map[string]any{"status": "cancelled", "cancelled_at": "2025-06-03T11:00:00+08:00", "financial_status": "refunded"}, model.StatusCancelled, model.PaymentRefunded, "26.00", "26.00", "cancelled"},
		{"cancelled_at alone", map[string]any{"cancelled_at": "2025-06-03T11:00:00+08:00"}, model.StatusCancelled, model.PaymentPaid, "26.00", "0.00", "open"},
		{"cancelled_at empty", map[string]any{"cancelled_at": ""}, model.StatusAwaitingFulfillment, model.PaymentPaid, "26.00", "0.00", "open"},
		{"cancelled beats fulfilled", map[string]any{"status": "Cancelled", "fulfillment_status": "fulfilled"}, model.StatusCancelled, model.PaymentPaid, "26.00", "0.00", "Cancelled"},
		{"unknown payment", map[string]any{"financial_status": "mystery"}, model.StatusUnknown, model.PaymentUnknown, "0.00", "0.00", "open"},
		{"voided", map[string]any{"financial_status": "voided"}, model.StatusUnknown, model.PaymentFailed, "0.00", "0.00", "open"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := model.FromShoplineOrder(shoplineBody(t, "order.json", tc.edit), shoplineShop)
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != tc.status || o.PaymentStatus != tc.payment || o.RawStatus != tc.raw ||
				string(o.Totals.Paid) != tc.paid || string(o.Totals.Refunded) != tc.refunded {
				t.Errorf("status %s/%s (raw %q), paid %s, refunded %s; want %s/%s (raw %q), %s, %s",
					o.Status, o.PaymentStatus, o.RawStatus, o.Totals.Paid, o.Totals.Refunded,
					tc.status, tc.payment, tc.raw, tc.paid, tc.refunded)
			}
		})
	}
}

// Ids keep every digit, also sent as a JSON number; the fields SHOPLINE may
// leave out have their defaults.
func TestFromShoplineOrderLenient(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id": 21057401932826316666967110, "order_number": 1001, "updated_at": "2025-06-03T10:20:05+08:00",
		"current_total_price": 26, "line_items": [{"sku": "A", "title": "Mug", "quantity": "3", "price": "2.5"}],
		"shipping_address": {"first_name": "Ada", "last_name": "Lovelace", "province": "Texas", "district": "Downtown", "country": "United States"}}`)
	o, err := model.FromShoplineOrder(body, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "shopline:"+shoplineOrderID || o.Number != "1001" || o.Totals.Total != "26.00" || o.Totals.Subtotal != "7.50" {
		t.Errorf("id %s, number %s, totals %+v", o.ID, o.Number, o.Totals)
	}
	if len(o.Items) != 1 || o.Items[0].Name != "Mug" || o.Items[0].Quantity != 3 || o.Items[0].UnitPrice != "2.50" {
		t.Errorf("items %+v", o.Items)
	}
	if a := o.ShipTo; a == nil || a.Name != "Ada Lovelace" || a.State != "Texas" || a.Street2 != "Downtown" || a.Country != "" {
		t.Errorf("ship_to %+v", a)
	}
	if !o.CreatedAt.Equal(o.UpdatedAt) || o.Currency != "" {
		t.Errorf("created_at %s (want updated_at %s), currency %q", o.CreatedAt, o.UpdatedAt, o.Currency)
	}
}

// Bad input is refused with ErrInvalid and says what is wrong.
func TestFromShoplineOrderRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
	}{
		{"not JSON", `{"id":`, "shopline order body"},
		{"null", `null`, "not a JSON object"},
		{"an array", `[]`, "not a JSON object"},
		{"no id", `{"updated_at": "2025-06-03T10:20:05+08:00", "current_total_price": "1.00"}`, "id"},
		{"id with a dot", `{"id": "1.2", "updated_at": "2025-06-03T10:20:05+08:00", "current_total_price": "1.00"}`, "id"},
		{"no updated_at", `{"id": "1", "current_total_price": "1.00"}`, "no updated_at"},
		{"bad updated_at", `{"id": "1", "updated_at": "yesterday", "current_total_price": "1.00"}`, "RFC 3339"},
		{"empty updated_at", `{"id": "1", "updated_at": "", "current_total_price": "1.00"}`, "no updated_at"},
		{"numeric updated_at", `{"id": "1", "updated_at": 1717380000, "current_total_price": "1.00"}`, "not a string"},
		{"no total", `{"id": "1", "updated_at": "2025-06-03T10:20:05+08:00"}`, "current_total_price"},
		{"bad amount", `{"id": "1", "updated_at": "2025-06-03T10:20:05+08:00", "current_total_price": "a lot"}`, "decimal"},
		{"bad currency", `{"id": "1", "updated_at": "2025-06-03T10:20:05+08:00", "current_total_price": "1", "currency": "dollars"}`, "ISO 4217"},
		{"bad country", `{"id": "1", "updated_at": "2025-06-03T10:20:05+08:00", "current_total_price": "1", "shipping_address": {"country_code": "USA"}}`, "alpha-2"},
		{"negative quantity", `{"id": "1", "updated_at": "2025-06-03T10:20:05+08:00", "current_total_price": "1", "line_items": [{"quantity": -1}]}`, "quantity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := model.FromShoplineOrder([]byte(tc.body), shoplineShop)
			if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

// The same body always has the same version; a later updated_at is newer
// whatever the bodies; of two bodies with one updated_at, one is newer.
func TestShoplineOrderVersions(t *testing.T) {
	t.Parallel()
	a, _ := model.FromShoplineOrder(shoplineBody(t, "order.json", nil), shoplineShop)
	again, _ := model.FromShoplineOrder(shoplineBody(t, "order.json", nil), shoplineShop)
	if a.Version() != again.Version() {
		t.Error("one body, two versions")
	}
	later, _ := model.FromShoplineOrder(shoplineBody(t, "order.json", map[string]any{"updated_at": "2025-06-03T10:20:06+08:00", "financial_status": "pending"}), shoplineShop)
	if !later.Version().After(a.Version()) || a.Version().After(later.Version()) {
		t.Error("a later updated_at is not newer")
	}
	tie, _ := model.FromShoplineOrder(shoplineBody(t, "order.json", map[string]any{"note": "other"}), shoplineShop)
	if tie.Version().After(a.Version()) == a.Version().After(tie.Version()) {
		t.Error("two bodies with one updated_at: neither (or both) newer")
	}
}

// orders/delete: with only the id, with the whole order, before and after
// the order itself.
func TestShoplineOrderDeletion(t *testing.T) {
	t.Parallel()
	idOnly := []byte(`{"id": "` + shoplineOrderID + `"}`)
	received := utc("2025-06-20T00:00:00Z")
	stored, err := model.FromShoplineOrder(shoplineBody(t, "order.json", nil), shoplineShop)
	if err != nil {
		t.Fatal(err)
	}
	deleted := func(t *testing.T, o model.Order) {
		t.Helper()
		if !o.Deleted() || o.Status != model.StatusCancelled || o.RawStatus != model.RawStatusDeleted {
			t.Errorf("status %s, raw %q: not deleted", o.Status, o.RawStatus)
		}
		if err := o.Validate(); err != nil {
			t.Error(err)
		}
	}

	t.Run("only the id, nothing stored", func(t *testing.T) {
		d, err := model.FromShoplineOrderDeletion(idOnly, shoplineShop, received)
		if err != nil {
			t.Fatal(err)
		}
		o, changed := d.Apply(nil)
		deleted(t, o)
		if !changed || o.ID != stored.ID || o.Store != shoplineShop || !o.UpdatedAt.Equal(received) || o.Totals.Total != "0.00" || o.PaymentStatus != model.PaymentUnknown {
			t.Errorf("changed %v, order %+v", changed, o)
		}
	})
	t.Run("only the id, the order stored", func(t *testing.T) {
		d, _ := model.FromShoplineOrderDeletion(idOnly, shoplineShop, received)
		o, changed := d.Apply(&stored)
		deleted(t, o)
		if !changed || o.Totals != stored.Totals || len(o.Items) != 2 || !o.UpdatedAt.Equal(received) || !o.Version().After(stored.Version()) {
			t.Errorf("changed %v, order %+v", changed, o)
		}
	})
	t.Run("received before the stored order's updated_at", func(t *testing.T) {
		d, _ := model.FromShoplineOrderDeletion(idOnly, shoplineShop, stored.UpdatedAt.Add(-time.Hour))
		o, _ := d.Apply(&stored)
		deleted(t, o)
		if !o.UpdatedAt.Equal(stored.UpdatedAt) || !o.Version().After(stored.Version()) {
			t.Errorf("updated_at %s, version %v not after %v", o.UpdatedAt, o.Version(), stored.Version())
		}
	})
	t.Run("the whole order, newer than the stored one", func(t *testing.T) {
		body := shoplineBody(t, "order.json", map[string]any{"updated_at": "2025-06-20T08:00:00+08:00", "email": "new@mail.example.com"})
		d, err := model.FromShoplineOrderDeletion(body, shoplineShop, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		o, _ := d.Apply(&stored)
		deleted(t, o)
		if o.CustomerEmail != "new@mail.example.com" || !o.UpdatedAt.Equal(utc("2025-06-20T00:00:00Z")) {
			t.Errorf("email %s, updated_at %s: not the body's order", o.CustomerEmail, o.UpdatedAt)
		}
	})
	t.Run("the whole order, older than the stored one", func(t *testing.T) {
		body := shoplineBody(t, "order.json", map[string]any{"updated_at": "2025-06-01T08:00:00+08:00", "email": "old@mail.example.com"})
		d, _ := model.FromShoplineOrderDeletion(body, shoplineShop, time.Time{})
		o, _ := d.Apply(&stored)
		deleted(t, o)
		if o.CustomerEmail != stored.CustomerEmail || !o.Version().After(stored.Version()) {
			t.Errorf("email %s: not the stored order, or not newer", o.CustomerEmail)
		}
	})
	t.Run("already deleted", func(t *testing.T) {
		d, _ := model.FromShoplineOrderDeletion(idOnly, shoplineShop, received)
		first, _ := d.Apply(&stored)
		d2, _ := model.FromShoplineOrderDeletion(idOnly, shoplineShop, received.Add(time.Hour))
		if o, changed := d2.Apply(&first); changed || o.UpdatedAt != first.UpdatedAt {
			t.Errorf("a second deletion changed the order: %v", changed)
		}
	})
	t.Run("refused", func(t *testing.T) {
		for _, body := range []string{`{}`, `null`, `{"id": "a b"}`} {
			if _, err := model.FromShoplineOrderDeletion([]byte(body), shoplineShop, received); !errors.Is(err, model.ErrInvalid) {
				t.Errorf("%s: error %v, want ErrInvalid", body, err)
			}
		}
		if _, err := model.FromShoplineOrderDeletion(idOnly, shoplineShop, time.Time{}); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("no time at all: error %v, want ErrInvalid", err)
		}
	})
}

// TestShoplineFixturesAreExamples keeps testdata/shopline/ in line with the
// examples hookstream send posts.
func TestShoplineFixturesAreExamples(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "schemas", "examples", "shopline")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no schemas module beside pkg: %v", err)
	}
	for fixture, example := range map[string]string{"order.json": "orders.updated.json", "fulfillment.json": "fulfillments.update.json"} {
		want, err := os.ReadFile(filepath.Join(dir, example))
		if err != nil {
			t.Fatal(err)
		}
		if got := shoplineBody(t, fixture, nil); string(got) != string(want) {
			t.Errorf("testdata/shopline/%s differs from %s (copy it again)", fixture, example)
		}
	}
}
