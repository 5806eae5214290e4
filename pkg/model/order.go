// Package model holds hookstream's canonical records and the rules that turn
// provider payloads into them. An [Order] is what order-enricher publishes
// on orders.<provider>.upserted and keeps in the orders KV bucket, the same
// shape whichever provider the order came from; its JSON form is described
// by schemas/canonical/order.schema.json.
//
// Normalisers (FromSnipcartOrder, FromShipStation, FromShoplineOrder)
// return orders that pass [Order.Validate]; errors they return for bad input
// wrap [ErrInvalid], which a consumer treats as permanent.
//
// # Money
//
// Amounts are [Money], a decimal string such as "12.50", never a float64:
// a float cannot hold most cent values exactly, and a consumer in another
// language would see 29.749999999999996 where the provider said 29.75.
// Amounts are taken from the provider's JSON number text unchanged where it
// is plain decimal; a number with an exponent goes through
// strconv.FormatFloat(v, 'f', -1, 64), whose shortest round-trip form is the
// provider's decimal for any amount of up to 15 significant digits. The
// canonical form has at least two decimals and no trailing zero after
// them: "330.00", "29.75", "0.125".
//
// # Ordering and idempotency
//
// An order's [Version] is its provider modification time plus a stable
// tie-break string; [Version.After] says whether an incoming order replaces
// the stored one. Refunds and notifications are not versioned: they form
// sets that [Order.ApplyRefund] and [Order.ApplyNotification] add to
// idempotently and in any order, so the order carries them across upserts
// with [Order.MergeAttachments]. [Order.Fingerprint] names a whole state, for
// a Nats-Msg-Id that changes when a refund is attached even though the
// version does not.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Providers, as in pkg/catalog (this package imports only the standard
// library; a test checks the names agree).
const (
	ProviderShipStation = "shipstation"
	ProviderSnipcart    = "snipcart"
	ProviderShopline    = "shopline"
)

// Snipcart stores: the account's environment, from the webhook's mode.
const (
	SnipcartLive = "live"
	SnipcartTest = "test"
)

// ErrInvalid is wrapped by every error of Validate and of the normalisers
// for input that cannot become a valid order: retrying will not help.
var ErrInvalid = errors.New("model: invalid")

// Order is the canonical order every provider's order becomes.
type Order struct {
	// ID is "<provider>:<external id>": "shipstation:123456789" (orderId),
	// "snipcart:<order token>", "shopline:<order id>". The external id is 1 to 128 characters
	// from [A-Za-z0-9_-], so [Order.Key] is a valid KV key and subject token.
	ID string `json:"id"`
	// Provider is one of the Provider constants.
	Provider string `json:"provider"`
	// Account is the named account the order belongs to (see
	// docs/accounts.md), which is also in its id:
	// "shipstation:east:123456789". Absent for the default account.
	Account string `json:"account,omitempty"`
	// Store is the account the order belongs to: the ShipStation storeId
	// in decimal, "live" or "test" for Snipcart, the SHOPLINE shop id.
	Store string `json:"store"`
	// Number is the order number people see: ShipStation orderNumber,
	// Snipcart invoiceNumber, SHOPLINE name.
	Number string `json:"number"`
	// Status is the normalised order status; RawStatus is the provider's
	// ("deleted" for an order the provider deleted, see Order.Deleted).
	Status    Status `json:"status"`
	RawStatus string `json:"raw_status"`
	// PaymentStatus is the normalised payment status; RawPaymentStatus is
	// the provider's, empty when the provider has none (ShipStation).
	PaymentStatus    PaymentStatus `json:"payment_status"`
	RawPaymentStatus string        `json:"raw_payment_status"`
	CustomerEmail    string        `json:"customer_email"`
	// Currency is the ISO 4217 code in upper case, or empty when the
	// provider does not say.
	Currency string `json:"currency"`
	Totals   Totals `json:"totals"`
	// Items is never null in JSON: an order without items has [].
	Items []Item `json:"items"`
	// ShipTo is absent for an order with nothing to ship.
	ShipTo *Address `json:"ship_to,omitempty"`
	// CreatedAt and UpdatedAt are UTC. UpdatedAt is the provider's
	// modification time, the first half of the order's Version.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Tiebreak orders two versions with the same UpdatedAt; see Version.
	Tiebreak string `json:"tiebreak"`
	// Refunds and Notifications are attached by their own events, sorted
	// by time; see ApplyRefund and ApplyNotification.
	Refunds       []Refund       `json:"refunds,omitempty"`
	Notifications []Notification `json:"notifications,omitempty"`
}

