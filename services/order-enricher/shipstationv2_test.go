package orderenricher_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

const v2Key = "v2-api-key"

// v2Harness is the harness with a ShipStation V2 API as
// SHIPSTATION_V2_API_URL: the sandbox, except for the batch_id values
// registered with serve, answered from fixed records.
type v2Harness struct {
	*harness
	v2  *sandbox.ShipStationV2API
	url string

	mu     sync.Mutex
	served map[string]map[string]any // batch_id → the one sales order listed
}

func newV2Harness(t *testing.T, env map[string]string) *v2Harness {
	t.Helper()
	h := &v2Harness{v2: sandbox.NewShipStationV2API(v2Key), served: map[string]map[string]any{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		rec, ok := h.served[r.URL.Query().Get("batch_id")]
		h.mu.Unlock()
		if !ok || r.Header.Get(shipstation.HeaderV2APIKey) != v2Key {
			h.v2.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"sales_orders": []any{rec}, "total": 1, "page": 1, "pages": 1,
			"links": map[string]any{"first": map[string]any{}, "last": map[string]any{}, "prev": map[string]any{}, "next": map[string]any{}},
		})
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	vars := map[string]string{"SHIPSTATION_V2_API_KEY": v2Key, "SHIPSTATION_V2_API_URL": srv.URL}
	for k, v := range env {
		vars[k] = v
	}
	h.harness = newHarness(t, vars)
	return h
}

// imported publishes a SALES_ORDERS_IMPORTED_V2 for /v2/sales_orders?query.
func (h *v2Harness) imported(query string) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]string{
		"resource_url":  h.url + shipstation.V2SalesOrdersPath + "?" + query,
		"resource_type": "SALES_ORDERS_IMPORTED_V2",
	})
	h.Webhook(catalog.ShipStation, "SALES_ORDERS_IMPORTED_V2", body)
}

const upserted = "orders.shipstation.upserted.>"

// A SALES_ORDERS_IMPORTED_V2 of 120 sales orders: two pages, 120 upserted
// events, each a valid canonical order built from the sales order; the
// same webhook again publishes nothing.
func TestSalesOrdersImportedV2(t *testing.T) {
	h := newV2Harness(t, nil)
	const query = "order_source_id=se-3456789&batch_id=se-4567890"
	h.v2.SetSize(shipstation.V2SalesOrdersPath, query, 120)
	h.start()
	h.imported(query)
	natstest.Eventually(t, "120 orders", func() bool { return h.published(upserted) == 120 })
	h.imported(query)
	h.settled()
	if n, d := h.published(upserted), len(h.dlq()); n != 120 || d != 0 {
		t.Fatalf("%d events, %d DLQ entries; want 120 and none", n, d)
	}
	if n := h.v2.RequestsFor(shipstation.V2SalesOrdersPath); n != 4 {
		t.Errorf("%d requests, want two pages per delivery", n)
	}
	for _, se := range h.Events(catalog.StreamOrders) {
		var o model.Order
		if err := json.Unmarshal(se.Event.Data(), &o); err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); err != nil {
			t.Error(err)
		}
		if !strings.HasPrefix(o.ID, "shipstation:v2so_") || o.Store != "se-3456789" || o.Currency != "USD" || len(o.Items) == 0 ||
			o.Totals.Total == model.ZeroMoney || o.ShipTo == nil || o.CustomerEmail == "" || !strings.HasPrefix(o.Number, "#") {
			t.Fatalf("order %+v", o)
		}
		if (o.PaymentStatus == model.PaymentPaid) != (o.Totals.Paid == o.Totals.Total) {
			t.Errorf("order %s: payment %s, paid %s of %s", o.ID, o.PaymentStatus, o.Totals.Paid, o.Totals.Total)
		}
	}
}

