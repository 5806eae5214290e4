package model_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/model"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

const snipcartToken = "1912e4c1-d008-4c15-ab12-fe21a76d30d4"

// The Snipcart order events of testdata/snipcart/, in the order Snipcart
// sent them (by createdOn).
var snipcartOrderEvents = []string{
	"order.completed.json",
	"order.payment_status.changed.json",
	"order.tracking_number.changed.json",
	"order.status.changed.json",
}

// TestSnipcartStatus covers every order status Snipcart documents.
func TestSnipcartStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		want model.Status
	}{
		{"InProgress", model.StatusPendingPayment},
		{"Pending", model.StatusPendingPayment},
		{"Processed", model.StatusAwaitingFulfillment},
		{"Disputed", model.StatusDisputed},
		{"Shipped", model.StatusFulfilled},
		{"Dispatched", model.StatusFulfilled},
		{"Delivered", model.StatusFulfilled},
		{"Cancelled", model.StatusCancelled},
		{"processed", model.StatusAwaitingFulfillment}, // case is not significant
		{"Lost", model.StatusUnknown},
		{"on_hold", model.StatusUnknown}, // ShipStation's word, not Snipcart's
		{"", model.StatusUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			t.Parallel()
			if got := model.SnipcartStatus(tc.raw); got != tc.want {
				t.Errorf("SnipcartStatus(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

// TestSnipcartPaymentStatus covers every paymentStatus Snipcart documents.
func TestSnipcartPaymentStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		want model.PaymentStatus
	}{
		{"Paid", model.PaymentPaid},
		{"PaidDeferred", model.PaymentPaid},
		{"Paidout", model.PaymentPaid},
		{"Deferred", model.PaymentAuthorized},
		{"Authorized", model.PaymentAuthorized},
		{"Refunded", model.PaymentRefunded},
		{"ChargedBack", model.PaymentRefunded},
		{"Failed", model.PaymentFailed},
		{"Expired", model.PaymentFailed},
		{"Cancelled", model.PaymentFailed},
		{"Pending", model.PaymentUnpaid},
		{"Open", model.PaymentUnpaid},
		{"PaidOut", model.PaymentPaid}, // case is not significant
		{"PartiallyRefunded", model.PaymentUnknown},
		{"", model.PaymentUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			t.Parallel()
			if got := model.SnipcartPaymentStatus(tc.raw); got != tc.want {
				t.Errorf("SnipcartPaymentStatus(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

// TestFromSnipcartOrderExamples normalises every Snipcart order example and
// checks what a subscriber reads, then the whole result against a golden
// file (go test -update rewrites them).
func TestFromSnipcartOrderExamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file          string
		event         string
		status        model.Status
		rawStatus     string
		updatedAt     string
		createdOnTime string
	}{
		{"order.completed.json", "order.completed", model.StatusAwaitingFulfillment, "Processed", "2017-10-04T19:18:52Z", "2017-10-04T19:18:53.5703196Z"},
		{"order.payment_status.changed.json", "order.paymentStatus.changed", model.StatusAwaitingFulfillment, "Processed", "2017-10-04T19:43:54Z", "2017-10-04T19:43:54.6329769Z"},
		{"order.tracking_number.changed.json", "order.trackingNumber.changed", model.StatusAwaitingFulfillment, "Processed", "2017-10-05T14:01:37Z", "2017-10-05T14:01:37.229184Z"},
		{"order.status.changed.json", "order.status.changed", model.StatusFulfilled, "Shipped", "2017-10-05T14:02:11Z", "2017-10-05T14:02:11.4182035Z"},
	}
	if len(cases) != len(snipcartOrderEvents) {
		t.Fatal("a Snipcart order example is not covered")
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			ev := readSnipcartEvent(t, tc.file)
			if ev.EventName != tc.event {
				t.Fatalf("%s is a %s event, want %s", tc.file, ev.EventName, tc.event)
			}
			o, err := model.FromSnipcartOrder(ev.Content, ev.Mode, ev.CreatedOn)
			if err != nil {
				t.Fatalf("FromSnipcartOrder: %v", err)
			}
			if err := o.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			check := func(field string, got, want any) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, want %v", field, got, want)
				}
			}
			check("id", o.ID, "snipcart:"+snipcartToken)
			check("provider", o.Provider, model.ProviderSnipcart)
			check("store", o.Store, model.SnipcartLive)
			check("number", o.Number, "SNIP-1003")
			check("status", o.Status, tc.status)
			check("raw_status", o.RawStatus, tc.rawStatus)
			check("payment_status", o.PaymentStatus, model.PaymentPaid)
			check("raw_payment_status", o.RawPaymentStatus, "Paid")
			check("customer_email", o.CustomerEmail, "geeks@snipcart.com")
			check("currency", o.Currency, "CAD")
			check("totals", o.Totals, model.Totals{
				Subtotal: "330.00", Tax: "0.00", Shipping: "10.00", Discount: "10.00",
				Total: "330.00", Paid: "330.00", Refunded: "0.00",
			})
			check("items", len(o.Items), 2)
			if len(o.Items) == 2 {
				// unitPrice, not price: the plan costs 20 plus 10 for "Option 2".
				check("items[0]", o.Items[0], model.Item{SKU: "PLAN", Name: "Recurring plan", Quantity: 1, UnitPrice: "30.00"})
				check("items[1]", o.Items[1], model.Item{SKU: "2", Name: "Bacon", Quantity: 1, UnitPrice: "300.00"})
			}
			if o.ShipTo == nil {
				t.Fatal("ship_to missing")
			}
			check("ship_to", *o.ShipTo, model.Address{
				Name: "Geeks Snipcart", Company: "Snipcart", Street1: "226 rue St-Joseph E",
				City: "Quebec", State: "QC", PostalCode: "G1K3A9", Country: "CA", Phone: "888 888 8888",
			})
			check("created_at", o.CreatedAt.Format(time.RFC3339Nano), "2017-10-03T19:47:56Z")
			check("updated_at", o.UpdatedAt.Format(time.RFC3339Nano), tc.updatedAt)
			check("updated_at location", o.UpdatedAt.Location(), time.UTC)
			if !strings.HasPrefix(o.Tiebreak, ev.CreatedOn.UTC().Format("2006-01-02T15:04:05.000000000Z")) {
				t.Errorf("tiebreak %q does not start with the event time %s", o.Tiebreak, tc.createdOnTime)
			}
			checkGolden(t, filepath.Join("testdata", "golden", strings.TrimSuffix(tc.file, ".json")+".order.json"), o)
		})
	}
}

// TestSnipcartVersions: the examples' versions follow the events' order,
// so whatever order they arrive in, the state kept is the last one's.
func TestSnipcartVersions(t *testing.T) {
	t.Parallel()
	var orders []model.Order
	for _, f := range snipcartOrderEvents {
		orders = append(orders, snipcartOrder(t, f))
	}
	for i := 1; i < len(orders); i++ {
		if !orders[i].Version().After(orders[i-1].Version()) {
			t.Errorf("%s is not After %s: %v vs %v", snipcartOrderEvents[i], snipcartOrderEvents[i-1], orders[i].Version(), orders[i-1].Version())
		}
		if orders[i-1].Version().After(orders[i].Version()) {
			t.Errorf("%s is After %s", snipcartOrderEvents[i-1], snipcartOrderEvents[i])
		}
	}
	last := orders[len(orders)-1]
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		var stored *model.Order
		for _, i := range rng.Perm(len(orders)) {
			if stored == nil || orders[i].Version().After(stored.Version()) {
				o := orders[i]
				stored = &o
			}
		}
		if stored.Status != model.StatusFulfilled || !sameVersion(stored.Version(), last.Version()) {
			t.Fatalf("kept %v (%s), want the order.status.changed state", stored.Version(), stored.Status)
		}
	}
}

