package schemas_test

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/schemas"
)

const canonicalOrderSchema = "canonical/order.schema.json"

// TestCanonicalOrderSchemaFile checks the canonical order schema the way
// TestSchemaFiles checks the webhook schemas, and that the catalog's order
// events name it.
func TestCanonicalOrderSchemaFile(t *testing.T) {
	t.Parallel()
	checkCanonicalSchemaFile(t, canonicalOrderSchema, "order")
	for _, p := range []string{catalog.ShipStation, catalog.Snipcart} {
		row, err := catalog.Canonical("orders", p, catalog.OrderUpserted)
		if err != nil {
			t.Errorf("catalog: %v", err)
			continue
		}
		if row.Schema != canonicalOrderSchema {
			t.Errorf("%s has schema %q, want %q", row.Type, row.Schema, canonicalOrderSchema)
		}
	}
}

// TestCanonicalOrderEnums: the schema's enums are pkg/model's, value for
// value, so neither can gain a status the other refuses.
func TestCanonicalOrderEnums(t *testing.T) {
	t.Parallel()
	checkEnums(t, canonicalOrderSchema, map[string][]string{
		"status":         enumStrings(model.Statuses()),
		"payment_status": enumStrings(model.PaymentStatuses()),
		"provider":       {model.ProviderShipStation, model.ProviderSnipcart, model.ProviderShopline},
	})
}

