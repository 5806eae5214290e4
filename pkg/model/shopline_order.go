package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// RawStatusDeleted is the RawStatus of an order the provider deleted
// (SHOPLINE orders/delete). Its Status is StatusCancelled: a deleted order
// will not be fulfilled, and the canonical status set stays as it is.
const RawStatusDeleted = "deleted"

// shoplineOrder is the part of a SHOPLINE order webhook body (orders/create,
// updated, edited, paid, fulfilled, partially_fulfilled, cancelled: the
// order itself, not wrapped) that the canonical Order takes. Both shapes are
// read: v20260301 (current_total_price, total_shipping_price_set) and the
// older one (total_price, total_shipping_price). JSON null leaves a field at
// its zero value.
type shoplineOrder struct {
	ID                    flexID            `json:"id"`
	Name                  string            `json:"name"`
	OrderNumber           flexID            `json:"order_number"`
	Email                 string            `json:"email"`
	Currency              string            `json:"currency"`
	FinancialStatus       string            `json:"financial_status"`
	FulfillmentStatus     string            `json:"fulfillment_status"`
	Status                string            `json:"status"`
	CancelledAt           flexTime          `json:"cancelled_at"`
	CreatedAt             flexTime          `json:"created_at"`
	UpdatedAt             flexTime          `json:"updated_at"`
	CurrentTotalPrice     amount            `json:"current_total_price"`
	TotalPrice            amount            `json:"total_price"`
	SubtotalPrice         amount            `json:"subtotal_price"`
	TotalTax              amount            `json:"total_tax"`
	TotalDiscounts        amount            `json:"total_discounts"`
	TotalShippingPrice    amount            `json:"total_shipping_price"`
	TotalShippingPriceSet *shoplineMoneySet `json:"total_shipping_price_set"`
	LineItems             []shoplineItem    `json:"line_items"`
	ShippingAddress       *shoplineAddress  `json:"shipping_address"`
}

// shoplineMoneySet is SHOPLINE's amount in two currencies; the shop's is
// the order's currency.
type shoplineMoneySet struct {
	ShopMoney struct {
		Amount amount `json:"amount"`
	} `json:"shop_money"`
}

type shoplineItem struct {
	SKU      string  `json:"sku"`
	Name     string  `json:"name"`
	Title    string  `json:"title"`
	Quantity flexInt `json:"quantity"`
	Price    amount  `json:"price"`
}

type shoplineAddress struct {
	Name         string `json:"name"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Company      string `json:"company"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	District     string `json:"district"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"province_code"`
	Zip          string `json:"zip"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone"`
}

// FromShoplineOrder normalises a SHOPLINE order webhook body (every orders/*
// topic but orders/delete, see FromShoplineOrderDeletion) into an Order.
// shop is the shop id (the webhook's X-Shopline-Shop-Id).
//
// The mapping, beyond the obvious:
//
//   - ID "shopline:<id>" (SHOPLINE's 26-digit id, kept as a string), Store
//     the shop id, Number name ("#1001"), else order_number;
//   - Currency the shop currency, currency (the amounts below are in it);
//   - Totals: Total current_total_price, else total_price (an order with
//     neither is refused); Subtotal subtotal_price (else the sum of the
//     items); Tax total_tax; Shipping total_shipping_price_set.shop_money,
//     else total_shipping_price; Discount total_discounts; Paid Total when
//     the payment status is paid, partially_refunded or refunded; Refunded
//     Total when it is refunded (the body has no refunded amount), else
//     "0.00"; amounts the order lacks are "0.00";
//   - PaymentStatus per ShoplinePaymentStatus(financial_status), Status per
//     ShoplineStatus (status, cancelled_at, fulfillment_status and the payment
//     status), RawStatus status ("open", "cancelled");
//   - Items: SKU sku, Name name (else title), UnitPrice price;
//   - ShipTo from shipping_address: State province_code (else province),
//     Country country_code, district appended to Street2;
//   - UpdatedAt updated_at (required), CreatedAt created_at (else
//     UpdatedAt); Tiebreak "0#" and a hash of the body, so that a deletion
//     ("1#…") wins a tie.
//
// Every error wraps ErrInvalid.
func FromShoplineOrder(body []byte, shop string) (Order, error) {
	var c shoplineOrder
	if err := decodeObject(body, &c); err != nil {
		return Order{}, fmt.Errorf("%w: shopline order body: %w", ErrInvalid, err)
	}
	return c.order(body, shop)
}