// TestSnipcartRedelivery: the same event twice gives the same order and
// the same version, which is not After itself.
func TestSnipcartRedelivery(t *testing.T) {
	t.Parallel()
	for _, f := range snipcartOrderEvents {
		a, b := snipcartOrder(t, f), snipcartOrder(t, f)
		if mustFingerprint(t, a) != mustFingerprint(t, b) || a.Version().After(b.Version()) {
			t.Errorf("%s: redelivery gives another order or a newer version", f)
		}
	}
}

// TestSnipcartSameSecond: two webhooks with the same modificationDate (whole
// seconds) are ordered by their createdOn; with the same createdOn too, by
// content, the same way every time.
func TestSnipcartSameSecond(t *testing.T) {
	t.Parallel()
	ev := readSnipcartEvent(t, "order.status.changed.json")
	first, err := model.FromSnipcartOrder(ev.Content, ev.Mode, ev.CreatedOn)
	if err != nil {
		t.Fatal(err)
	}
	content := mutateContent(t, ev.Content, func(m map[string]any) { m["status"] = "Delivered" })
	second, err := model.FromSnipcartOrder(content, ev.Mode, ev.CreatedOn.Add(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !first.UpdatedAt.Equal(second.UpdatedAt) || !second.Version().After(first.Version()) {
		t.Errorf("the later webhook of the same second is not After: %v vs %v", second.Version(), first.Version())
	}
	twin, err := model.FromSnipcartOrder(content, ev.Mode, ev.CreatedOn)
	if err != nil {
		t.Fatal(err)
	}
	if twin.Version().After(first.Version()) == first.Version().After(twin.Version()) {
		t.Errorf("different content at the same instant must be ordered one way: %v, %v", twin.Version(), first.Version())
	}
}

// TestFromSnipcartOrderVariants changes one thing in order.completed and
// checks the documented fallbacks and derivations.
func TestFromSnipcartOrderVariants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mode   string
		mutate func(m map[string]any)
		check  func(t *testing.T, o model.Order)
	}{
		{"amounts as strings", "Live", func(m map[string]any) {
			m["finalGrandTotal"], m["shippingFees"] = "330.5", "10.50"
		}, func(t *testing.T, o model.Order) {
			if o.Totals.Total != "330.50" || o.Totals.Shipping != "10.50" {
				t.Errorf("totals = %+v", o.Totals)
			}
		}},
		{"no modificationDate", "Live", func(m map[string]any) { m["modificationDate"] = nil }, func(t *testing.T, o model.Order) {
			if got := o.UpdatedAt.Format(time.RFC3339Nano); got != "2017-10-04T19:18:53.5703196Z" {
				t.Errorf("updated_at = %s, want the event's createdOn", got)
			}
		}},
		{"no creationDate", "Live", func(m map[string]any) { delete(m, "creationDate") }, func(t *testing.T, o model.Order) {
			if got := o.CreatedAt.Format(time.RFC3339); got != "2017-10-04T19:18:30Z" {
				t.Errorf("created_at = %s, want completionDate", got)
			}
		}},
		{"no shipping address", "Live", func(m map[string]any) { m["shippingAddress"] = nil }, func(t *testing.T, o model.Order) {
			if o.ShipTo != nil {
				t.Errorf("ship_to = %+v, want none", o.ShipTo)
			}
		}},
		{"name without fullName", "Live", func(m map[string]any) {
			m["shippingAddress"].(map[string]any)["fullName"] = nil
		}, func(t *testing.T, o model.Order) {
			if o.ShipTo == nil || o.ShipTo.Name != "Geeks Snipcart" {
				t.Errorf("ship_to = %+v, want the name from firstName and name", o.ShipTo)
			}
		}},
		{"lower-case country", "Live", func(m map[string]any) {
			m["shippingAddress"].(map[string]any)["country"] = "ca"
		}, func(t *testing.T, o model.Order) {
			if o.ShipTo.Country != "CA" {
				t.Errorf("country = %q", o.ShipTo.Country)
			}
		}},
		{"partial refund", "Live", func(m map[string]any) { m["refundsAmount"] = 29.75 }, func(t *testing.T, o model.Order) {
			if o.PaymentStatus != model.PaymentPartiallyRefunded || o.RawPaymentStatus != "Paid" ||
				o.Totals.Refunded != "29.75" || o.Totals.Paid != "330.00" {
				t.Errorf("payment %s (%s), totals %+v", o.PaymentStatus, o.RawPaymentStatus, o.Totals)
			}
		}},
		{"full refund", "Live", func(m map[string]any) { m["refundsAmount"] = 330 }, func(t *testing.T, o model.Order) {
			if o.PaymentStatus != model.PaymentRefunded {
				t.Errorf("payment %s, want refunded", o.PaymentStatus)
			}
		}},
		{"charged back", "Live", func(m map[string]any) { m["paymentStatus"] = "ChargedBack" }, func(t *testing.T, o model.Order) {
			if o.PaymentStatus != model.PaymentRefunded || o.RawPaymentStatus != "ChargedBack" {
				t.Errorf("payment %s (%s)", o.PaymentStatus, o.RawPaymentStatus)
			}
		}},
		{"unpaid", "Live", func(m map[string]any) { m["status"], m["paymentStatus"] = "Pending", "Open" }, func(t *testing.T, o model.Order) {
			if o.Status != model.StatusPendingPayment || o.PaymentStatus != model.PaymentUnpaid || o.Totals.Paid != "0.00" {
				t.Errorf("status %s, payment %s, paid %s", o.Status, o.PaymentStatus, o.Totals.Paid)
			}
		}},
		{"unknown statuses kept raw", "Live", func(m map[string]any) { m["status"], m["paymentStatus"] = "Teleported", "Maybe" }, func(t *testing.T, o model.Order) {
			if o.Status != model.StatusUnknown || o.RawStatus != "Teleported" ||
				o.PaymentStatus != model.PaymentUnknown || o.RawPaymentStatus != "Maybe" {
				t.Errorf("status %s (%s), payment %s (%s)", o.Status, o.RawStatus, o.PaymentStatus, o.RawPaymentStatus)
			}
		}},
		{"test mode, lower case", "test", nil, func(t *testing.T, o model.Order) {
			if o.Store != model.SnipcartTest {
				t.Errorf("store = %q", o.Store)
			}
		}},
		{"no itemsTotal", "Live", func(m map[string]any) {
			delete(m, "itemsTotal")
			m["items"].([]any)[1].(map[string]any)["quantity"] = 2
		}, func(t *testing.T, o model.Order) {
			if o.Totals.Subtotal != "630.00" {
				t.Errorf("subtotal = %s, want 30 + 2 × 300", o.Totals.Subtotal)
			}
		}},
		{"no unitPrice", "Live", func(m map[string]any) {
			delete(m["items"].([]any)[0].(map[string]any), "unitPrice")
		}, func(t *testing.T, o model.Order) {
			if o.Items[0].UnitPrice != "20.00" {
				t.Errorf("unit_price = %s, want price", o.Items[0].UnitPrice)
			}
		}},
		{"only grandTotal", "Live", func(m map[string]any) {
			delete(m, "finalGrandTotal")
			m["grandTotal"] = 331.25
		}, func(t *testing.T, o model.Order) {
			if o.Totals.Total != "331.25" {
				t.Errorf("total = %s", o.Totals.Total)
			}
		}},
		{"no items", "Live", func(m map[string]any) { m["items"] = nil }, func(t *testing.T, o model.Order) {
			if o.Items == nil || len(o.Items) != 0 {
				t.Errorf("items = %#v, want empty, not nil", o.Items)
			}
		}},
	}
	ev := readSnipcartEvent(t, "order.completed.json")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			content := ev.Content
			if tc.mutate != nil {
				content = mutateContent(t, content, tc.mutate)
			}
			o, err := model.FromSnipcartOrder(content, tc.mode, ev.CreatedOn)
			if err != nil {
				t.Fatalf("FromSnipcartOrder: %v", err)
			}
			if err := o.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			tc.check(t, o)
		})
	}
}