// TestSnipcartStatusTablesCoverWebhookSchema: every status the Snipcart
// webhook schema accepts is one the model's tables know, so no valid
// webhook becomes an "unknown" order.
func TestSnipcartStatusTablesCoverWebhookSchema(t *testing.T) {
	t.Parallel()
	var doc struct {
		Defs map[string]struct {
			Enum []string `json:"enum"`
		} `json:"$defs"`
	}
	raw, err := fs.ReadFile(schemas.FS, "webhooks/snipcart-order.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	orderStatuses, paymentStatuses := doc.Defs["orderStatus"].Enum, doc.Defs["paymentStatus"].Enum
	if len(orderStatuses) != 8 || len(paymentStatuses) != 12 {
		t.Fatalf("snipcart-order.schema.json lists %d order and %d payment statuses, Snipcart documents 8 and 12", len(orderStatuses), len(paymentStatuses))
	}
	for _, s := range orderStatuses {
		if model.SnipcartStatus(s) == model.StatusUnknown {
			t.Errorf("order status %q normalises to unknown", s)
		}
	}
	for _, s := range paymentStatuses {
		if model.SnipcartPaymentStatus(s) == model.PaymentUnknown {
			t.Errorf("payment status %q normalises to unknown", s)
		}
	}
}

// TestCanonicalSnipcartExamples normalises every Snipcart order example,
// attaches the refund and notification examples to the order they name, and
// validates each result against the canonical schema.
func TestCanonicalSnipcartExamples(t *testing.T) {
	t.Parallel()
	orders := snipcartCanonicalOrders(t)
	for _, want := range []string{
		"order.completed", "order.status.changed", "order.paymentStatus.changed",
		"order.trackingNumber.changed", "order.refund.created", "order.notification.created",
	} {
		if _, ok := orders[want]; !ok {
			t.Errorf("no example of %s produced an order", want)
		}
	}
	checkRecordsValid(t, canonicalOrderSchema, orders)
}

// TestCanonicalShoplineExamples normalises every SHOPLINE orders/* example
// (orders/delete as a deletion of the orders/create order and of nothing)
// and validates each result against the canonical schema.
func TestCanonicalShoplineExamples(t *testing.T) {
	t.Parallel()
	orders := map[string]model.Order{}
	var created *model.Order
	for _, et := range catalog.Webhooks() {
		if et.Provider != catalog.Shopline || !strings.HasPrefix(et.Event, "orders/") {
			continue
		}
		body, _, err := schemas.Example(et)
		if err != nil {
			t.Fatal(err)
		}
		if et.Event == "orders/delete" {
			continue
		}
		o, err := model.FromShoplineOrder(body, "1610418123456")
		if err != nil {
			t.Fatalf("FromShoplineOrder(%s): %v", et.Event, err)
		}
		orders[et.Event] = o
		if et.Event == "orders/create" {
			created = &o
		}
	}
	et, err := catalog.Webhook(catalog.Shopline, "orders/delete")
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	d, err := model.FromShoplineOrderDeletion(body, "1610418123456", time.Date(2025, 6, 20, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	orders["orders/delete of nothing stored"], _ = d.Apply(nil)
	orders["orders/delete of the created order"], _ = d.Apply(created)
	if len(orders) != 9 {
		t.Errorf("%d orders, want one per topic and two deletions", len(orders))
	}
	checkRecordsValid(t, canonicalOrderSchema, orders)
}

// TestCanonicalOrderRefuse starts from a valid canonical order (with a
// refund and a notification, so every nested object is present) and breaks
// one thing per case: the schema must refuse it and, where the broken
// document still decodes into a model.Order, so must Order.Validate.
func TestCanonicalOrderRefuse(t *testing.T) {
	t.Parallel()
	cases := []refuseCase{
		{"status of a provider", set("status", "Processed"), true},
		{"status not in enum", set("status", "shipped"), true},
		{"payment status of a provider", set("payment_status", "Paid"), true},
		{"missing status", del("status"), true},
		{"lower-case currency", set("currency", "cad"), true},
		{"two-letter currency", set("currency", "CA"), true},
		{"id without provider", set("id", "1912e4c1-d008-4c15-ab12-fe21a76d30d4"), true},
		{"id with a dot", set("id", "snipcart:a.b"), true},
		{"unknown provider", func(m map[string]any) { m["id"], m["provider"] = "shopify:1", "shopify" }, true},
		{"extra field", set("loyalty_points", 12.0), false},
		{"extra field in totals", set("totals.fees", "1.00"), false},
		{"extra field in an item", set("items.0.color", "red"), false},
		{"extra field in ship_to", set("ship_to.email", "geeks@snipcart.com"), false},
		{"extra field in a refund", set("refunds.0.currency", "CAD"), false},
		{"extra field in a notification", set("notifications.0.message", "<p>Backorder</p>"), false},
		{"money as a number", set("totals.total", 330.0), false},
		{"money with a comma", set("totals.paid", "330,00"), true},
		{"money with a currency sign", set("items.0.unit_price", "$30"), true},
		{"missing total", del("totals.total"), true},
		{"missing tiebreak", del("tiebreak"), false},
		{"missing items", del("items"), false},
		{"items null", set("items", nil), false},
		{"negative quantity", set("items.0.quantity", -1.0), true},
		{"fractional quantity", set("items.0.quantity", 1.5), false},
		{"lower-case country", set("ship_to.country", "ca"), true},
		{"country name", set("ship_to.country", "Canada"), true},
		{"ship_to null", set("ship_to", nil), false},
		{"created_at a date", set("created_at", "2017-10-03"), false},
		{"updated_at not UTC", set("updated_at", "2017-10-05T07:02:11-07:00"), false},
		{"refund amount a word", set("refunds.0.amount", "lots"), true},
		{"refund without created_at", del("refunds.0.created_at"), false},
		{"notification without type", set("notifications.0.type", ""), true},
		{"store a number", set("store", 123456.0), false},
		{"account not in the id", set("account", "east"), true},
		{"account id without account", set("id", "snipcart:east:1912e4c1-d008-4c15-ab12-fe21a76d30d4"), false},
		{"account not a subject token", func(m map[string]any) {
			m["account"], m["id"] = "East Coast", "snipcart:East Coast:1912e4c1-d008-4c15-ab12-fe21a76d30d4"
		}, true},
	}
	checkRefused(t, canonicalOrderSchema, snipcartCanonicalOrders(t)["order.notification.created"], cases)
}

// TestCanonicalOrderAccept pins what the schema allows on purpose.
func TestCanonicalOrderAccept(t *testing.T) {
	t.Parallel()
	cases := []acceptCase{
		{"no currency", set("currency", "")},
		{"no ship_to", del("ship_to")},
		{"no items", set("items", []any{})},
		{"no refunds or notifications", func(m map[string]any) { delete(m, "refunds"); delete(m, "notifications") }},
		{"more than two decimals", set("totals.tax", "0.125")},
		{"negative amount", set("totals.discount", "-3.50")},
		{"amount without decimals", set("totals.shipping", "10")},
		{"unknown statuses", func(m map[string]any) { m["status"], m["payment_status"] = "unknown", "unknown" }},
		{"ShipStation order", func(m map[string]any) {
			m["id"], m["provider"], m["store"], m["raw_payment_status"] = "shipstation:123456789", "shipstation", "123456", ""
		}},
		{"fractional seconds", set("updated_at", "2017-10-05T14:02:11.4182035Z")},
		{"named account", func(m map[string]any) {
			m["account"], m["id"] = "shop-a", "snipcart:shop-a:"+strings.TrimPrefix(m["id"].(string), "snipcart:")
		}},
	}
	checkAccepted(t, canonicalOrderSchema, snipcartCanonicalOrders(t)["order.notification.created"], cases)
}

// snipcartCanonicalOrders returns, by event name, the canonical order each
// Snipcart order example gives; for the refund and notification examples,
// the order.completed order with the refund (then also the notification)
// attached. Subscription examples are not orders and are skipped.
func snipcartCanonicalOrders(t *testing.T) map[string]model.Order {
	t.Helper()
	type envelope struct {
		EventName string          `json:"eventName"`
		Mode      string          `json:"mode"`
		CreatedOn time.Time       `json:"createdOn"`
		Content   json.RawMessage `json:"content"`
	}
	events := map[string]envelope{}
	for _, p := range walk(t, "examples/snipcart") {
		raw, err := fs.ReadFile(schemas.FS, p)
		if err != nil {
			t.Fatal(err)
		}
		var ev envelope
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if strings.Contains(ev.EventName, "subscription.") {
			continue
		}
		if _, dup := events[ev.EventName]; dup {
			t.Fatalf("two examples of %s", ev.EventName)
		}
		events[ev.EventName] = ev
	}
	orders := map[string]model.Order{}
	for name, ev := range events {
		switch name {
		case "order.refund.created", "order.notification.created":
			continue // below, on top of order.completed
		}
		o, err := model.FromSnipcartOrder(ev.Content, ev.Mode, ev.CreatedOn)
		if err != nil {
			t.Fatalf("FromSnipcartOrder(%s): %v", name, err)
		}
		orders[name] = o
	}
	o, ok := orders["order.completed"]
	if !ok {
		t.Fatal("no order.completed example")
	}
	if ev, ok := events["order.refund.created"]; ok {
		id, r, err := model.SnipcartRefund(ev.Content, ev.CreatedOn)
		if err != nil || id != o.ID {
			t.Fatalf("SnipcartRefund = %q, %v; want a refund of %q", id, err, o.ID)
		}
		o.ApplyRefund(r)
		orders[ev.EventName] = o
	}
	if ev, ok := events["order.notification.created"]; ok {
		id, n, err := model.SnipcartNotification(ev.Content, ev.CreatedOn)
		if err != nil || id != o.ID {
			t.Fatalf("SnipcartNotification = %q, %v; want a notification of %q", id, err, o.ID)
		}
		o.ApplyNotification(n)
		orders[ev.EventName] = o
	}
	return orders
}
