package model

import (
	"strings"
	"time"
)

// holdStatus derives the status from a fulfillment order's status, its
// holds and its request status. Final states win; a hold wins over a
// rejection.
func holdStatus(rawStatus string, holds []Hold, requestStatus string) HoldStatus {
	switch strings.ToLower(rawStatus) {
	case "cancelled", "canceled":
		return HoldCancelled
	case "closed":
		return HoldClosed
	case "on_hold":
		return HoldHeld
	}
	switch {
	case len(holds) > 0:
		return HoldHeld
	case strings.EqualFold(requestStatus, "rejected"):
		return HoldRejected
	}
	return HoldReleased
}

// Succeed returns the record that follows prev (the stored record of the
// same fulfillment order, nil when there is none) when h, a newer state
// from a normaliser, arrives. What the webhook left out is taken from
// prev; the status is derived again; and the hold's bookkeeping follows
// the change:
//
//	prev → next         HoldSeq   PlacedAt      ReleasedAt    OverdueAt  Holds
//	not held → held     +1        UpdatedAt     zero          zero       the new holds
//	held → held         same      same          zero          same       the new holds (prev's if none sent)
//	held → not held     same      same          UpdatedAt     same       prev's when none sent
//	not held → not held same      same          same          same       prev's when none sent
//
// The caller decides that h is newer (h.Version().After(prev.Version()));
// Succeed does not compare versions.
func (h FulfillmentHold) Succeed(prev *FulfillmentHold) FulfillmentHold {
	next := h
	next.missing = 0
	var p FulfillmentHold
	if prev != nil {
		p = *prev
	}
	if prev != nil {
		if h.missing&fieldOrderID != 0 {
			next.OrderID = p.OrderID
		}
		if h.missing&fieldStatus != 0 {
			next.RawStatus = p.RawStatus
		}
		if h.missing&fieldRequestStatus != 0 {
			next.RequestStatus = p.RequestStatus
		}
		if h.missing&fieldLocation != 0 {
			next.AssignedLocation = p.AssignedLocation
		}
		if h.missing&fieldLineItems != 0 {
			next.LineItems = p.LineItems
		}
		if h.missing&fieldActions != 0 {
			next.SupportedActions = p.SupportedActions
		}
	}
	wasHeld := prev != nil && p.Status == HoldHeld
	active := h.Holds
	if h.missing&fieldHolds != 0 {
		active = nil
		// A body that says nothing of holds (or says on_hold without
		// listing them) leaves the current holds in place.
		if wasHeld && (h.missing&fieldStatus != 0 || strings.EqualFold(h.RawStatus, "on_hold")) {
			active = p.Holds
		}
	}
	next.Status = holdStatus(next.RawStatus, active, next.RequestStatus)
	next.Holds = active
	if next.Status != HoldHeld && len(next.Holds) == 0 {
		next.Holds = p.Holds
	}
	if next.Message == "" && prev != nil && next.Status == p.Status {
		next.Message = p.Message // a message belongs to the state it came with
	}
	next.HoldSeq, next.PlacedAt, next.ReleasedAt, next.OverdueAt = p.HoldSeq, p.PlacedAt, p.ReleasedAt, p.OverdueAt
	switch {
	case next.Status == HoldHeld && !wasHeld:
		next.HoldSeq++
		next.PlacedAt, next.ReleasedAt, next.OverdueAt = next.UpdatedAt, time.Time{}, time.Time{}
	case next.Status == HoldHeld:
		next.ReleasedAt = time.Time{}
	case wasHeld:
		next.ReleasedAt = next.UpdatedAt
	}
	return next
}

// HoldEvent names the canonical event a change of a record announces. The
// values are the catalog's event names (pkg/catalog; a test checks they
// agree, this package importing only the standard library and provider
// wire types).
type HoldEvent string

// The events of fulfillment holds.
const (
	// HoldEventNone: the change announces nothing (a note edited, a held
	// record held again).
	HoldEventNone HoldEvent = ""
	// HoldEventPlaced: not held, now held.
	HoldEventPlaced HoldEvent = "hold_placed"
	// HoldEventReleased: held, now not (released, rejected, cancelled or
	// closed).
	HoldEventReleased HoldEvent = "hold_released"
	// HoldEventRejected: newly rejected.
	HoldEventRejected HoldEvent = "rejected"
	// HoldEventOverdue: still held after the configured time; a timer, not
	// a change of status, announces it.
	HoldEventOverdue HoldEvent = "hold_overdue"
)

// Transition names the event the change from prev (nil: nothing stored)
// to h announces: the state machine of a hold, in one place with Succeed.
func (h FulfillmentHold) Transition(prev *FulfillmentHold) HoldEvent {
	wasHeld := prev != nil && prev.Status == HoldHeld
	switch {
	case h.Status == HoldHeld && !wasHeld:
		return HoldEventPlaced
	case wasHeld && h.Status != HoldHeld:
		return HoldEventReleased
	case h.Status == HoldRejected && (prev == nil || prev.Status != HoldRejected):
		return HoldEventRejected
	}
	return HoldEventNone
}