// TestFromSnipcartOrderRefuses: content that cannot be a valid order is an
// ErrInvalid error (a permanent failure), never a half-filled Order.
func TestFromSnipcartOrderRefuses(t *testing.T) {
	t.Parallel()
	ev := readSnipcartEvent(t, "order.completed.json")
	cases := []struct {
		name    string
		content json.RawMessage // used when mutate is nil
		mutate  func(m map[string]any)
		mode    string
		noTime  bool // no event time either
	}{
		{name: "null content", content: json.RawMessage(`null`)},
		{name: "empty content"},
		{name: "string content", content: json.RawMessage(`"discounts"`)},
		{name: "seed's broken content", content: json.RawMessage(`"discounts": [],`)},
		{name: "no token", mutate: func(m map[string]any) { delete(m, "token") }},
		{name: "token with a space", mutate: func(m map[string]any) { m["token"] = "19 12" }},
		{name: "token with a dot", mutate: func(m map[string]any) { m["token"] = "a.b" }},
		{name: "token a number", mutate: func(m map[string]any) { m["token"] = 42 }},
		{name: "mode Prod", mode: "Prod"},
		{name: "no mode", mode: " "},
		{name: "currency a word", mutate: func(m map[string]any) { m["currency"] = "dollars" }},
		{name: "country a name", mutate: func(m map[string]any) { m["shippingAddress"].(map[string]any)["country"] = "Canada" }},
		{name: "negative quantity", mutate: func(m map[string]any) { m["items"].([]any)[0].(map[string]any)["quantity"] = -1 }},
		{name: "fractional quantity", mutate: func(m map[string]any) { m["items"].([]any)[0].(map[string]any)["quantity"] = 1.5 }},
		{name: "price a word", mutate: func(m map[string]any) { m["items"].([]any)[0].(map[string]any)["unitPrice"] = "lots" }},
		{name: "no total", mutate: func(m map[string]any) {
			delete(m, "finalGrandTotal")
			delete(m, "grandTotal")
			delete(m, "total")
		}},
		{name: "total an object", mutate: func(m map[string]any) { m["finalGrandTotal"] = map[string]any{} }},
		{name: "modificationDate not a date", mutate: func(m map[string]any) { m["modificationDate"] = "04/10/2017 19:18" }},
		{name: "no time at all", mutate: func(m map[string]any) { m["modificationDate"] = nil }, noTime: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			content := tc.content
			if tc.mutate != nil {
				content = mutateContent(t, ev.Content, tc.mutate)
			}
			mode := tc.mode
			if mode == "" {
				mode = ev.Mode
			}
			eventTime := ev.CreatedOn
			if tc.noTime {
				eventTime = time.Time{}
			}
			o, err := model.FromSnipcartOrder(content, mode, eventTime)
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("FromSnipcartOrder = %+v, %v; want ErrInvalid", o, err)
			}
			if o.ID != "" {
				t.Errorf("an error came with an order: %+v", o)
			}
		})
	}
}

