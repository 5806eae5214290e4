package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// snipcartOrder is the part of a Snipcart order (the content of
// order.completed, order.status.changed, order.paymentStatus.changed and
// order.trackingNumber.changed) that the canonical Order takes. JSON null
// leaves a field at its zero value.
type snipcartOrder struct {
	Token            string           `json:"token"`
	InvoiceNumber    string           `json:"invoiceNumber"`
	Email            string           `json:"email"`
	Status           string           `json:"status"`
	PaymentStatus    string           `json:"paymentStatus"`
	Currency         string           `json:"currency"`
	CreationDate     time.Time        `json:"creationDate"`
	ModificationDate time.Time        `json:"modificationDate"`
	CompletionDate   time.Time        `json:"completionDate"`
	Items            []snipcartItem   `json:"items"`
	ShippingAddress  *snipcartAddress `json:"shippingAddress"`
	ItemsTotal       amount           `json:"itemsTotal"`
	TaxesTotal       amount           `json:"taxesTotal"`
	ShippingFees     amount           `json:"shippingFees"`
	RebateAmount     amount           `json:"rebateAmount"`
	FinalGrandTotal  amount           `json:"finalGrandTotal"`
	GrandTotal       amount           `json:"grandTotal"`
	Total            amount           `json:"total"`
	RefundsAmount    amount           `json:"refundsAmount"`
}

type snipcartItem struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
	// Price is the base price; UnitPrice includes custom-field price
	// changes ("Option 2[+10.00]") and is what the customer pays per unit.
	Price     amount `json:"price"`
	UnitPrice amount `json:"unitPrice"`
}

