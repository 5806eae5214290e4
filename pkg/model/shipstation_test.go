package model_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// An order as ShipStation's API returns it (Pacific time, no offset).
const shipStationOrderJSON = `{
  "orderId": 987654321, "orderNumber": "TEST-1001", "orderKey": "k-1001",
  "orderDate": "2024-07-01T08:15:00.0000000", "createDate": "2024-07-01T08:16:12.1230000",
  "modifyDate": "2024-07-02T17:30:00.7800000", "paymentDate": "2024-07-01T08:15:00.0000000",
  "orderStatus": "awaiting_shipment", "customerEmail": "ada@example.com",
  "shipTo": {"name": "Ada Lovelace", "street1": "1 Main St", "city": "Austin", "state": "TX", "postalCode": "78701", "country": "US"},
  "items": [
    {"orderItemId": 1, "sku": "MUG-1", "name": "Mug", "quantity": 3, "unitPrice": 9.99},
    {"orderItemId": 2, "sku": "TEE-2", "name": "Tee", "quantity": 1, "unitPrice": 20.1}
  ],
  "orderTotal": 58.07, "amountPaid": 58.07, "taxAmount": 4.0, "shippingAmount": 4.1,
  "advancedOptions": {"storeId": 123456}
}`

func TestFromShipStation(t *testing.T) {
	var in shipstation.Order
	if err := json.Unmarshal([]byte(shipStationOrderJSON), &in); err != nil {
		t.Fatal(err)
	}
	o, err := model.FromShipStation(in)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"id":       {o.ID, "shipstation:987654321"},
		"key":      {o.Key(), "shipstation.987654321"},
		"store":    {o.Store, "123456"},
		"status":   {string(o.Status), "awaiting_fulfillment"},
		"raw":      {o.RawStatus, "awaiting_shipment"},
		"payment":  {string(o.PaymentStatus), "paid"},
		"subtotal": {string(o.Totals.Subtotal), "50.07"}, // 3 × 9.99 + 20.10, exactly
		"total":    {string(o.Totals.Total), "58.07"},
		"country":  {o.ShipTo.Country, "US"},
		"updated":  {o.UpdatedAt.Format(time.RFC3339Nano), "2024-07-03T00:30:00.78Z"}, // PDT is UTC-7
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if len(o.Items) != 2 || o.Items[0].UnitPrice != "9.99" || o.Items[0].Quantity != 3 {
		t.Errorf("items %+v", o.Items)
	}
	again, _ := model.FromShipStation(in)
	if again.Version() != o.Version() {
		t.Error("the same order gives another version")
	}
	in.ModifyDate = shipstation.PacificTime{Time: in.ModifyDate.Add(time.Minute)}
	newer, _ := model.FromShipStation(in)
	if !newer.Version().After(o.Version()) {
		t.Error("a later modifyDate is not a newer version")
	}
}

func TestFromShipStationRefusesAnOrderWithoutID(t *testing.T) {
	if _, err := model.FromShipStation(shipstation.Order{OrderNumber: "x"}); err == nil {
		t.Error("accepted an order without orderId")
	}
}