// Totals are the order's amounts, all in Order.Currency. Every field is set
// ("0.00" when the provider reports nothing), and for a provider that
// charges tax on top: Total = Subtotal - Discount + Shipping + Tax.
type Totals struct {
	// Subtotal is the sum of the items, before order discounts, tax and
	// shipping.
	Subtotal Money `json:"subtotal"`
	Tax      Money `json:"tax"`
	Shipping Money `json:"shipping"`
	// Discount is the order-level discount, a positive amount.
	Discount Money `json:"discount"`
	// Total is what the customer is charged.
	Total Money `json:"total"`
	// Paid is what the customer has paid, refunds not deducted.
	Paid Money `json:"paid"`
	// Refunded is what has been refunded: the provider's figure or the sum
	// of Order.Refunds, whichever is larger.
	Refunded Money `json:"refunded"`
}

// Item is one order line.
type Item struct {
	// SKU is the merchant's product id (ShipStation sku, Snipcart item id).
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unit_price"`
}

// Address is a postal address. Fields the provider leaves out are empty.
type Address struct {
	Name       string `json:"name"`
	Company    string `json:"company"`
	Street1    string `json:"street1"`
	Street2    string `json:"street2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
	// Country is the ISO 3166-1 alpha-2 code, upper case, or empty.
	Country string `json:"country"`
	Phone   string `json:"phone"`
}

// Refund is money given back on an order. A refund is identified by all
// three fields together: the same refund delivered twice is attached once.
type Refund struct {
	Amount  Money  `json:"amount"`
	Comment string `json:"comment"`
	// CreatedAt is when the provider reported the refund (for Snipcart the
	// webhook's createdOn), UTC.
	CreatedAt time.Time `json:"created_at"`
}

// Notification is a message the merchant attached to an order or sent to
// the customer (Snipcart order.notification.created). A notification is
// identified by all three fields together.
type Notification struct {
	// Type is the provider's notification type, verbatim: Comment,
	// Invoice, TrackingNumber, OrderShipped, ...
	Type    string `json:"type"`
	Subject string `json:"subject"`
	// SentAt is when it was e-mailed, or when it was created if it was not,
	// UTC.
	SentAt time.Time `json:"sent_at"`
}

// OrderID returns the canonical id of a provider's order.
func OrderID(provider, externalID string) string { return provider + ":" + externalID }

var externalIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Key returns the order's key in the orders KV bucket:
// "<provider>.<external id>", "<provider>.<account>.<external id>" for a
// named account. KV keys cannot contain ':', hence not the ID.
func (o Order) Key() string {
	return strings.ReplaceAll(o.ID, ":", ".")
}

// MarshalJSON writes the order with times in UTC and Items as [] when
// empty, so that equal orders always have equal JSON (see Fingerprint).
func (o Order) MarshalJSON() ([]byte, error) {
	type plain Order // without the method, to avoid recursion
	p := plain(o)
	if p.Items == nil {
		p.Items = []Item{}
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	p.Refunds = slices.Clone(p.Refunds)
	for i := range p.Refunds {
		p.Refunds[i].CreatedAt = p.Refunds[i].CreatedAt.UTC()
	}
	p.Notifications = slices.Clone(p.Notifications)
	for i := range p.Notifications {
		p.Notifications[i].SentAt = p.Notifications[i].SentAt.UTC()
	}
	return json.Marshal(p)
}

// Fingerprint returns a hash of the order's whole JSON form: equal for
// equal states, different as soon as anything changes, attachments
// included. Use it in the Nats-Msg-Id of the published order
// (ID + "@" + Fingerprint), so that a redelivery publishes under the same
// id and is de-duplicated, while attaching a refund, which leaves Version
// unchanged, is not mistaken for a duplicate.
func (o Order) Fingerprint() (string, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("model: fingerprint of %s: %w", o.ID, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

// ContentFingerprint returns a hash of what a subscriber sees of the order:
// its JSON form without UpdatedAt and Tiebreak, which change with every
// version. A newer version with the same content fingerprint publishes no
// event (the state is still stored).
func (o Order) ContentFingerprint() (string, error) {
	o.UpdatedAt, o.Tiebreak = time.Time{}, ""
	return o.Fingerprint()
}

// Validate checks the order against the rules of the canonical schema: id
// "<provider>:<external id>" with a known provider, statuses from their
// enums, currency of three upper-case letters or empty, well-formed amounts,
// set times. The error wraps ErrInvalid and lists every problem found.
func (o Order) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if !knownProvider(o.Provider) {
		bad("unknown provider %q", o.Provider)
	}
	checkAccount(bad, o.Account, o.ID)
	id, _ := defaultAccountID(o.ID, o.Account)
	if prov, ext, ok := strings.Cut(id, ":"); !ok || prov != o.Provider || !externalIDPattern.MatchString(ext) {
		bad("id %q is not %q + \":\" + [A-Za-z0-9_-]{1,128}", o.ID, o.Provider)
	}
	if o.Provider == ProviderSnipcart && o.Store != SnipcartLive && o.Store != SnipcartTest {
		bad("snipcart store %q is not %q or %q", o.Store, SnipcartLive, SnipcartTest)
	}
	if !o.Status.Valid() {
		bad("status %q is not one of %v", o.Status, Statuses())
	}
	if !o.PaymentStatus.Valid() {
		bad("payment_status %q is not one of %v", o.PaymentStatus, PaymentStatuses())
	}
	if o.Currency != "" && !currencyPattern.MatchString(o.Currency) {
		bad("currency %q is not three upper-case letters", o.Currency)
	}
	for _, f := range []struct {
		name string
		m    Money
	}{
		{"subtotal", o.Totals.Subtotal}, {"tax", o.Totals.Tax}, {"shipping", o.Totals.Shipping},
		{"discount", o.Totals.Discount}, {"total", o.Totals.Total}, {"paid", o.Totals.Paid},
		{"refunded", o.Totals.Refunded},
	} {
		if !f.m.Valid() {
			bad("totals.%s %q is not a decimal amount", f.name, f.m)
		}
	}
	for i, it := range o.Items {
		if it.Quantity < 0 {
			bad("items[%d].quantity %d is negative", i, it.Quantity)
		}
		if !it.UnitPrice.Valid() {
			bad("items[%d].unit_price %q is not a decimal amount", i, it.UnitPrice)
		}
	}
	if o.ShipTo != nil && o.ShipTo.Country != "" && !countryPattern.MatchString(o.ShipTo.Country) {
		bad("ship_to.country %q is not an upper-case ISO alpha-2 code", o.ShipTo.Country)
	}
	checkTime := func(name string, t time.Time) {
		if t.IsZero() || t.Year() > 9999 {
			bad("%s is not set", name)
		}
	}
	checkTime("created_at", o.CreatedAt)
	checkTime("updated_at", o.UpdatedAt)
	for i, r := range o.Refunds {
		if !r.Amount.Valid() {
			bad("refunds[%d].amount %q is not a decimal amount", i, r.Amount)
		}
		checkTime(fmt.Sprintf("refunds[%d].created_at", i), r.CreatedAt)
	}
	for i, n := range o.Notifications {
		if n.Type == "" {
			bad("notifications[%d].type is empty", i)
		}
		checkTime(fmt.Sprintf("notifications[%d].sent_at", i), n.SentAt)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: order %q: %s", ErrInvalid, o.ID, strings.Join(problems, "; "))
	}
	return nil
}

var (
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	countryPattern  = regexp.MustCompile(`^[A-Z]{2}$`)
)

func knownProvider(p string) bool {
	return p == ProviderShipStation || p == ProviderSnipcart || p == ProviderShopline
}

// Version orders the states of one order: Time is the provider's
// modification time (Order.UpdatedAt); Tiebreak decides between two states
// with the same Time. A normaliser makes Tiebreak stable (the same input
// always gives the same Tiebreak) and, where it can, later for later input;
// for Snipcart it is the webhook's createdOn, fixed width, then a hash of
// the order content.
type Version struct {
	Time     time.Time
	Tiebreak string
}

// Version returns the order's version: UpdatedAt and Tiebreak.
func (o Order) Version() Version { return Version{Time: o.UpdatedAt, Tiebreak: o.Tiebreak} }

// After reports whether v is newer than w: a later Time wins; with equal
// Times the lexicographically greater Tiebreak wins; equal versions are not
// After each other, so a redelivered state is never applied twice.
func (v Version) After(w Version) bool {
	if !v.Time.Equal(w.Time) {
		return v.Time.After(w.Time)
	}
	return v.Tiebreak > w.Tiebreak
}

// Equal reports whether v and w are the same version: the same provider
// state, which a redelivery or a replay brings again. A replay after a
// normaliser changed may make a different canonical record of it, which
// replaces the stored one (see Replaces).
func (v Version) Equal(w Version) bool { return v.Time.Equal(w.Time) && v.Tiebreak == w.Tiebreak }

// Replaces reports whether a record at version v replaces one stored at
// version w: a newer version, or the same version again (the state path
// then changes nothing unless the record differs, which it does only when
// the normaliser changed: a replay corrects what an older normaliser
// stored).
func (v Version) Replaces(w Version) bool { return v.After(w) || v.Equal(w) }

// String returns the version as "<time, UTC, nanoseconds>/<tiebreak>"; for
// versions with the same Tiebreak, string order is time order.
func (v Version) String() string {
	return v.Time.UTC().Format(fixedTime) + "/" + v.Tiebreak
}

// fixedTime is RFC 3339 in UTC with all nine fractional digits, so that
// formatted times sort as strings in time order.
const fixedTime = "2006-01-02T15:04:05.000000000Z"

// ApplyRefund attaches r to the order unless the same refund (amount,
// comment and time) is already attached, and reports whether it changed the
// order. Refunds stay sorted, so applying refunds in any order gives the
// same Order. Totals.Refunded becomes the larger of its value and the sum of
// the refunds (the provider's figure may already include some of them),
// and a paid order becomes partially_refunded or refunded accordingly.
// Version is unchanged: a refund does not make an older order state newer.
func (o *Order) ApplyRefund(r Refund) bool {
	r.CreatedAt = r.CreatedAt.UTC()
	if c, err := ParseMoney(string(r.Amount)); err == nil {
		r.Amount = c
	}
	if slices.ContainsFunc(o.Refunds, func(x Refund) bool { return refundKey(x) == refundKey(r) }) {
		return false
	}
	o.Refunds = append(o.Refunds, r)
	slices.SortFunc(o.Refunds, func(a, b Refund) int { return strings.Compare(refundKey(a), refundKey(b)) })
	o.settleRefunds()
	return true
}

// refundKey identifies a refund and sorts refunds by time.
func refundKey(r Refund) string {
	return r.CreatedAt.UTC().Format(fixedTime) + "\x00" + string(r.Amount) + "\x00" + r.Comment
}

// settleRefunds brings Totals.Refunded and PaymentStatus in line with the
// attached refunds.
func (o *Order) settleRefunds() {
	amounts := make([]Money, 0, len(o.Refunds))
	for _, r := range o.Refunds {
		amounts = append(amounts, r.Amount)
	}
	if sum := sumMoney(amounts...); cmpMoney(sum, o.Totals.Refunded) > 0 {
		o.Totals.Refunded = sum
	}
	o.PaymentStatus = refundedStatus(o.PaymentStatus, o.Totals.Refunded, o.Totals.Total)
}

// refundedStatus returns the payment status of an order in status s with
// refunded of total given back: a paid order with refunds is
// partially_refunded, or refunded once the whole total is. Other statuses
// are the provider's word and are kept.
func refundedStatus(s PaymentStatus, refunded, total Money) PaymentStatus {
	if s != PaymentPaid && s != PaymentPartiallyRefunded {
		return s
	}
	switch {
	case cmpMoney(refunded, "0") <= 0:
		return s
	case cmpMoney(refunded, total) >= 0:
		return PaymentRefunded
	default:
		return PaymentPartiallyRefunded
	}
}

// ApplyNotification attaches n to the order unless the same notification
// (type, subject and time) is already attached, and reports whether it
// changed the order. Notifications stay sorted by time.
func (o *Order) ApplyNotification(n Notification) bool {
	n.SentAt = n.SentAt.UTC()
	if slices.ContainsFunc(o.Notifications, func(x Notification) bool { return notificationKey(x) == notificationKey(n) }) {
		return false
	}
	o.Notifications = append(o.Notifications, n)
	slices.SortFunc(o.Notifications, func(a, b Notification) int {
		return strings.Compare(notificationKey(a), notificationKey(b))
	})
	return true
}

func notificationKey(n Notification) string {
	return n.SentAt.UTC().Format(fixedTime) + "\x00" + n.Type + "\x00" + n.Subject
}

// MergeAttachments applies the refunds and notifications of prev, an
// earlier state of the same order, to o, and reports whether o changed. A
// normaliser builds an order from the provider's payload alone; call this
// with the stored state before storing a newer one, or the attachments are
// lost. It does nothing when prev is another order.
func (o *Order) MergeAttachments(prev Order) bool {
	if prev.ID != o.ID {
		return false
	}
	changed := false
	for _, r := range prev.Refunds {
		changed = o.ApplyRefund(r) || changed
	}
	for _, n := range prev.Notifications {
		changed = o.ApplyNotification(n) || changed
	}
	return changed
}

// Money is a decimal amount in the order's currency, as a string: "12.50".
// See the package comment for why it is not a float64.
type Money string

// ZeroMoney is the amount a provider did not report.
const ZeroMoney Money = "0.00"

var (
	moneyPattern      = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	jsonNumberPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
)

// ParseMoney returns the canonical Money for a decimal amount: plain
// decimal text ("29.75", "330", "-0.5") is kept digit for digit; JSON number
// text with an exponent ("2.975e1") goes through float64. The canonical form
// has at least two decimals and no trailing zeros after them.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	switch {
	case moneyPattern.MatchString(s):
		return canonicalDecimal(s), nil
	case jsonNumberPattern.MatchString(s):
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return "", fmt.Errorf("%w: amount %q: %v", ErrInvalid, s, err)
		}
		return MoneyFromFloat(f), nil
	default:
		return "", fmt.Errorf("%w: amount %q is not a decimal number", ErrInvalid, s)
	}
}

// MoneyFromFloat returns the canonical Money for a provider amount decoded
// as float64, through its shortest decimal form
// (strconv.FormatFloat(v, 'f', -1, 64)): 29.75 gives "29.75", 330 gives
// "330.00". NaN and infinities, which JSON cannot carry, give "", which
// Validate refuses.
func MoneyFromFloat(v float64) Money {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return canonicalDecimal(strconv.FormatFloat(v, 'f', -1, 64))
}

// Valid reports whether m is a decimal amount ("12.50", "-3", "0.125"):
// what the canonical schema accepts.
func (m Money) Valid() bool { return moneyPattern.MatchString(string(m)) }

// canonicalDecimal normalises text that matches moneyPattern.
func canonicalDecimal(s string) Money {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	if neg && (whole != "0" || strings.Trim(frac, "0") != "") {
		whole = "-" + whole
	}
	return Money(whole + "." + frac)
}

// rat returns m as an exact rational; an invalid m counts as zero.
func (m Money) rat() *big.Rat {
	r := new(big.Rat)
	if m.Valid() {
		r.SetString(string(m))
	}
	return r
}

// decimals returns the number of digits after m's decimal point.
func (m Money) decimals() int {
	if _, frac, ok := strings.Cut(string(m), "."); ok {
		return len(frac)
	}
	return 0
}

// sumMoney adds amounts exactly; invalid ones count as zero.
func sumMoney(ms ...Money) Money {
	sum, digits := new(big.Rat), 2
	for _, m := range ms {
		sum.Add(sum, m.rat())
		digits = max(digits, m.decimals())
	}
	return canonicalDecimal(sum.FloatString(digits))
}

// cmpMoney compares two amounts as numbers; invalid ones count as zero.
func cmpMoney(a, b Money) int { return a.rat().Cmp(b.rat()) }