func TestSnipcartRefund(t *testing.T) {
	t.Parallel()
	ev := readSnipcartEvent(t, "order.refund.created.json")
	id, r, err := model.SnipcartRefund(ev.Content, ev.CreatedOn)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Refund{Amount: "29.75", Comment: "Requested by customer.", CreatedAt: time.Date(2017, 10, 6, 15, 20, 8, 118733900, time.UTC)}
	if id != "snipcart:"+snipcartToken || r != want {
		t.Errorf("SnipcartRefund = %q, %+v; want %q, %+v", id, r, "snipcart:"+snipcartToken, want)
	}

	_, r, err = model.SnipcartRefund(mutateContent(t, ev.Content, func(m map[string]any) { m["amount"] = "29.750" }), ev.CreatedOn)
	if err != nil || r.Amount != "29.75" {
		t.Errorf("amount as a string: %+v, %v", r, err)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"no orderToken":     func(m map[string]any) { delete(m, "orderToken") },
		"bad orderToken":    func(m map[string]any) { m["orderToken"] = "../x" },
		"no amount":         func(m map[string]any) { delete(m, "amount") },
		"null amount":       func(m map[string]any) { m["amount"] = nil },
		"negative amount":   func(m map[string]any) { m["amount"] = -1 },
		"amount a word":     func(m map[string]any) { m["amount"] = "lots" },
		"comment an object": func(m map[string]any) { m["comment"] = map[string]any{} },
	} {
		if _, _, err := model.SnipcartRefund(mutateContent(t, ev.Content, mutate), ev.CreatedOn); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, _, err := model.SnipcartRefund(ev.Content, time.Time{}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("no event time: err = %v, want ErrInvalid", err)
	}
	if _, _, err := model.SnipcartRefund(json.RawMessage(`[]`), ev.CreatedOn); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("array content: err = %v, want ErrInvalid", err)
	}
}

