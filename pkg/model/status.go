package model

import (
	"slices"
	"strings"
)

// Status is the normalised order status. The set is deliberately small: it
// says what the merchant has to do next, and Order.RawStatus keeps the
// provider's word for anything finer.
type Status string

// Order statuses.
const (
	// StatusPendingPayment: the customer has not paid yet (checkout in
	// progress, awaiting payment).
	StatusPendingPayment Status = "pending_payment"
	// StatusAwaitingFulfillment: paid or accepted, nothing shipped yet.
	StatusAwaitingFulfillment Status = "awaiting_fulfillment"
	// StatusOnHold: the merchant has put the order aside.
	StatusOnHold Status = "on_hold"
	// StatusFulfilled: shipped, dispatched or delivered.
	StatusFulfilled Status = "fulfilled"
	// StatusCancelled: will not be fulfilled.
	StatusCancelled Status = "cancelled"
	// StatusDisputed: the customer disputes the order.
	StatusDisputed Status = "disputed"
	// StatusUnknown: the provider sent a status this table does not know;
	// RawStatus has it.
	StatusUnknown Status = "unknown"
)

// Statuses returns every Status, in the order of the canonical schema's
// enum.
func Statuses() []Status {
	return []Status{
		StatusPendingPayment, StatusAwaitingFulfillment, StatusOnHold, StatusFulfilled,
		StatusCancelled, StatusDisputed, StatusUnknown,
	}
}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses(), s) }

// PaymentStatus is the normalised payment status; Order.RawPaymentStatus
// keeps the provider's.
type PaymentStatus string

// Payment statuses.
const (
	// PaymentUnpaid: nothing paid or authorised yet.
	PaymentUnpaid PaymentStatus = "unpaid"
	// PaymentAuthorized: the money is reserved, not yet captured.
	PaymentAuthorized PaymentStatus = "authorized"
	// PaymentPaid: captured.
	PaymentPaid PaymentStatus = "paid"
	// PaymentPartiallyRefunded: paid, and part of it refunded. No provider
	// says so itself: an order is moved here from paid by its refunds
	// (see Order.ApplyRefund).
	PaymentPartiallyRefunded PaymentStatus = "partially_refunded"
	// PaymentRefunded: the whole amount went back to the customer,
	// including by a chargeback.
	PaymentRefunded PaymentStatus = "refunded"
	// PaymentFailed: the payment failed, expired or was cancelled.
	PaymentFailed PaymentStatus = "failed"
	// PaymentUnknown: the provider sent a status this table does not know,
	// or has no payment status at all.
	PaymentUnknown PaymentStatus = "unknown"
)

// PaymentStatuses returns every PaymentStatus, in the order of the
// canonical schema's enum.
func PaymentStatuses() []PaymentStatus {
	return []PaymentStatus{
		PaymentUnpaid, PaymentAuthorized, PaymentPaid, PaymentPartiallyRefunded,
		PaymentRefunded, PaymentFailed, PaymentUnknown,
	}
}

// Valid reports whether p is one of PaymentStatuses.
func (p PaymentStatus) Valid() bool { return slices.Contains(PaymentStatuses(), p) }

// The tables below are keyed by the provider's value in lower case: lookups
// ignore case, since an upper-case letter moving inside "Paidout" says
// nothing new about the order.

// shipStationStatuses maps ShipStation V1 orderStatus.
var shipStationStatuses = map[string]Status{
	"awaiting_payment":    StatusPendingPayment,
	"awaiting_shipment":   StatusAwaitingFulfillment,
	"pending_fulfillment": StatusAwaitingFulfillment, // with a fulfillment partner
	"shipped":             StatusFulfilled,
	"on_hold":             StatusOnHold,
	"cancelled":           StatusCancelled,
}

// snipcartStatuses maps Snipcart order status.
var snipcartStatuses = map[string]Status{
	"inprogress": StatusPendingPayment, // checkout in progress, not completed
	"pending":    StatusPendingPayment, // completed, payment not received yet
	"processed":  StatusAwaitingFulfillment,
	"disputed":   StatusDisputed,
	"shipped":    StatusFulfilled,
	"dispatched": StatusFulfilled,
	"delivered":  StatusFulfilled,
	"cancelled":  StatusCancelled,
}

