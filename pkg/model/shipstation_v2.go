package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// ShipStation V2 records get external ids of their own, "v2<kind>_<V2 id>",
// so that they never meet a V1 id (V1 ids are decimal, fulfillments
// "f<decimal>") however ShipStation numbers them:
//
//	v2f_<fulfillment_id>   a V2 fulfillment (shipment id, hold fulfillment order id)
//	v2s_<shipment_id>      the V2 shipment a fulfillment fulfils (its order_id)
//	v2so_<sales_order_id>  a V2 sales order (order id)
const (
	v2FulfillmentPrefix = "v2f_"
	v2ShipmentPrefix    = "v2s_"
	v2SalesOrderPrefix  = "v2so_"
)

// FromShipStationV2Fulfillment converts a fulfillment from ShipStation's V2
// GET /v2/fulfillments (FULFILLMENT_SHIPPED_V2) into a shipment with source
// fulfillment. Its id is "shipstation:v2f_<fulfillment_id>"; its order is
// the V2 shipment it fulfils, "shipstation:v2s_<shipment_id>" (in V2 what
// V1 calls an order is a shipment), and the order number is
// shipment_number. Store is empty: V2 resource URLs name no store.
//
// Carrier is NormaliseCarrier of fulfillment_carrier_friendly_name (display
// case, "UPS"), else of carrier_code; there is no service and no items.
// voided and voided_at become Voided and VoidedAt. The version is as for
// V1 fulfillments (see Shipment.Version). Every error wraps ErrInvalid.
func FromShipStationV2Fulfillment(f shipstation.V2Fulfillment) (Shipment, error) {
	if f.FulfillmentID == "" || f.ShipmentID == "" {
		return Shipment{}, fmt.Errorf("%w: shipstation v2 fulfillment %q of shipment %q: fulfillment_id and shipment_id are required", ErrInvalid, f.FulfillmentID, f.ShipmentID)
	}
	carrier := f.CarrierFriendlyName
	if strings.TrimSpace(carrier) == "" {
		carrier = f.CarrierCode
	}
	out := shipStationShipment(shipStationRecord{
		id:       v2FulfillmentPrefix + string(f.FulfillmentID),
		number:   f.ShipmentNumber,
		carrier:  carrier,
		tracking: f.TrackingNumber,
		created:  f.CreatedAt.Time,
		shipped:  f.ShipDate.Time,
		voided:   f.Voided,
		voidedAt: f.VoidedAt.Time,
		source:   SourceFulfillment,
		raw:      f,
	})
	// shipStationShipment names V1 orders by their numeric orderId; a V2
	// fulfillment's order is its V2 shipment.
	out.OrderID = OrderID(ProviderShipStation, v2ShipmentPrefix+string(f.ShipmentID))
	return validShipment(out)
}

// FromShipStationV2Rejection normalises one fulfillment of a
// FULFILLMENT_REJECTED_V2 webhook's resource as FromShipStationRejection
// does a V1 one: a rejected record, request_status "rejected", in the
// UnknownStore (V2 resource URLs name no store), fulfillment_order_id
// "v2f_<fulfillment_id>" and order_id "v2s_<shipment_id>". eventTime, the
// webhook's time, is the version when the fulfillment has no created_at.
func FromShipStationV2Rejection(f shipstation.V2Fulfillment, eventTime time.Time) (FulfillmentHold, error) {
	if f.FulfillmentID == "" {
		return FulfillmentHold{}, fmt.Errorf("%w: shipstation v2 fulfillment without fulfillment_id", ErrInvalid)
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return FulfillmentHold{}, fmt.Errorf("%w: shipstation v2 fulfillment %q: %v", ErrInvalid, f.FulfillmentID, err)
	}
	sum := sha256.Sum256(raw)
	id := v2FulfillmentPrefix + string(f.FulfillmentID)
	out := FulfillmentHold{
		ID:                 FulfillmentHoldID(ProviderShipStation, UnknownStore, id),
		Provider:           ProviderShipStation,
		Shop:               UnknownStore,
		FulfillmentOrderID: id,
		RequestStatus:      "rejected",
		UpdatedAt:          firstTime(f.CreatedAt.Time, f.ShipDate.Time, eventTime),
		Tiebreak:           hex.EncodeToString(sum[:8]),
	}
	if f.ShipmentID != "" {
		out.OrderID = v2ShipmentPrefix + string(f.ShipmentID)
	}
	out = out.first()
	if err := out.Validate(); err != nil {
		return FulfillmentHold{}, err
	}
	return out, nil
}

