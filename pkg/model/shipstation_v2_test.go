package model_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// v2Fulfillment decodes a fulfillment as GET /v2/fulfillments writes it.
func v2Fulfillment(t *testing.T, edit func(map[string]any)) shipstation.V2Fulfillment {
	t.Helper()
	rec := map[string]any{
		"fulfillment_id": "se-5550001", "shipment_id": "se-7770001", "shipment_number": "V2-10042",
		"tracking_number": "1Z999AA10123456784", "created_at": "2025-03-03T15:00:00.000Z", "ship_date": "2025-03-03T00:00:00",
		"voided": false, "voided_at": nil, "delivered_at": nil,
		"fulfillment_carrier_friendly_name": "UPS", "fulfillment_provider_code": "shipstation",
		"ship_to": map[string]any{"name": "Ada Lovelace", "address_line1": "2815 Elliott Ave", "city_locality": "Seattle", "state_province": "WA", "postal_code": "98121", "country_code": "US"},
	}
	if edit != nil {
		edit(rec)
	}
	b, _ := json.Marshal(rec)
	var f shipstation.V2Fulfillment
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFromShipStationV2Fulfillment(t *testing.T) {
	sh, err := model.FromShipStationV2Fulfillment(v2Fulfillment(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2025, 3, 3, 15, 0, 0, 0, time.UTC)
	switch {
	case sh.ID != "shipstation:v2f_se-5550001", sh.Key() != "shipstation.v2f_se-5550001", sh.OrderID != "shipstation:v2s_se-7770001",
		sh.OrderNumber != "V2-10042", sh.Carrier != model.CarrierUPS, sh.RawCarrier != "UPS", sh.Source != model.SourceFulfillment,
		sh.TrackingURL == "", sh.ShipDate == nil || !sh.ShipDate.Equal(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)),
		!sh.UpdatedAt.Equal(created), sh.Voided, sh.VoidedAt != nil, sh.Store != "":
		t.Errorf("shipment %+v", sh)
	}

	voided, err := model.FromShipStationV2Fulfillment(v2Fulfillment(t, func(r map[string]any) {
		r["voided"], r["voided_at"] = true, "2025-03-04T08:00:00+02:00"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if at := time.Date(2025, 3, 4, 6, 0, 0, 0, time.UTC); !voided.Voided || voided.VoidedAt == nil || !voided.VoidedAt.Equal(at) ||
		!voided.Version().After(sh.Version()) {
		t.Errorf("voided %+v; want voided at %v and newer than the unvoided state", voided, at)
	}

	for name, edit := range map[string]func(map[string]any){
		"no fulfillment_id": func(r map[string]any) { delete(r, "fulfillment_id") },
		"no shipment_id":    func(r map[string]any) { r["shipment_id"] = nil },
		"id with a slash":   func(r map[string]any) { r["fulfillment_id"] = "se/1" },
	} {
		if _, err := model.FromShipStationV2Fulfillment(v2Fulfillment(t, edit)); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestFromShipStationV2Rejection(t *testing.T) {
	event := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
	h, err := model.FromShipStationV2Rejection(v2Fulfillment(t, func(r map[string]any) { r["created_at"] = nil; r["ship_date"] = nil }), event)
	if err != nil {
		t.Fatal(err)
	}
	if h.ID != "shipstation:unknown:v2f_se-5550001" || h.Status != model.HoldRejected || h.OrderID != "v2s_se-7770001" ||
		h.RequestStatus != "rejected" || !h.UpdatedAt.Equal(event) {
		t.Errorf("record %+v", h)
	}
}

func TestFromShipStationV2SalesOrder(t *testing.T) {
	decode := func(raw string) shipstation.V2SalesOrder {
		t.Helper()
		var o shipstation.V2SalesOrder
		if err := json.Unmarshal([]byte(raw), &o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	o, err := model.FromShipStationV2SalesOrder(decode(`{
		"sales_order_id": "5a1e0000-0000-4000-8000-000000000001", "external_order_id": "4001042", "external_order_number": "#1042",
		"order_source": {"order_source_id": "se-3456789", "order_source_code": "shopify"},
		"sales_order_status": {"payment_status": "paid", "fulfillment_status": "unfulfilled", "is_cancelled": false},
		"order_date": "2025-03-04T09:58:00Z", "created_at": "2025-03-04T10:00:00Z", "modified_at": "2025-03-04T11:30:00.5Z",
		"payment_details": {"subtotal": {"amount": 32.3, "currency": "usd"}, "estimated_shipping": "5.99", "estimated_tax": 3, "grand_total": {"amount": "41.29", "currency": "usd"}},
		"customer": {"name": "Grace Hopper", "email": "grace.hopper@example.com"},
		"ship_to": {"name": "Grace Hopper", "address_line1": "100 Congress Ave", "city_locality": "Austin", "state_province": "TX", "postal_code": "78701", "country_code": "US"},
		"sales_order_items": [{"line_item_details": {"name": "Sandbox Mug", "sku": "SB-MUG-001"}, "quantity": 2, "price_summary": {"unit_price": {"amount": 16.15, "currency": "usd"}}}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case o.ID != "shipstation:v2so_5a1e0000-0000-4000-8000-000000000001", o.Store != "se-3456789", o.Number != "#1042",
		o.Status != model.StatusAwaitingFulfillment, o.PaymentStatus != model.PaymentPaid, o.Currency != "USD",
		o.Totals.Subtotal != "32.30", o.Totals.Shipping != "5.99", o.Totals.Tax != "3.00", o.Totals.Total != "41.29", o.Totals.Paid != "41.29",
		len(o.Items) != 1 || o.Items[0].UnitPrice != "16.15" || o.Items[0].Quantity != 2,
		o.ShipTo == nil || o.ShipTo.City != "Austin", o.CustomerEmail != "grace.hopper@example.com",
		!o.UpdatedAt.Equal(time.Date(2025, 3, 4, 11, 30, 0, 500_000_000, time.UTC)):
		t.Errorf("order %+v", o)
	}

	cancelled, err := model.FromShipStationV2SalesOrder(decode(`{"sales_order_id": "so-2", "created_at": "2025-03-04T10:00:00Z",
		"sales_order_status": {"payment_status": "awaiting_payment", "is_cancelled": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.Status != model.StatusCancelled || cancelled.PaymentStatus != model.PaymentUnpaid || cancelled.Totals.Total != model.ZeroMoney || cancelled.Currency != "" {
		t.Errorf("order %+v", cancelled)
	}
	if _, err := model.FromShipStationV2SalesOrder(decode(`{"created_at": "2025-03-04T10:00:00Z"}`)); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("no sales_order_id: %v, want ErrInvalid", err)
	}
}