func (c shoplineOrder) order(body []byte, shop string) (Order, error) {
	id := string(c.ID)
	if !externalIDPattern.MatchString(id) {
		return Order{}, fmt.Errorf("%w: shopline order id %q is not [A-Za-z0-9_-]{1,128}", ErrInvalid, id)
	}
	if c.UpdatedAt.IsZero() {
		return Order{}, fmt.Errorf("%w: shopline order %s has no updated_at", ErrInvalid, id)
	}
	total, ok := c.CurrentTotalPrice.get()
	if !ok {
		total, ok = c.TotalPrice.get()
	}
	if !ok {
		return Order{}, fmt.Errorf("%w: shopline order %s has no current_total_price or total_price", ErrInvalid, id)
	}
	o := Order{
		ID:               OrderID(ProviderShopline, id),
		Provider:         ProviderShopline,
		Store:            shop,
		Number:           firstNonEmpty(strings.TrimSpace(c.Name), string(c.OrderNumber)),
		RawStatus:        c.Status,
		PaymentStatus:    ShoplinePaymentStatus(c.FinancialStatus),
		RawPaymentStatus: c.FinancialStatus,
		CustomerEmail:    strings.TrimSpace(c.Email),
		Currency:         strings.ToUpper(strings.TrimSpace(c.Currency)),
		Items:            make([]Item, 0, len(c.LineItems)),
		UpdatedAt:        c.UpdatedAt.utc(),
		Tiebreak:         shoplineTiebreak(false, body),
	}
	if o.Currency != "" && !currencyPattern.MatchString(o.Currency) {
		return Order{}, fmt.Errorf("%w: shopline order %s: currency %q is not an ISO 4217 code", ErrInvalid, id, c.Currency)
	}
	cancelled := !c.CancelledAt.IsZero()
	o.Status = ShoplineStatus(c.Status, cancelled, c.FulfillmentStatus, o.PaymentStatus)
	o.CreatedAt = firstTime(c.CreatedAt.utc(), o.UpdatedAt)

	lines := make([]Money, 0, len(c.LineItems))
	for _, it := range c.LineItems {
		price := it.Price.or(ZeroMoney)
		o.Items = append(o.Items, Item{
			SKU:       strings.TrimSpace(it.SKU),
			Name:      firstNonEmpty(strings.TrimSpace(it.Name), strings.TrimSpace(it.Title)),
			Quantity:  int(it.Quantity),
			UnitPrice: price,
		})
		lines = append(lines, price.times(int(it.Quantity)))
	}
	shipping := c.TotalShippingPrice.or(ZeroMoney)
	if c.TotalShippingPriceSet != nil {
		shipping = c.TotalShippingPriceSet.ShopMoney.Amount.or(shipping)
	}
	o.Totals = Totals{
		Subtotal: c.SubtotalPrice.or(sumMoney(lines...)),
		Tax:      c.TotalTax.or(ZeroMoney),
		Shipping: shipping,
		Discount: c.TotalDiscounts.or(ZeroMoney),
		Total:    total,
		Paid:     ZeroMoney,
		Refunded: ZeroMoney,
	}
	switch o.PaymentStatus {
	case PaymentPaid, PaymentPartiallyRefunded:
		o.Totals.Paid = total
	case PaymentRefunded:
		o.Totals.Paid, o.Totals.Refunded = total, total
	}
	if a := c.ShippingAddress; a != nil {
		addr, err := a.address()
		if err != nil {
			return Order{}, fmt.Errorf("%w: shopline order %s: shipping_address: %w", ErrInvalid, id, err)
		}
		if addr != (Address{}) {
			o.ShipTo = &addr
		}
	}
	if err := o.Validate(); err != nil {
		return Order{}, err
	}
	return o, nil
}

func (a shoplineAddress) address() (Address, error) {
	name := strings.TrimSpace(a.Name)
	if name == "" {
		name = strings.TrimSpace(strings.TrimSpace(a.FirstName) + " " + strings.TrimSpace(a.LastName))
	}
	country := strings.ToUpper(strings.TrimSpace(a.CountryCode))
	if country != "" && !countryPattern.MatchString(country) {
		return Address{}, fmt.Errorf("country_code %q is not an ISO 3166-1 alpha-2 code", a.CountryCode)
	}
	street2 := strings.TrimSpace(a.Address2)
	if d := strings.TrimSpace(a.District); d != "" {
		street2 = strings.TrimPrefix(street2+", "+d, ", ")
	}
	return Address{
		Name:       name,
		Company:    strings.TrimSpace(a.Company),
		Street1:    strings.TrimSpace(a.Address1),
		Street2:    street2,
		City:       strings.TrimSpace(a.City),
		State:      firstNonEmpty(strings.TrimSpace(a.ProvinceCode), strings.TrimSpace(a.Province)),
		PostalCode: strings.TrimSpace(a.Zip),
		Country:    country,
		Phone:      strings.TrimSpace(a.Phone),
	}, nil
}

// shoplineTiebreak ranks a deletion above any other state with the same
// updated_at, then a hash of the body: stable for a redelivery, different
// for different bodies.
func shoplineTiebreak(deleted bool, body []byte) string {
	sum := sha256.Sum256(body)
	return shipmentRank(deleted) + "#" + hex.EncodeToString(sum[:8])
}