// FromShipStationV2SalesOrder converts a sales order of a
// SALES_ORDERS_IMPORTED_V2 webhook's resource into a canonical order.
//
// The id is "shipstation:v2so_<sales_order_id>", the store the order
// source's id, the number external_order_number (else external_order_id).
// Status: is_cancelled → cancelled; fulfillment_status fulfilled or
// shipped → fulfilled; payment_status awaiting_payment or unpaid →
// pending_payment; anything else awaiting_fulfillment. RawStatus is
// fulfillment_status. PaymentStatus: paid → paid; awaiting_payment or
// unpaid → unpaid; refunded → refunded; anything else unknown, with
// RawPaymentStatus verbatim. Totals come from payment_details (subtotal,
// estimated_tax, estimated_shipping, grand_total; "0.00" when absent; Paid
// is the grand total once paid), items from sales_order_items (sku, name,
// quantity, price_summary.unit_price). The currency is the amounts', when
// they name one. The version is modified_at (else created_at, order_date)
// with a hash of the order as tie-break. Every error wraps ErrInvalid.
func FromShipStationV2SalesOrder(o shipstation.V2SalesOrder) (Order, error) {
	if o.SalesOrderID == "" {
		return Order{}, fmt.Errorf("%w: shipstation v2 sales order without sales_order_id", ErrInvalid)
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return Order{}, fmt.Errorf("%w: shipstation v2 sales order %q: %v", ErrInvalid, o.SalesOrderID, err)
	}
	sum := sha256.Sum256(raw)
	st := o.SalesOrderStatus
	out := Order{
		ID:               OrderID(ProviderShipStation, v2SalesOrderPrefix+string(o.SalesOrderID)),
		Provider:         ProviderShipStation,
		Store:            string(o.OrderSource.OrderSourceID),
		Number:           firstNonEmpty(strings.TrimSpace(o.ExternalOrderNumber), strings.TrimSpace(o.ExternalOrderID)),
		RawStatus:        st.FulfillmentStatus,
		PaymentStatus:    v2PaymentStatus(st.PaymentStatus),
		RawPaymentStatus: st.PaymentStatus,
		CustomerEmail:    firstNonEmpty(o.Customer.Email, o.BillTo.Email, o.ShipTo.Email),
		CreatedAt:        firstTime(o.CreatedAt.Time, o.OrderDate.Time, o.ModifiedAt.Time),
		UpdatedAt:        firstTime(o.ModifiedAt.Time, o.CreatedAt.Time, o.OrderDate.Time),
		Items:            make([]Item, 0, len(o.SalesOrderItems)),
	}
	out.Status = v2OrderStatus(st, out.PaymentStatus)
	out.Tiebreak = out.UpdatedAt.Format(fixedTime) + "#" + hex.EncodeToString(sum[:8])

	var problems []string
	currency := ""
	money := func(name string, a shipstation.V2Amount) Money {
		if a.Currency != "" && currency == "" {
			currency = strings.ToUpper(a.Currency)
		}
		if a.Value == "" {
			return ZeroMoney
		}
		m, err := ParseMoney(a.Value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
		return m
	}
	for i, it := range o.SalesOrderItems {
		out.Items = append(out.Items, Item{
			SKU: it.LineItemDetails.SKU, Name: it.LineItemDetails.Name, Quantity: it.Quantity,
			UnitPrice: money(fmt.Sprintf("sales_order_items[%d].price_summary.unit_price", i), it.PriceSummary.UnitPrice),
		})
	}
	pd := o.PaymentDetails
	out.Totals = Totals{
		Subtotal: money("subtotal", pd.Subtotal),
		Tax:      money("estimated_tax", pd.EstimatedTax),
		Shipping: money("estimated_shipping", pd.EstimatedShipping),
		Discount: ZeroMoney,
		Total:    money("grand_total", pd.GrandTotal),
		Paid:     ZeroMoney,
		Refunded: ZeroMoney,
	}
	if out.PaymentStatus == PaymentPaid {
		out.Totals.Paid = out.Totals.Total
	}
	if len(problems) > 0 {
		return Order{}, fmt.Errorf("%w: shipstation v2 sales order %q: %s", ErrInvalid, o.SalesOrderID, strings.Join(problems, "; "))
	}
	out.Currency = currency
	if a := o.ShipTo; a != (shipstation.V2Address{}) {
		out.ShipTo = &Address{
			Name: a.Name, Company: a.CompanyName, Street1: a.AddressLine1, Street2: a.AddressLine2,
			City: a.CityLocality, State: a.StateProvince, PostalCode: a.PostalCode, Country: a.CountryCode, Phone: a.Phone,
		}
	}
	if err := out.Validate(); err != nil {
		return Order{}, err
	}
	return out, nil
}

// v2PaymentStatus normalises a sales order's payment_status; the V2
// documentation names the field but not its values, so only the obvious
// ones are mapped.
func v2PaymentStatus(raw string) PaymentStatus {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "paid":
		return PaymentPaid
	case "awaiting_payment", "unpaid":
		return PaymentUnpaid
	case "refunded":
		return PaymentRefunded
	}
	return PaymentUnknown
}

// v2OrderStatus normalises a sales order's status; see
// FromShipStationV2SalesOrder.
func v2OrderStatus(st shipstation.V2SalesOrderStatus, payment PaymentStatus) Status {
	switch {
	case st.IsCancelled:
		return StatusCancelled
	case strings.EqualFold(st.FulfillmentStatus, "fulfilled"), strings.EqualFold(st.FulfillmentStatus, "shipped"):
		return StatusFulfilled
	case payment == PaymentUnpaid:
		return StatusPendingPayment
	}
	return StatusAwaitingFulfillment
}
