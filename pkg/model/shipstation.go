package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// FromShipStation converts an order from ShipStation's V1 API.
//
// ShipStation has no payment status: an order with a payment date or an
// amount paid is paid, one awaiting payment is unpaid, anything else is
// unknown, and RawPaymentStatus stays empty. V1 orders carry no currency,
// so Currency is empty. Subtotal is the sum of the items; Discount is not
// reported and is "0.00". The version is ShipStation's modifyDate, with a
// hash of the order as tie-break.
func FromShipStation(o shipstation.Order) (Order, error) {
	if o.OrderID <= 0 {
		return Order{}, fmt.Errorf("%w: shipstation order without orderId", ErrInvalid)
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return Order{}, fmt.Errorf("%w: shipstation order %d: %v", ErrInvalid, o.OrderID, err)
	}
	sum := sha256.Sum256(raw)
	out := Order{
		ID:            OrderID(ProviderShipStation, strconv.FormatInt(o.OrderID, 10)),
		Provider:      ProviderShipStation,
		Number:        o.OrderNumber,
		Status:        ShipStationStatus(o.OrderStatus),
		RawStatus:     o.OrderStatus,
		PaymentStatus: shipStationPayment(o),
		CustomerEmail: o.CustomerEmail,
		CreatedAt:     firstTime(o.CreateDate.Time, o.OrderDate.Time, o.ModifyDate.Time),
		UpdatedAt:     firstTime(o.ModifyDate.Time, o.CreateDate.Time, o.OrderDate.Time),
		Items:         make([]Item, 0, len(o.Items)),
	}
	if o.AdvancedOptions.StoreID > 0 {
		out.Store = strconv.FormatInt(o.AdvancedOptions.StoreID, 10)
	}
	out.Tiebreak = out.UpdatedAt.Format(fixedTime) + "#" + hex.EncodeToString(sum[:8])
	subtotal := make([]Money, 0, len(o.Items))
	for _, it := range o.Items {
		price := MoneyFromFloat(it.UnitPrice)
		out.Items = append(out.Items, Item{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, UnitPrice: price})
		subtotal = append(subtotal, price.times(it.Quantity))
	}
	out.Totals = Totals{
		Subtotal: sumMoney(subtotal...),
		Tax:      MoneyFromFloat(o.TaxAmount),
		Shipping: MoneyFromFloat(o.ShippingAmount),
		Discount: ZeroMoney,
		Total:    MoneyFromFloat(o.OrderTotal),
		Paid:     MoneyFromFloat(o.AmountPaid),
		Refunded: ZeroMoney,
	}
	if a := o.ShipTo; a != (shipstation.Address{}) {
		out.ShipTo = &Address{
			Name: a.Name, Company: a.Company, Street1: a.Street1, Street2: a.Street2,
			City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country, Phone: a.Phone,
		}
	}
	if err := out.Validate(); err != nil {
		return Order{}, err
	}
	return out, nil
}

// times returns m × n exactly (no float rounding).
func (m Money) times(n int) Money {
	r := new(big.Rat).Mul(m.rat(), new(big.Rat).SetInt64(int64(n)))
	return canonicalDecimal(r.FloatString(max(2, m.decimals())))
}

func shipStationPayment(o shipstation.Order) PaymentStatus {
	switch {
	case !o.PaymentDate.IsZero() || o.AmountPaid > 0:
		return PaymentPaid
	case o.OrderStatus == shipstation.OrderStatusAwaitingPayment:
		return PaymentUnpaid
	}
	return PaymentUnknown
}