// Deleted reports whether the provider deleted the order (RawStatus
// "deleted"). A deleted order stays deleted: no later state replaces it.
func (o Order) Deleted() bool { return o.Status == StatusCancelled && o.RawStatus == RawStatusDeleted }

// ShoplineOrderDeletion is what a SHOPLINE orders/delete webhook says: which
// order is gone and when, and the order itself when the body carries it
// (SHOPLINE may send only the id). Apply turns it into the order's last
// state.
type ShoplineOrderDeletion struct {
	// OrderID is the canonical id, "shopline:<id>".
	OrderID string
	// Store is the shop id.
	Store string
	// At is the body's updated_at, else the webhook's time.
	At time.Time
	// Order is the body normalised by FromShoplineOrder, nil when the body
	// carries no updated_at (only the id).
	Order *Order

	tiebreak string
}

// FromShoplineOrderDeletion reads an orders/delete body. A body that carries
// the order (an updated_at) is normalised as FromShoplineOrder does; one
// that carries only the id needs eventTime (the webhook's time, the
// gateway's receipt when the body has none). Every error wraps ErrInvalid.
func FromShoplineOrderDeletion(body []byte, shop string, eventTime time.Time) (ShoplineOrderDeletion, error) {
	var c shoplineOrder
	if err := decodeObject(body, &c); err != nil {
		return ShoplineOrderDeletion{}, fmt.Errorf("%w: shopline order deletion body: %w", ErrInvalid, err)
	}
	id := string(c.ID)
	if !externalIDPattern.MatchString(id) {
		return ShoplineOrderDeletion{}, fmt.Errorf("%w: shopline order id %q is not [A-Za-z0-9_-]{1,128}", ErrInvalid, id)
	}
	d := ShoplineOrderDeletion{
		OrderID:  OrderID(ProviderShopline, id),
		Store:    shop,
		At:       firstTime(eventTime),
		tiebreak: shoplineTiebreak(true, body),
	}
	if !c.UpdatedAt.IsZero() {
		o, err := c.order(body, shop)
		if err != nil {
			return ShoplineOrderDeletion{}, err
		}
		d.Order, d.At = &o, o.UpdatedAt
	}
	if d.At.IsZero() {
		return ShoplineOrderDeletion{}, fmt.Errorf("%w: shopline order deletion of %s: no updated_at and no event time", ErrInvalid, id)
	}
	return d, nil
}

// Apply returns the order's state after the deletion, given the stored
// state (nil: none), and whether that is a change. The state is the newer
// of the stored order and the one the body carries (or, with neither, an
// order that has only its id, store and times), with Status cancelled,
// RawStatus "deleted", UpdatedAt the later of its own and the deletion's
// time and a tie-break that ranks above every state that is not deleted,
// so it is always newer than the stored one. An order already deleted is
// not changed.
func (d ShoplineOrderDeletion) Apply(stored *Order) (Order, bool) {
	if stored != nil && stored.Deleted() {
		return *stored, false
	}
	var out Order
	switch {
	case d.Order != nil && (stored == nil || d.Order.Version().After(stored.Version())):
		out = *d.Order
	case stored != nil:
		out = *stored
	default:
		out = Order{
			ID: d.OrderID, Provider: ProviderShopline, Store: d.Store,
			PaymentStatus: PaymentUnknown, Items: []Item{},
			Totals: Totals{
				Subtotal: ZeroMoney, Tax: ZeroMoney, Shipping: ZeroMoney, Discount: ZeroMoney,
				Total: ZeroMoney, Paid: ZeroMoney, Refunded: ZeroMoney,
			},
			CreatedAt: d.At, UpdatedAt: d.At,
		}
	}
	out.Status, out.RawStatus = StatusCancelled, RawStatusDeleted
	if d.At.After(out.UpdatedAt) {
		out.UpdatedAt = d.At.UTC()
	}
	out.Tiebreak = d.tiebreak
	return out, true
}

// flexTime decodes an RFC 3339 time; null, absent and "" are the zero time
// (SHOPLINE writes null for a time that has not happened, and lenient
// parsing costs nothing here).
type flexTime time.Time

func (f *flexTime) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time %s is not a string", b)
	}
	if s == nil || strings.TrimSpace(*s) == "" {
		*f = flexTime{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(*s))
	if err != nil {
		return fmt.Errorf("time %q is not RFC 3339", *s)
	}
	*f = flexTime(t)
	return nil
}

// IsZero reports whether the time was null, absent or "".
func (f flexTime) IsZero() bool { return time.Time(f).IsZero() }

// utc returns the time in UTC (the zero time stays zero).
func (f flexTime) utc() time.Time { return firstTime(time.Time(f)) }