func TestSnipcartNotification(t *testing.T) {
	t.Parallel()
	ev := readSnipcartEvent(t, "order.notification.created.json")
	id, n, err := model.SnipcartNotification(ev.Content, ev.CreatedOn)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Notification{Type: "Comment", Subject: "", SentAt: time.Date(2017, 10, 5, 14, 5, 42, 902041100, time.UTC)}
	if id != "snipcart:"+snipcartToken || n != want {
		t.Errorf("SnipcartNotification = %q, %+v; want %+v", id, n, want)
	}

	emailed := mutateContent(t, ev.Content, func(m map[string]any) {
		m["sentByEmail"], m["sentByEmailOn"], m["subject"] = true, "2017-10-05T14:05:40Z", "Backorder"
	})
	_, n, err = model.SnipcartNotification(emailed, ev.CreatedOn)
	if err != nil || n.SentAt.Format(time.RFC3339) != "2017-10-05T14:05:40Z" || n.Subject != "Backorder" {
		t.Errorf("e-mailed notification: %+v, %v; want sent_at sentByEmailOn", n, err)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"no orderToken":          func(m map[string]any) { delete(m, "orderToken") },
		"no notificationType":    func(m map[string]any) { delete(m, "notificationType") },
		"blank notificationType": func(m map[string]any) { m["notificationType"] = " " },
		"sentByEmailOn a word":   func(m map[string]any) { m["sentByEmailOn"] = "yesterday" },
	} {
		if _, _, err := model.SnipcartNotification(mutateContent(t, ev.Content, mutate), ev.CreatedOn); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, _, err := model.SnipcartNotification(ev.Content, time.Time{}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("no time: err = %v, want ErrInvalid", err)
	}
}

// TestSnipcartAttachments follows what order-enricher does with the
// examples: the order, its refund and notification (each delivered twice),
// then a newer order event that must keep them.
func TestSnipcartAttachments(t *testing.T) {
	t.Parallel()
	o := snipcartOrder(t, "order.completed.json")
	version := o.Version()

	rev := readSnipcartEvent(t, "order.refund.created.json")
	nev := readSnipcartEvent(t, "order.notification.created.json")
	for range 2 {
		id, r, err := model.SnipcartRefund(rev.Content, rev.CreatedOn)
		if err != nil || id != o.ID {
			t.Fatalf("refund for %q, %v; want %q", id, err, o.ID)
		}
		o.ApplyRefund(r)
		id, n, err := model.SnipcartNotification(nev.Content, nev.CreatedOn)
		if err != nil || id != o.ID {
			t.Fatalf("notification for %q, %v; want %q", id, err, o.ID)
		}
		o.ApplyNotification(n)
	}
	if len(o.Refunds) != 1 || len(o.Notifications) != 1 {
		t.Fatalf("refunds %d, notifications %d; want 1 each", len(o.Refunds), len(o.Notifications))
	}
	if o.Totals.Refunded != "29.75" || o.PaymentStatus != model.PaymentPartiallyRefunded {
		t.Errorf("after the 29.75 refund of 330: refunded %s, payment %s", o.Totals.Refunded, o.PaymentStatus)
	}
	if !sameVersion(o.Version(), version) {
		t.Errorf("attachments changed the version")
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}

	newer := snipcartOrder(t, "order.status.changed.json")
	if !newer.Version().After(o.Version()) {
		t.Fatal("order.status.changed is not newer than order.completed")
	}
	if !newer.MergeAttachments(o) {
		t.Fatal("MergeAttachments changed nothing")
	}
	if len(newer.Refunds) != 1 || len(newer.Notifications) != 1 || newer.Status != model.StatusFulfilled ||
		newer.PaymentStatus != model.PaymentPartiallyRefunded {
		t.Errorf("merged: %s", mustJSON(t, newer))
	}
	checkGolden(t, filepath.Join("testdata", "golden", "attachments.order.json"), newer)
}

// TestFixturesMatchExamples: testdata/snipcart is a copy of the order
// examples in schemas/examples/snipcart; a change there must be made here
// too (skipped when the schemas module is not beside this one).
func TestFixturesMatchExamples(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "schemas", "examples", "snipcart")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no schemas module beside pkg: %v", err)
	}
	examples, err := filepath.Glob(filepath.Join(dir, "order.*.json"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples in %s: %v", dir, err)
	}
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "snipcart", "*.json"))
	if len(fixtures) != len(examples) {
		t.Errorf("%d fixtures, %d order examples", len(fixtures), len(examples))
	}
	for _, ex := range examples {
		want, _ := os.ReadFile(ex)
		got, err := os.ReadFile(filepath.Join("testdata", "snipcart", filepath.Base(ex)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/snipcart/%s differs from %s (copy it again): %v", filepath.Base(ex), ex, err)
		}
	}
}

// --- helpers

type snipcartEvent struct {
	EventName string          `json:"eventName"`
	Mode      string          `json:"mode"`
	CreatedOn time.Time       `json:"createdOn"`
	Content   json.RawMessage `json:"content"`
}

func readSnipcartEvent(t *testing.T, name string) snipcartEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "snipcart", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev snipcartEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

func snipcartOrder(t *testing.T, name string) model.Order {
	t.Helper()
	ev := readSnipcartEvent(t, name)
	o, err := model.FromSnipcartOrder(ev.Content, ev.Mode, ev.CreatedOn)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return o
}

// mutateContent decodes content, lets mutate change it and encodes it again.
func mutateContent(t *testing.T, content json.RawMessage, mutate func(m map[string]any)) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(content, &m); err != nil {
		t.Fatal(err)
	}
	mutate(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGolden compares the indented JSON of v with the file at path, or
// rewrites the file with -update.
func checkGolden(t *testing.T, path string, v any) {
	t.Helper()
	got := []byte(mustJSON(t, v) + "\n")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it); got:\n%s", path, got)
	}
}