// The newer state of a sales order delivered first, the older second: one
// event, and the newer state stays.
func TestSalesOrderV2OutOfOrder(t *testing.T) {
	h := newV2Harness(t, nil)
	older := salesOrder("awaiting_payment", "2025-03-04T10:00:00Z")
	newer := salesOrder("paid", "2025-03-04T11:30:00.000Z")
	h.served["newer"], h.served["older"] = newer, older
	h.start()
	h.imported("batch_id=newer")
	natstest.Eventually(t, "one order", func() bool { return h.published(upserted) == 1 })
	h.imported("batch_id=older")
	h.settled()
	if n := h.published(upserted); n != 1 || len(h.dlq()) != 0 {
		t.Fatalf("%d events, %d DLQ entries; want 1 and none", n, len(h.dlq()))
	}
	o, ok := h.stored("shipstation.v2so_5a1e0000-0000-4000-8000-000000000001")
	if !ok || o.PaymentStatus != model.PaymentPaid || o.Totals.Total != "41.29" || o.Totals.Paid != "41.29" || o.Number != "#1042" {
		t.Errorf("stored %+v, %v", o, ok)
	}
}

// Without a V2 key, with a refused key and with a malformed page the event
// goes to the DLQ on its first attempt saying why.
func TestSalesOrdersImportedV2Errors(t *testing.T) {
	cases := []struct {
		name, errText string
		env           map[string]string
		set           func(*sandbox.ShipStationV2API)
	}{
		{"no key", "SHIPSTATION_V2_API_KEY", map[string]string{"SHIPSTATION_V2_API_KEY": ""}, nil},
		{"wrong key", "401", map[string]string{"SHIPSTATION_V2_API_KEY": "wrong"}, nil},
		{"malformed page", "sales_orders", nil, func(a *sandbox.ShipStationV2API) { a.MalformNext(1) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newV2Harness(t, tc.env)
			if tc.set != nil {
				tc.set(h.v2)
			}
			h.start()
			h.imported("batch_id=se-1")
			natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
			h.settled()
			if e := h.dlq()[0]; e.Attempts != 1 || !strings.Contains(e.Error, tc.errText) {
				t.Errorf("attempts %d, error %q; want one attempt saying %q", e.Attempts, e.Error, tc.errText)
			}
			if n := h.published(upserted); n != 0 {
				t.Errorf("%d events", n)
			}
		})
	}
}

// salesOrder is a sales order as the V2 API writes it.
func salesOrder(payment, modifiedAt string) map[string]any {
	money := func(a float64) map[string]any { return map[string]any{"currency": "usd", "amount": a} }
	addr := map[string]any{
		"name": "Grace Hopper", "phone": "512-555-0199", "company_name": nil, "address_line1": "100 Congress Ave",
		"address_line2": nil, "city_locality": "Austin", "state_province": "TX", "postal_code": "78701", "country_code": "US",
	}
	return map[string]any{
		"sales_order_id":        "5a1e0000-0000-4000-8000-000000000001",
		"external_order_id":     "4001042",
		"external_order_number": "#1042",
		"order_source":          map[string]any{"order_source_id": "se-3456789", "order_source_code": "shopify", "order_source_friendly_name": "Shopify"},
		"sales_order_status":    map[string]any{"payment_status": payment, "fulfillment_status": "unfulfilled", "is_cancelled": false},
		"order_date":            "2025-03-04T09:58:00Z",
		"created_at":            "2025-03-04T10:00:00Z",
		"modified_at":           modifiedAt,
		"payment_details": map[string]any{
			"subtotal": money(32.3), "estimated_shipping": money(5.99), "estimated_tax": money(3), "grand_total": money(41.29),
		},
		"customer": map[string]any{"name": "Grace Hopper", "phone": "512-555-0199", "email": "grace.hopper@example.com"},
		"bill_to":  addr,
		"ship_to":  addr,
		"sales_order_items": []any{map[string]any{
			"sales_order_item_id": "se-1-1",
			"line_item_details":   map[string]any{"name": "Sandbox Mug, 12 oz", "sku": "SB-MUG-001"},
			"quantity":            2,
			"price_summary":       map[string]any{"unit_price": money(16.15), "total": money(32.3)},
		}},
	}
}
