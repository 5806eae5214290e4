package model_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
)

func TestHoldEventsMatchCatalog(t *testing.T) {
	t.Parallel()
	for got, want := range map[model.HoldEvent]string{
		model.HoldEventPlaced:   catalog.HoldPlaced,
		model.HoldEventReleased: catalog.HoldReleased,
		model.HoldEventRejected: catalog.FulfillmentRejected,
		model.HoldEventOverdue:  catalog.HoldOverdue,
	} {
		if string(got) != want {
			t.Errorf("model hold event %q, catalog says %q", got, want)
		}
	}
}

func TestProviderNamesMatchCatalog(t *testing.T) {
	t.Parallel()
	for got, want := range map[string]string{
		model.ProviderShipStation: catalog.ShipStation,
		model.ProviderSnipcart:    catalog.Snipcart,
		model.ProviderShopline:    catalog.Shopline,
	} {
		if got != want {
			t.Errorf("model provider %q, catalog says %q", got, want)
		}
	}
}

// TestShipStationStatus covers every orderStatus ShipStation documents.
func TestShipStationStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		want model.Status
	}{
		{"awaiting_payment", model.StatusPendingPayment},
		{"awaiting_shipment", model.StatusAwaitingFulfillment},
		{"pending_fulfillment", model.StatusAwaitingFulfillment},
		{"shipped", model.StatusFulfilled},
		{"on_hold", model.StatusOnHold},
		{"cancelled", model.StatusCancelled},
		{"Shipped", model.StatusFulfilled}, // case is not significant
		{"canceled", model.StatusUnknown},  // US spelling is not ShipStation's
		{"delivered", model.StatusUnknown},
		{"", model.StatusUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			t.Parallel()
			if got := model.ShipStationStatus(tc.raw); got != tc.want {
				t.Errorf("ShipStationStatus(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestStatusEnums(t *testing.T) {
	t.Parallel()
	if got := len(model.Statuses()); got != 7 {
		t.Errorf("%d statuses, want the 7 documented", got)
	}
	if got := len(model.PaymentStatuses()); got != 7 {
		t.Errorf("%d payment statuses, want the 7 documented", got)
	}
	for _, s := range model.Statuses() {
		if !s.Valid() {
			t.Errorf("%q is not Valid", s)
		}
	}
	for _, p := range model.PaymentStatuses() {
		if !p.Valid() {
			t.Errorf("%q is not Valid", p)
		}
	}
	for _, s := range []model.Status{"", "Processed", "shipped", "partially_fulfilled"} {
		if s.Valid() {
			t.Errorf("%q is Valid", s)
		}
	}
	for _, p := range []model.PaymentStatus{"", "Paid", "chargedback"} {
		if p.Valid() {
			t.Errorf("%q is Valid", p)
		}
	}
}

func TestParseMoney(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
	}{
		{"330", "330.00"},
		{"29.75", "29.75"},
		{"12.5", "12.50"},
		{"12.500", "12.50"},
		{"0.125", "0.125"},
		{"0", "0.00"},
		{"-0", "0.00"},
		{"-0.00", "0.00"},
		{"-3.5", "-3.50"},
		{"007.10", "7.10"},
		{" 1.00 ", "1.00"},
		{"2.975e1", "29.75"},
		{"1E2", "100.00"},
		{"12345678901234567890.12", "12345678901234567890.12"}, // beyond float64, kept digit for digit
	}
	for _, tc := range cases {
		got, err := model.ParseMoney(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("ParseMoney(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if !got.Valid() {
			t.Errorf("ParseMoney(%q) = %q is not Valid", tc.in, got)
		}
	}
	for _, in := range []string{"", "lots", "1,50", "$5", ".5", "5.", "1e999", "NaN", "0x10", "+1"} {
		if got, err := model.ParseMoney(in); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("ParseMoney(%q) = %q, %v; want ErrInvalid", in, got, err)
		}
	}
}

func TestMoneyFromFloat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   float64
		want model.Money
	}{
		{330, "330.00"},
		{29.75, "29.75"},
		{0.1, "0.10"},
		{19.99, "19.99"},
		{1234567.89, "1234567.89"},
		{-2.5, "-2.50"},
		{0, "0.00"},
	}
	for _, tc := range cases {
		if got := model.MoneyFromFloat(tc.in); got != tc.want {
			t.Errorf("MoneyFromFloat(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var zero float64
	if got := model.MoneyFromFloat(zero / zero); got.Valid() {
		t.Errorf("MoneyFromFloat(NaN) = %q, want an invalid Money", got)
	}
}

func TestVersionAfter(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2017, 10, 5, 14, 2, 11, 0, time.UTC)
	t1 := t0.Add(time.Second)
	paris := time.FixedZone("CEST", 2*3600)
	cases := []struct {
		name string
		v, w model.Version
		want bool
	}{
		{"newer time wins", ver(t1, "a"), ver(t0, "z"), true},
		{"older time loses", ver(t0, "z"), ver(t1, "a"), false},
		{"equal time, greater tiebreak wins", ver(t0, "b"), ver(t0, "a"), true},
		{"equal time, smaller tiebreak loses", ver(t0, "a"), ver(t0, "b"), false},
		{"equal versions are not After", ver(t0, "a"), ver(t0, "a"), false},
		{"same instant in another zone is a tie", ver(t0.In(paris), "a"), ver(t0, "a"), false},
		{"same instant in another zone, tiebreak decides", ver(t0.In(paris), "b"), ver(t0, "a"), true},
		{"anything is after the zero version", ver(t0, ""), model.Version{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.v.After(tc.w); got != tc.want {
				t.Errorf("%v.After(%v) = %v, want %v", tc.v, tc.w, got, tc.want)
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	t.Parallel()
	a := ver(time.Date(2017, 10, 5, 14, 2, 11, 0, time.UTC), "x")
	b := ver(time.Date(2017, 10, 5, 14, 2, 11, 500, time.UTC), "x")
	if got, want := a.String(), "2017-10-05T14:02:11.000000000Z/x"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if !(a.String() < b.String()) || !b.After(a) {
		t.Errorf("%s and %s: string order differs from version order", a, b)
	}
}

// validOrder returns a small order that passes Validate.
func validOrder() model.Order {
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	return model.Order{
		ID:            "shipstation:123456789",
		Provider:      model.ProviderShipStation,
		Store:         "123456",
		Number:        "100-1",
		Status:        model.StatusAwaitingFulfillment,
		RawStatus:     "awaiting_shipment",
		PaymentStatus: model.PaymentPaid,
		CustomerEmail: "buyer@example.com",
		Currency:      "USD",
		Totals:        model.Totals{Subtotal: "90.00", Tax: "5.00", Shipping: "5.00", Discount: "0.00", Total: "100.00", Paid: "100.00", Refunded: "0.00"},
		Items:         []model.Item{{SKU: "SKU-1", Name: "Mug", Quantity: 2, UnitPrice: "45.00"}},
		ShipTo:        &model.Address{Name: "Ann Buyer", Street1: "1 Main St", City: "Austin", State: "TX", PostalCode: "78701", Country: "US"},
		CreatedAt:     at,
		UpdatedAt:     at,
		Tiebreak:      "1",
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := validOrder().Validate(); err != nil {
		t.Fatalf("valid order: %v", err)
	}
	cases := []struct {
		name   string
		change func(o *model.Order)
		want   string // part of the message
	}{
		{"id without provider", func(o *model.Order) { o.ID = "123456789" }, "id"},
		{"id of another provider", func(o *model.Order) { o.ID = "snipcart:123456789" }, "id"},
		{"id with a dot", func(o *model.Order) { o.ID = "shipstation:12.34" }, "id"},
		{"id with a space", func(o *model.Order) { o.ID = "shipstation:12 34" }, "id"},
		{"id empty external", func(o *model.Order) { o.ID = "shipstation:" }, "id"},
		{"unknown provider", func(o *model.Order) { o.Provider, o.ID = "shopify", "shopify:1" }, "provider"},
		{"snipcart store", func(o *model.Order) { o.Provider, o.ID, o.Store = "snipcart", "snipcart:abc", "Live" }, "store"},
		{"status not in enum", func(o *model.Order) { o.Status = "shipped" }, "status"},
		{"status empty", func(o *model.Order) { o.Status = "" }, "status"},
		{"payment status raw", func(o *model.Order) { o.PaymentStatus = "Paid" }, "payment_status"},
		{"currency lower case", func(o *model.Order) { o.Currency = "usd" }, "currency"},
		{"currency too long", func(o *model.Order) { o.Currency = "USDT" }, "currency"},
		{"total missing", func(o *model.Order) { o.Totals.Total = "" }, "totals.total"},
		{"total with comma", func(o *model.Order) { o.Totals.Paid = "1,00" }, "totals.paid"},
		{"negative quantity", func(o *model.Order) { o.Items[0].Quantity = -1 }, "quantity"},
		{"unit price words", func(o *model.Order) { o.Items[0].UnitPrice = "ten" }, "unit_price"},
		{"country name", func(o *model.Order) { o.ShipTo.Country = "Canada" }, "country"},
		{"country lower case", func(o *model.Order) { o.ShipTo.Country = "us" }, "country"},
		{"no updated_at", func(o *model.Order) { o.UpdatedAt = time.Time{} }, "updated_at"},
		{"no created_at", func(o *model.Order) { o.CreatedAt = time.Time{} }, "created_at"},
		{"refund amount", func(o *model.Order) {
			o.Refunds = []model.Refund{{Amount: "", CreatedAt: o.UpdatedAt}}
		}, "refunds[0].amount"},
		{"notification type", func(o *model.Order) {
			o.Notifications = []model.Notification{{SentAt: o.UpdatedAt}}
		}, "notifications[0].type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := validOrder()
			tc.change(&o)
			err := o.Validate()
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want it to name %s", err, tc.want)
			}
		})
	}
	// Empty optional values are fine.
	o := validOrder()
	o.Currency, o.ShipTo, o.Items = "", nil, nil
	if err := o.Validate(); err != nil {
		t.Errorf("order without currency, ship_to and items: %v", err)
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	o := validOrder()
	if got := o.Key(); got != "shipstation.123456789" {
		t.Errorf("Key() = %q", got)
	}
	o.ID = model.OrderID(model.ProviderSnipcart, "1912e4c1-d008-4c15-ab12-fe21a76d30d4")
	if got := o.Key(); got != "snipcart.1912e4c1-d008-4c15-ab12-fe21a76d30d4" {
		t.Errorf("Key() = %q", got)
	}
}

func TestMarshalJSON(t *testing.T) {
	t.Parallel()
	o := validOrder()
	o.Items = nil
	zone := time.FixedZone("PDT", -7*3600)
	o.UpdatedAt = o.UpdatedAt.In(zone)
	o.Refunds = []model.Refund{{Amount: "1.00", CreatedAt: o.UpdatedAt}}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if items, ok := m["items"].([]any); !ok || len(items) != 0 {
		t.Errorf("items = %#v, want []", m["items"])
	}
	if got := m["updated_at"]; got != "2024-03-01T12:00:00Z" {
		t.Errorf("updated_at = %v, want UTC", got)
	}
	if got := m["refunds"].([]any)[0].(map[string]any)["created_at"]; got != "2024-03-01T12:00:00Z" {
		t.Errorf("refunds[0].created_at = %v, want UTC", got)
	}
	if _, ok := m["notifications"]; ok {
		t.Error("notifications present without any")
	}
	if o.UpdatedAt.Location() != zone {
		t.Error("MarshalJSON changed the order")
	}
	var back model.Order
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Errorf("decoded order: %v", err)
	}
}

func TestApplyRefund(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC)
	first := model.Refund{Amount: "30", Comment: "damaged", CreatedAt: at}
	second := model.Refund{Amount: "70.00", Comment: "returned", CreatedAt: at.Add(time.Hour)}

	o := validOrder()
	before := o.Version()
	if !o.ApplyRefund(first) {
		t.Fatal("first refund: not applied")
	}
	if o.ApplyRefund(first) {
		t.Error("same refund again: applied twice")
	}
	if o.ApplyRefund(model.Refund{Amount: "30.000", Comment: "damaged", CreatedAt: at.In(time.FixedZone("X", 3600))}) {
		t.Error("same refund, other spelling of amount and time: applied twice")
	}
	if len(o.Refunds) != 1 || o.Refunds[0].Amount != "30.00" {
		t.Fatalf("refunds = %+v, want one of 30.00", o.Refunds)
	}
	if o.Totals.Refunded != "30.00" || o.PaymentStatus != model.PaymentPartiallyRefunded {
		t.Errorf("after 30 of 100: refunded %s, payment %s; want 30.00, partially_refunded", o.Totals.Refunded, o.PaymentStatus)
	}
	if !o.ApplyRefund(second) {
		t.Fatal("second refund: not applied")
	}
	if o.Totals.Refunded != "100.00" || o.PaymentStatus != model.PaymentRefunded {
		t.Errorf("after 100 of 100: refunded %s, payment %s; want 100.00, refunded", o.Totals.Refunded, o.PaymentStatus)
	}
	if o.Totals.Paid != "100.00" {
		t.Errorf("paid = %s: refunds are not deducted from paid", o.Totals.Paid)
	}
	if !sameVersion(o.Version(), before) {
		t.Errorf("a refund changed the version: %v → %v", before, o.Version())
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}

	// Either order of arrival gives the same order.
	p := validOrder()
	p.ApplyRefund(second)
	p.ApplyRefund(first)
	if a, b := mustFingerprint(t, o), mustFingerprint(t, p); a != b {
		t.Errorf("refunds applied in another order give another order:\n%s\n%s", mustJSON(t, o), mustJSON(t, p))
	}
}

func TestApplyRefundKeepsProviderFigure(t *testing.T) {
	t.Parallel()
	o := validOrder()
	o.Totals.Refunded = "40.00" // the provider counts a refund we have no event for
	o.PaymentStatus = model.PaymentPartiallyRefunded
	o.ApplyRefund(model.Refund{Amount: "30.00", CreatedAt: o.UpdatedAt})
	if o.Totals.Refunded != "40.00" {
		t.Errorf("refunded = %s, want the provider's 40.00", o.Totals.Refunded)
	}
	o.ApplyRefund(model.Refund{Amount: "25.00", CreatedAt: o.UpdatedAt.Add(time.Minute)})
	if o.Totals.Refunded != "55.00" {
		t.Errorf("refunded = %s, want the refunds' 55.00", o.Totals.Refunded)
	}

	// Payment statuses other than paid are the provider's and stay.
	u := validOrder()
	u.PaymentStatus = model.PaymentAuthorized
	u.ApplyRefund(model.Refund{Amount: "10.00", CreatedAt: u.UpdatedAt})
	if u.PaymentStatus != model.PaymentAuthorized {
		t.Errorf("authorized order after a refund: %s", u.PaymentStatus)
	}
}

func TestApplyNotification(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC)
	later := model.Notification{Type: "OrderShipped", Subject: "On its way", SentAt: at.Add(time.Hour)}
	earlier := model.Notification{Type: "Comment", SentAt: at}
	o := validOrder()
	if !o.ApplyNotification(later) || !o.ApplyNotification(earlier) {
		t.Fatal("notifications not applied")
	}
	if o.ApplyNotification(later) || o.ApplyNotification(earlier) {
		t.Error("a notification applied twice")
	}
	if !o.ApplyNotification(model.Notification{Type: "Comment", SentAt: at.Add(time.Second)}) {
		t.Error("a second comment at another time was taken for the first")
	}
	if len(o.Notifications) != 3 || o.Notifications[0] != earlier || o.Notifications[2] != later {
		t.Errorf("notifications = %+v, want 3 sorted by time", o.Notifications)
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
}

func TestMergeAttachments(t *testing.T) {
	t.Parallel()
	stored := validOrder()
	stored.ApplyRefund(model.Refund{Amount: "10.00", Comment: "goodwill", CreatedAt: stored.UpdatedAt})
	stored.ApplyNotification(model.Notification{Type: "Comment", SentAt: stored.UpdatedAt})

	newer := validOrder()
	newer.UpdatedAt = newer.UpdatedAt.Add(time.Hour)
	newer.Status = model.StatusFulfilled
	if !newer.MergeAttachments(stored) {
		t.Fatal("MergeAttachments: nothing merged")
	}
	if len(newer.Refunds) != 1 || len(newer.Notifications) != 1 || newer.Totals.Refunded != "10.00" ||
		newer.PaymentStatus != model.PaymentPartiallyRefunded {
		t.Errorf("merged order: %s", mustJSON(t, newer))
	}
	if newer.MergeAttachments(stored) {
		t.Error("merging twice changed the order")
	}
	other := validOrder()
	other.ID = "shipstation:987"
	if other.MergeAttachments(stored) || len(other.Refunds) != 0 {
		t.Error("attachments of another order were merged")
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	a, b := validOrder(), validOrder()
	if mustFingerprint(t, a) != mustFingerprint(t, b) {
		t.Error("equal orders, different fingerprints")
	}
	b.UpdatedAt = b.UpdatedAt.In(time.FixedZone("X", 3600)) // same instant
	if mustFingerprint(t, a) != mustFingerprint(t, b) {
		t.Error("the same instant in another zone changed the fingerprint")
	}
	b.ApplyNotification(model.Notification{Type: "Comment", SentAt: b.UpdatedAt})
	if mustFingerprint(t, a) == mustFingerprint(t, b) || !sameVersion(a.Version(), b.Version()) {
		t.Error("a notification must change the fingerprint and not the version")
	}
}

func ver(t time.Time, tiebreak string) model.Version {
	return model.Version{Time: t, Tiebreak: tiebreak}
}

// sameVersion: neither is After the other.
func sameVersion(v, w model.Version) bool { return !v.After(w) && !w.After(v) }

func mustFingerprint(t *testing.T, o model.Order) string {
	t.Helper()
	f, err := o.Fingerprint()
	if err != nil || len(f) != 32 {
		t.Fatalf("Fingerprint() = %q, %v", f, err)
	}
	return f
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
