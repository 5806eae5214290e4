package orderenricher_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/schemas"
)

const (
	shoplineShop     = "1610418123456"
	shoplineOrderID  = "21057401932826316666967110" // the examples' order
	shoplineUpserted = "orders.shopline.upserted.>"
)

// shoplineOrder returns the example body of a SHOPLINE orders/* topic with
// edit applied to its top-level members.
func shoplineOrder(t *testing.T, topic string, edit map[string]any) []byte {
	t.Helper()
	body, err := schemas.EditedExample(catalog.Shopline, topic, edit)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// shopline publishes a SHOPLINE webhook as the gateway does: the shop in
// the shopid extension and the source, the time the body's updated_at
// (else now, the gateway's receipt).
func (h *harness) shopline(topic string, body []byte) {
	h.t.Helper()
	opts := []consumertest.WebhookOpt{
		consumertest.WithSource("/shopline/shops/" + shoplineShop),
		consumertest.WithExtension("shopid", shoplineShop),
	}
	var b struct {
		UpdatedAt time.Time `json:"updated_at"`
	}
	if json.Unmarshal(body, &b) == nil && !b.UpdatedAt.IsZero() {
		opts = append(opts, consumertest.WithTime(b.UpdatedAt))
	}
	h.Webhook(catalog.Shopline, topic, body, opts...)
}

// shoplineOrders returns the published SHOPLINE orders in stream order,
// each checked against the canonical schema and the event's attributes.
func (h *harness) shoplineOrders() []model.Order {
	h.t.Helper()
	sch, err := schemas.Compile("canonical/order.schema.json")
	if err != nil {
		h.t.Fatal(err)
	}
	var out []model.Order
	for _, ev := range h.Events(catalog.StreamOrders) {
		if !strings.HasPrefix(ev.Subject, "orders.shopline.upserted.") {
			continue
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ev.Event.Data()))
		if err != nil {
			h.t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			h.t.Errorf("%s does not validate: %v", ev.Subject, err)
		}
		var o model.Order
		if err := json.Unmarshal(ev.Event.Data(), &o); err != nil {
			h.t.Fatal(err)
		}
		if ev.Event.Type() != "dev.hookstream.order.upserted" || ev.Event.Subject() != o.ID ||
			ev.Subject != "orders.shopline.upserted."+strings.TrimPrefix(o.ID, "shopline:") {
			h.t.Errorf("event %s: type %s, ce-subject %s for order %s", ev.Subject, ev.Event.Type(), ev.Event.Subject(), o.ID)
		}
		out = append(out, o)
	}
	return out
}

// Every topic whose body is the order, first of its order (each example
// with an id of its own), publishes that order with the status the topic
// is about.
func TestShoplineEveryOrderTopic(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	want := map[string]model.Status{
		"orders/create":              model.StatusPendingPayment,
		"orders/updated":             model.StatusAwaitingFulfillment,
		"orders/edited":              model.StatusAwaitingFulfillment,
		"orders/paid":                model.StatusAwaitingFulfillment,
		"orders/partially_fulfilled": model.StatusAwaitingFulfillment,
		"orders/fulfilled":           model.StatusFulfilled,
		"orders/cancelled":           model.StatusCancelled,
	}
	ids := map[string]string{} // canonical id → topic
	for topic := range want {
		id := shoplineOrderID[:25] + strconv.Itoa(len(ids))
		ids["shopline:"+id] = topic
		h.shopline(topic, shoplineOrder(t, topic, map[string]any{"id": id}))
	}
	natstest.Eventually(t, "7 orders", func() bool { return h.published(shoplineUpserted) >= 7 })
	h.settled()
	orders := h.shoplineOrders()
	if len(orders) != 7 {
		t.Fatalf("%d events, want 7", len(orders))
	}
	for _, o := range orders {
		topic := ids[o.ID]
		if o.Status != want[topic] || o.Store != shoplineShop || o.Totals.Total != "26.00" || o.Currency != "USD" {
			t.Errorf("%s (%s): status %s, store %s, total %s %s; want %s, %s, 26.00 USD",
				o.ID, topic, o.Status, o.Store, o.Totals.Total, o.Currency, want[topic], shoplineShop)
		}
	}
	if n := len(h.dlq()); n != 0 {
		t.Errorf("%d DLQ entries", n)
	}
}

// One order's webhooks in the order SHOPLINE sends them: an event only
// where a subscriber sees a change (the orders/updated and orders/edited
// bodies change only the note, which the canonical order does not carry,
// and a partial fulfillment leaves it awaiting fulfillment), and the
// bucket at the newest version all the same.
func TestShoplineOrderLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	for _, topic := range []string{"orders/create", "orders/paid", "orders/updated", "orders/edited", "orders/partially_fulfilled", "orders/fulfilled"} {
		h.shopline(topic, shoplineOrder(t, topic, nil))
		h.settled()
	}
	orders := h.shoplineOrders()
	var got []string
	for _, o := range orders {
		got = append(got, string(o.Status)+"/"+string(o.PaymentStatus))
	}
	if want := "pending_payment/unpaid awaiting_fulfillment/paid fulfilled/paid"; strings.Join(got, " ") != want {
		t.Errorf("events %v, want %s", got, want)
	}
	o, ok := h.stored("shopline." + shoplineOrderID)
	if !ok || !o.UpdatedAt.Equal(time.Date(2025, 6, 13, 7, 2, 19, 0, time.UTC)) || o.Status != model.StatusFulfilled {
		t.Errorf("stored %v: %s updated at %s, want fulfilled at 2025-06-13T07:02:19Z", ok, o.Status, o.UpdatedAt)
	}
}