type snipcartAddress struct {
	FullName   string `json:"fullName"`
	FirstName  string `json:"firstName"`
	Name       string `json:"name"` // the family name, despite the key
	Company    string `json:"company"`
	Address1   string `json:"address1"`
	Address2   string `json:"address2"`
	City       string `json:"city"`
	Province   string `json:"province"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
	Phone      string `json:"phone"`
}

// FromSnipcartOrder normalises the content of a Snipcart order event
// (order.completed, order.status.changed, order.paymentStatus.changed,
// order.trackingNumber.changed: each carries the whole order) into an
// Order. mode is the webhook's mode, "Live" or "Test" in any case; eventTime
// is its createdOn.
//
// The mapping, beyond the obvious:
//
//   - ID "snipcart:<token>", Store "live"/"test", Number invoiceNumber;
//   - Currency upper-cased ("cad" → "CAD");
//   - Totals: Subtotal itemsTotal (else the sum of the items), Tax
//     taxesTotal, Shipping shippingFees, Discount rebateAmount, Total
//     finalGrandTotal (else grandTotal, else total; an order with none is
//     refused), Refunded refundsAmount, Paid Total when the payment status
//     is paid, partially_refunded or refunded, else 0; amounts the order
//     lacks are "0.00";
//   - PaymentStatus per SnipcartPaymentStatus, then partially_refunded or
//     refunded when a paid order has refundsAmount > 0;
//   - Items: SKU is the item id, UnitPrice unitPrice (else price);
//   - ShipTo from shippingAddress (Name fullName, else first and family
//     name; State province), absent when shippingAddress is null or empty;
//   - UpdatedAt modificationDate, else eventTime; CreatedAt creationDate,
//     else completionDate, else UpdatedAt;
//   - Tiebreak: eventTime (fixed width, so later webhooks win a tie of
//     modificationDate, which has whole seconds) then a hash of content.
//
// Refunds and notifications come from their own events (SnipcartRefund,
// SnipcartNotification); the order's own refunds array is not read, since
// its entries could not be matched with those events. Every error wraps
// ErrInvalid.
func FromSnipcartOrder(content json.RawMessage, mode string, eventTime time.Time) (Order, error) {
	var c snipcartOrder
	if err := decodeObject(content, &c); err != nil {
		return Order{}, fmt.Errorf("%w: snipcart order content: %w", ErrInvalid, err)
	}
	if !externalIDPattern.MatchString(c.Token) {
		return Order{}, fmt.Errorf("%w: snipcart order token %q is not [A-Za-z0-9_-]{1,128}", ErrInvalid, c.Token)
	}
	store, err := snipcartStore(mode)
	if err != nil {
		return Order{}, err
	}
	o := Order{
		ID:               OrderID(ProviderSnipcart, c.Token),
		Provider:         ProviderSnipcart,
		Store:            store,
		Number:           c.InvoiceNumber,
		Status:           SnipcartStatus(c.Status),
		RawStatus:        c.Status,
		RawPaymentStatus: c.PaymentStatus,
		CustomerEmail:    strings.TrimSpace(c.Email),
		Currency:         strings.ToUpper(strings.TrimSpace(c.Currency)),
		Items:            make([]Item, 0, len(c.Items)),
		Tiebreak:         snipcartTiebreak(content, eventTime),
	}
	if o.Currency != "" && !currencyPattern.MatchString(o.Currency) {
		return Order{}, fmt.Errorf("%w: snipcart order %s: currency %q is not an ISO 4217 code", ErrInvalid, c.Token, c.Currency)
	}

	itemsSum := new(big.Rat)
	digits := 2
	for i, it := range c.Items {
		if it.Quantity < 0 {
			return Order{}, fmt.Errorf("%w: snipcart order %s: items[%d] has quantity %d", ErrInvalid, c.Token, i, it.Quantity)
		}
		price := it.UnitPrice.or(it.Price.or(ZeroMoney))
		o.Items = append(o.Items, Item{SKU: it.ID, Name: it.Name, Quantity: it.Quantity, UnitPrice: price})
		line := price.rat()
		itemsSum.Add(itemsSum, line.Mul(line, big.NewRat(int64(it.Quantity), 1)))
		digits = max(digits, price.decimals())
	}

	total, ok := c.FinalGrandTotal.get()
	if !ok {
		total, ok = c.GrandTotal.get()
	}
	if !ok {
		total, ok = c.Total.get()
	}
	if !ok {
		return Order{}, fmt.Errorf("%w: snipcart order %s has no finalGrandTotal, grandTotal or total", ErrInvalid, c.Token)
	}
	o.Totals = Totals{
		Subtotal: c.ItemsTotal.or(canonicalDecimal(itemsSum.FloatString(digits))),
		Tax:      c.TaxesTotal.or(ZeroMoney),
		Shipping: c.ShippingFees.or(ZeroMoney),
		Discount: c.RebateAmount.or(ZeroMoney),
		Total:    total,
		Paid:     ZeroMoney,
		Refunded: c.RefundsAmount.or(ZeroMoney),
	}
	o.PaymentStatus = refundedStatus(SnipcartPaymentStatus(c.PaymentStatus), o.Totals.Refunded, total)
	switch o.PaymentStatus {
	case PaymentPaid, PaymentPartiallyRefunded, PaymentRefunded:
		o.Totals.Paid = total
	}

	if c.ShippingAddress != nil {
		a, err := c.ShippingAddress.address()
		if err != nil {
			return Order{}, fmt.Errorf("%w: snipcart order %s: shippingAddress: %w", ErrInvalid, c.Token, err)
		}
		if a != (Address{}) {
			o.ShipTo = &a
		}
	}

	o.UpdatedAt = firstTime(c.ModificationDate, eventTime)
	if o.UpdatedAt.IsZero() {
		return Order{}, fmt.Errorf("%w: snipcart order %s: no modificationDate and no event time", ErrInvalid, c.Token)
	}
	o.CreatedAt = firstTime(c.CreationDate, c.CompletionDate, o.UpdatedAt)
	return o, nil
}

func (a snipcartAddress) address() (Address, error) {
	name := strings.TrimSpace(a.FullName)
	if name == "" {
		name = strings.TrimSpace(strings.TrimSpace(a.FirstName) + " " + strings.TrimSpace(a.Name))
	}
	country := strings.ToUpper(strings.TrimSpace(a.Country))
	if country != "" && !countryPattern.MatchString(country) {
		return Address{}, fmt.Errorf("country %q is not an ISO 3166-1 alpha-2 code", a.Country)
	}
	return Address{
		Name:       name,
		Company:    strings.TrimSpace(a.Company),
		Street1:    strings.TrimSpace(a.Address1),
		Street2:    strings.TrimSpace(a.Address2),
		City:       strings.TrimSpace(a.City),
		State:      strings.TrimSpace(a.Province),
		PostalCode: strings.TrimSpace(a.PostalCode),
		Country:    country,
		Phone:      strings.TrimSpace(a.Phone),
	}, nil
}

// SnipcartRefund reads the content of an order.refund.created event
// ({orderToken, amount, comment, notifiedCustomerByEmail, currency}) and
// returns the id of the order it belongs to and the Refund to apply to it.
// The refund's time is eventTime (the webhook's createdOn: the content has
// none), which also tells two equal refunds of one order apart. amount may
// be a JSON number or a decimal string and must not be negative. Every
// error wraps ErrInvalid.
func SnipcartRefund(content json.RawMessage, eventTime time.Time) (orderID string, r Refund, err error) {
	var c struct {
		OrderToken string `json:"orderToken"`
		Amount     amount `json:"amount"`
		Comment    string `json:"comment"`
	}
	if err := decodeObject(content, &c); err != nil {
		return "", Refund{}, fmt.Errorf("%w: snipcart refund content: %w", ErrInvalid, err)
	}
	if !externalIDPattern.MatchString(c.OrderToken) {
		return "", Refund{}, fmt.Errorf("%w: snipcart refund orderToken %q is not [A-Za-z0-9_-]{1,128}", ErrInvalid, c.OrderToken)
	}
	amt, ok := c.Amount.get()
	if !ok || cmpMoney(amt, "0") < 0 {
		return "", Refund{}, fmt.Errorf("%w: snipcart refund of %s: amount is missing or negative", ErrInvalid, c.OrderToken)
	}
	if eventTime.IsZero() {
		return "", Refund{}, fmt.Errorf("%w: snipcart refund of %s: no event time", ErrInvalid, c.OrderToken)
	}
	return OrderID(ProviderSnipcart, c.OrderToken), Refund{
		Amount:    amt,
		Comment:   c.Comment,
		CreatedAt: eventTime.UTC(),
	}, nil
}

// SnipcartNotification reads the content of an order.notification.created
// event ({orderToken, notificationType, sentByEmail, sentByEmailOn,
// subject, body, message}) and returns the id of the order it belongs to
// and the Notification to apply to it. SentAt is sentByEmailOn, or
// eventTime (the webhook's createdOn) for a notification that was not
// e-mailed. The body and message are not kept: they are customer-facing
// HTML, not order state. Every error wraps ErrInvalid.
func SnipcartNotification(content json.RawMessage, eventTime time.Time) (orderID string, n Notification, err error) {
	var c struct {
		OrderToken       string    `json:"orderToken"`
		NotificationType string    `json:"notificationType"`
		Subject          string    `json:"subject"`
		SentByEmailOn    time.Time `json:"sentByEmailOn"`
	}
	if err := decodeObject(content, &c); err != nil {
		return "", Notification{}, fmt.Errorf("%w: snipcart notification content: %w", ErrInvalid, err)
	}
	if !externalIDPattern.MatchString(c.OrderToken) {
		return "", Notification{}, fmt.Errorf("%w: snipcart notification orderToken %q is not [A-Za-z0-9_-]{1,128}", ErrInvalid, c.OrderToken)
	}
	if strings.TrimSpace(c.NotificationType) == "" {
		return "", Notification{}, fmt.Errorf("%w: snipcart notification of %s has no notificationType", ErrInvalid, c.OrderToken)
	}
	sent := firstTime(c.SentByEmailOn, eventTime)
	if sent.IsZero() {
		return "", Notification{}, fmt.Errorf("%w: snipcart notification of %s: no sentByEmailOn and no event time", ErrInvalid, c.OrderToken)
	}
	return OrderID(ProviderSnipcart, c.OrderToken), Notification{
		Type:    strings.TrimSpace(c.NotificationType),
		Subject: c.Subject,
		SentAt:  sent,
	}, nil
}

// snipcartStore maps the webhook's mode to Order.Store.
func snipcartStore(mode string) (string, error) {
	switch m := strings.ToLower(strings.TrimSpace(mode)); m {
	case SnipcartLive, SnipcartTest:
		return m, nil
	default:
		return "", fmt.Errorf("%w: snipcart mode %q is not Live or Test", ErrInvalid, mode)
	}
}

// snipcartTiebreak is the event time, fixed width, then 16 hex digits of
// the content's SHA-256: stable for a redelivery, later for a later
// webhook, and different for different content sent at the same instant.
func snipcartTiebreak(content json.RawMessage, eventTime time.Time) string {
	sum := sha256.Sum256(content)
	return eventTime.UTC().Format(fixedTime) + "#" + hex.EncodeToString(sum[:8])
}

// firstTime returns the first non-zero time, in UTC, or the zero time.
func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Time{}
}

var errNotObject = errors.New("not a JSON object")

// decodeObject unmarshals a JSON object into v; json.Unmarshal alone would
// take null (or nothing) as an empty object.
func decodeObject(data []byte, v any) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errNotObject
	}
	return json.Unmarshal(data, v)
}

// amount decodes a provider amount sent as a JSON number, a decimal string
// or null (not set).
type amount struct {
	m   Money
	set bool
}

func (a *amount) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*a = amount{}
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	m, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*a = amount{m: m, set: true}
	return nil
}

func (a amount) get() (Money, bool) { return a.m, a.set }

// or returns the amount, or def when it was not set.
func (a amount) or(def Money) Money {
	if a.set {
		return a.m
	}
	return def
}