// snipcartPaymentStatuses maps Snipcart paymentStatus.
var snipcartPaymentStatuses = map[string]PaymentStatus{
	"paid":         PaymentPaid,
	"paiddeferred": PaymentPaid, // a deferred payment, since captured
	"paidout":      PaymentPaid, // paid, and paid out to the merchant
	"deferred":     PaymentAuthorized,
	"authorized":   PaymentAuthorized,
	"refunded":     PaymentRefunded,
	"chargedback":  PaymentRefunded, // money reversed by the bank; RawPaymentStatus tells it from a refund
	"failed":       PaymentFailed,
	"expired":      PaymentFailed,
	"cancelled":    PaymentFailed,
	"pending":      PaymentUnpaid,
	"open":         PaymentUnpaid,
}

// shoplinePaymentStatuses maps SHOPLINE financial_status (the documented
// values, plus voided, which Shopify-style APIs send for an authorisation
// cancelled before capture).
var shoplinePaymentStatuses = map[string]PaymentStatus{
	"unpaid":             PaymentUnpaid,
	"pending":            PaymentUnpaid,
	"partially_paid":     PaymentUnpaid, // not paid in full; RawPaymentStatus says part is
	"authorized":         PaymentAuthorized,
	"paid":               PaymentPaid,
	"partially_refunded": PaymentPartiallyRefunded,
	"refunded":           PaymentRefunded,
	"voided":             PaymentFailed,
}

// ShipStationStatus normalises a ShipStation V1 orderStatus:
//
//	awaiting_payment    → pending_payment
//	awaiting_shipment   → awaiting_fulfillment
//	pending_fulfillment → awaiting_fulfillment
//	shipped             → fulfilled
//	on_hold             → on_hold
//	cancelled           → cancelled
//	anything else       → unknown
//
// ShipStation has no payment status: a ShipStation order's PaymentStatus
// is derived from its amounts (or PaymentUnknown) by the normaliser.
func ShipStationStatus(raw string) Status {
	return lookup(shipStationStatuses, raw, StatusUnknown)
}

// SnipcartStatus normalises a Snipcart order status:
//
//	InProgress, Pending           → pending_payment
//	Processed                     → awaiting_fulfillment
//	Disputed                      → disputed
//	Shipped, Dispatched, Delivered → fulfilled
//	Cancelled                     → cancelled
//	anything else                 → unknown
func SnipcartStatus(raw string) Status {
	return lookup(snipcartStatuses, raw, StatusUnknown)
}

// SnipcartPaymentStatus normalises a Snipcart paymentStatus:
//
//	Paid, PaidDeferred, Paidout → paid
//	Deferred, Authorized        → authorized
//	Refunded, ChargedBack       → refunded
//	Failed, Expired, Cancelled  → failed
//	Pending, Open               → unpaid
//	anything else               → unknown
//
// An order's refunds can then move paid to partially_refunded or
// refunded (see Order.ApplyRefund).
func SnipcartPaymentStatus(raw string) PaymentStatus {
	return lookup(snipcartPaymentStatuses, raw, PaymentUnknown)
}

// ShoplinePaymentStatus normalises a SHOPLINE financial_status:
//
//	unpaid, pending, partially_paid → unpaid
//	authorized                      → authorized
//	paid                            → paid
//	partially_refunded              → partially_refunded
//	refunded                        → refunded
//	voided                          → failed
//	anything else                   → unknown
func ShoplinePaymentStatus(raw string) PaymentStatus {
	return lookup(shoplinePaymentStatuses, raw, PaymentUnknown)
}

// ShoplineStatus normalises a SHOPLINE order. SHOPLINE's status says only
// open or cancelled, so the rest comes from the other fields, first match
// wins:
//
//	status cancelled, or cancelled_at set                  → cancelled
//	fulfillment_status fulfilled                           → fulfilled
//	payment unpaid (unpaid, pending, partially_paid)       → pending_payment
//	payment authorized, paid, partially_refunded, refunded → awaiting_fulfillment
//	                                                         (also when partially fulfilled)
//	anything else                                          → unknown
func ShoplineStatus(raw string, cancelled bool, fulfillment string, payment PaymentStatus) Status {
	switch {
	case cancelled || strings.EqualFold(strings.TrimSpace(raw), "cancelled"):
		return StatusCancelled
	case strings.EqualFold(strings.TrimSpace(fulfillment), "fulfilled"):
		return StatusFulfilled
	}
	switch payment {
	case PaymentUnpaid:
		return StatusPendingPayment
	case PaymentAuthorized, PaymentPaid, PaymentPartiallyRefunded, PaymentRefunded:
		return StatusAwaitingFulfillment
	}
	return StatusUnknown
}

func lookup[S ~string](table map[string]S, raw string, unknown S) S {
	if s, ok := table[strings.ToLower(strings.TrimSpace(raw))]; ok {
		return s
	}
	return unknown
}