// Updates delivered out of order: older ones change nothing and publish
// nothing, and the bucket keeps the newest.
func TestShoplineOrdersOutOfOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	for _, topic := range []string{"orders/fulfilled", "orders/paid", "orders/create", "orders/partially_fulfilled"} {
		h.shopline(topic, shoplineOrder(t, topic, nil))
		h.settled()
	}
	orders := h.shoplineOrders()
	if len(orders) != 1 || orders[0].Status != model.StatusFulfilled {
		t.Fatalf("%d events (%v), want only the fulfilled order", len(orders), orders)
	}
	// The same webhook again (a retry SHOPLINE sends with a new delivery,
	// after the duplicate window): nothing.
	h.shopline("orders/fulfilled", shoplineOrder(t, "orders/fulfilled", nil))
	h.settled()
	if n := h.published(shoplineUpserted); n != 1 {
		t.Errorf("%d events after a redelivery, want 1", n)
	}
	if o, _ := h.stored("shopline." + shoplineOrderID); o.Status != model.StatusFulfilled {
		t.Errorf("stored status %s, want fulfilled", o.Status)
	}
}

// Created, cancelled, deleted (a body with only the id): three events, the
// last one cancelled with raw status deleted; nothing after it changes the
// order, neither a stale update nor one dated after the deletion.
func TestShoplineCancellationAndDeletion(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.shopline("orders/create", shoplineOrder(t, "orders/create", nil))
	h.settled()
	h.shopline("orders/cancelled", shoplineOrder(t, "orders/cancelled", nil))
	h.settled()
	h.shopline("orders/delete", shoplineOrder(t, "orders/delete", nil))
	h.settled()
	h.shopline("orders/paid", shoplineOrder(t, "orders/paid", nil))                                                        // older
	h.shopline("orders/updated", shoplineOrder(t, "orders/updated", map[string]any{"updated_at": "2099-01-01T00:00:00Z"})) // newer
	h.shopline("orders/delete", shoplineOrder(t, "orders/delete", nil))                                                    // again
	h.settled()

	orders := h.shoplineOrders()
	if len(orders) != 3 {
		t.Fatalf("%d events, want 3 (created, cancelled, deleted)", len(orders))
	}
	created, cancelled, deleted := orders[0], orders[1], orders[2]
	if created.Status != model.StatusPendingPayment || cancelled.Status != model.StatusCancelled || cancelled.RawStatus != "cancelled" ||
		cancelled.PaymentStatus != model.PaymentRefunded || cancelled.Totals.Refunded != "26.00" {
		t.Errorf("created %s, cancelled %s (raw %s, payment %s, refunded %s)", created.Status, cancelled.Status, cancelled.RawStatus, cancelled.PaymentStatus, cancelled.Totals.Refunded)
	}
	if !deleted.Deleted() || deleted.Status != model.StatusCancelled || deleted.RawStatus != "deleted" ||
		deleted.Totals != cancelled.Totals || len(deleted.Items) != 2 || deleted.Number != "#1001" {
		t.Errorf("deleted order %+v: want the cancelled order, raw status deleted", deleted)
	}
	if o, _ := h.stored("shopline." + shoplineOrderID); !o.Deleted() {
		t.Errorf("stored order %s/%s is not deleted", o.Status, o.RawStatus)
	}
	if n := len(h.dlq()); n != 0 {
		t.Errorf("%d DLQ entries", n)
	}
}

// A deletion that arrives before its order: the order is recorded as
// deleted, and the late orders/create publishes nothing.
func TestShoplineDeletionBeforeTheOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.shopline("orders/delete", shoplineOrder(t, "orders/delete", nil))
	h.settled()
	h.shopline("orders/create", shoplineOrder(t, "orders/create", nil))
	h.settled()
	orders := h.shoplineOrders()
	if len(orders) != 1 || !orders[0].Deleted() || orders[0].Store != shoplineShop {
		t.Fatalf("events %+v, want one deleted order", orders)
	}
}

// Bodies that cannot become an order go to the DLQ at once, saying why.
func TestShoplineMalformedOrdersGoToDLQ(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.shopline("orders/create", []byte(`{"id": "1", "current_total_price": "1.00"}`))
	h.shopline("orders/delete", []byte(`{"name": "#1001"}`))
	h.shopline("orders/paid", []byte(`[]`))
	natstest.Eventually(t, "3 DLQ entries", func() bool { return len(h.dlq()) == 3 })
	for _, e := range h.dlq() {
		if e.Attempts != 1 || !strings.Contains(e.Error, "model: invalid") {
			t.Errorf("%s: attempts %d, error %q", e.OriginalSubject, e.Attempts, e.Error)
		}
	}
	want := map[string]string{
		"webhooks.shopline.orders.create": "no updated_at",
		"webhooks.shopline.orders.delete": "order id",
		"webhooks.shopline.orders.paid":   "not a JSON object",
	}
	for _, e := range h.dlq() {
		if !strings.Contains(e.Error, want[e.OriginalSubject]) {
			t.Errorf("%s: error %q does not say %q", e.OriginalSubject, e.Error, want[e.OriginalSubject])
		}
	}
	if n := h.published(shoplineUpserted); n != 0 {
		t.Errorf("%d events for malformed bodies", n)
	}
}
