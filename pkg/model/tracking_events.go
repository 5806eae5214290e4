package model

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxTrackingEvents bounds a shipment's tracking history: a parcel that
// collects more keeps its newest events (a shipment is one KV value).
const MaxTrackingEvents = 250

// TrackingEvent is one scan or status change the carrier reports for a
// parcel, in Shipment.TrackingEvents.
type TrackingEvent struct {
	// Time is when it happened, UTC (ShipStation's occurred_at).
	Time time.Time `json:"time"`
	// Status is the event's own status, normalised like
	// Shipment.DeliveryStatus.
	Status DeliveryStatus `json:"status"`
	// Code is the carrier's event code (ShipStation's event_code), "" when
	// it gives none. With Time, it identifies the event: a second event
	// with the same time and code replaces the first.
	Code string `json:"code"`
	// Description is the carrier's words ("Arrived at USPS Regional
	// Facility").
	Description string `json:"description"`
	// City, State, PostalCode and Country say where, each "" when the
	// carrier does not say; Country is an ISO 3166-1 alpha-2 code.
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// key identifies an event of one parcel: its time and code.
func (e TrackingEvent) key() string { return e.Time.UTC().Format(fixedTime) + "|" + e.Code }

// compareTrackingEvents orders events oldest first; ties (distinct codes
// at one time) by code, then description, so the order never depends on
// the order they arrived in.
func compareTrackingEvents(a, b TrackingEvent) int {
	return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Code, b.Code), strings.Compare(a.Description, b.Description))
}

// mergeTrackingEvents returns the events of older and newer, each event
// once (by time and event code; newer's copy wins), oldest first, at most
// MaxTrackingEvents (the newest). Neither input is changed.
func mergeTrackingEvents(older, newer []TrackingEvent) []TrackingEvent {
	byKey := make(map[string]int, len(older)+len(newer))
	out := make([]TrackingEvent, 0, len(older)+len(newer))
	for _, list := range [][]TrackingEvent{older, newer} {
		for _, e := range list {
			e.Time = e.Time.UTC()
			if i, seen := byKey[e.key()]; seen {
				out[i] = e
				continue
			}
			byKey[e.key()] = len(out)
			out = append(out, e)
		}
	}
	slices.SortFunc(out, compareTrackingEvents)
	if len(out) > MaxTrackingEvents {
		out = out[len(out)-MaxTrackingEvents:]
	}
	return out
}

// Track is one carrier tracking update of a parcel: what ParseShipStationTrack
// reads from a TRACK_EVENT_V2 (or API_TRACK) webhook, which
// Shipment.ApplyTrack merges into a shipment.
type Track struct {
	// TrackingNumber is the parcel's number, never empty.
	TrackingNumber string
	// RawCarrier is the provider's carrier code ("usps", "stamps_com").
	RawCarrier string
	// TrackingURL is the provider's tracking link, "" when it gives no
	// absolute http(s) one.
	TrackingURL string
	// Status is the parcel's status now; Description the carrier's words
	// for it (the exception's description for an exception).
	Status      DeliveryStatus
	Description string
	// ShipDate, EstimatedDeliveryAt and DeliveredAt are nil when the
	// provider does not say.
	ShipDate, EstimatedDeliveryAt, DeliveredAt *time.Time
	// Events is the history the webhook carries, oldest first, each event
	// once.
	Events []TrackingEvent
}

// Latest returns the time of the newest event, the version of the track;
// the zero time when it has no events.
func (t Track) Latest() time.Time {
	if len(t.Events) == 0 {
		return time.Time{}
	}
	return t.Events[len(t.Events)-1].Time
}

// ApplyTrack merges t into the shipment when t is newer than the tracking
// the shipment has, and reports whether it did. The version of tracking is
// the time of its newest event (Shipment.TrackedAt): a track whose newest
// event is not later than TrackedAt changes nothing (a redelivery, or an
// older update delivered late); a track without events applies only to a
// shipment that has no tracking time yet.
//
// When it applies, the history becomes the union of both (each event once,
// oldest first), and the status, its description and the estimated and
// actual delivery times become t's (an actual delivery time the provider
// leaves out is, for a delivered parcel, the time of its newest delivered
// event). A shipment known only from its tracking (SourceTracking) also
// takes t's carrier, link and ship date, and its UpdatedAt follows
// TrackedAt; the record of a label or fulfillment is left alone.
func (s *Shipment) ApplyTrack(t Track) bool {
	latest := t.Latest()
	if s.TrackedAt != nil && !latest.After(*s.TrackedAt) {
		return false
	}
	s.TrackingEvents = mergeTrackingEvents(s.TrackingEvents, t.Events)
	s.DeliveryStatus, s.DeliveryDescription = t.Status, t.Description
	if !latest.IsZero() {
		l := latest.UTC()
		s.TrackedAt = &l
	}
	s.EstimatedDeliveryAt = utcTimePtr(t.EstimatedDeliveryAt)
	s.DeliveredAt = utcTimePtr(t.DeliveredAt)
	if s.DeliveredAt == nil && s.DeliveryStatus == DeliveryDelivered {
		s.DeliveredAt = lastEventWith(s.TrackingEvents, DeliveryDelivered)
	}
	if s.Source == SourceTracking {
		if t.RawCarrier != "" {
			s.RawCarrier, s.Carrier = t.RawCarrier, NormaliseCarrier(t.RawCarrier)
		}
		if link := firstNonEmpty(t.TrackingURL, TrackingURL(s.RawCarrier, s.TrackingNumber)); link != "" {
			s.TrackingURL = link
		}
		if t.ShipDate != nil {
			s.ShipDate = utcTimePtr(t.ShipDate)
		}
		s.UpdatedAt = latestShipmentTime(s.UpdatedAt, latest)
	}
	return true
}

// lastEventWith returns the time of the newest event with status, nil when
// there is none.
func lastEventWith(events []TrackingEvent, status DeliveryStatus) *time.Time {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Status == status {
			t := events[i].Time.UTC()
			return &t
		}
	}
	return nil
}

// KeepTracking gives s, a new state of a shipment's record (its label or
// fulfillment, which carry no tracking), the tracking prev, the stored
// state of the same shipment, holds: status, description, history and
// delivery times, and prev's tracking link when s has none. It does nothing
// when prev is another shipment or has no tracking (tracking applied by
// ApplyTrack, or a shipment known only from its tracking).
func (s *Shipment) KeepTracking(prev Shipment) {
	if prev.ID != s.ID || (prev.TrackedAt == nil && prev.Source != SourceTracking) {
		return
	}
	s.DeliveryStatus, s.DeliveryDescription = prev.DeliveryStatus, prev.DeliveryDescription
	s.TrackingEvents = slices.Clone(prev.TrackingEvents)
	s.TrackedAt, s.EstimatedDeliveryAt, s.DeliveredAt = prev.TrackedAt, prev.EstimatedDeliveryAt, prev.DeliveredAt
	if s.TrackingURL == "" {
		s.TrackingURL = prev.TrackingURL
	}
}

// TrackedShipmentID returns the id a shipment first known from its
// tracking gets: "<provider>:t<number>", the number without whitespace and
// upper-cased; a number that does not fit [A-Za-z0-9_-]{1,127} is replaced
// by a hash of it. Every state of the shipment keeps this id, also after
// its label or fulfillment becomes known.
func TrackedShipmentID(provider, trackingNumber string) string {
	return provider + ":t" + TrackingToken(trackingNumber)
}

// TrackingToken returns a tracking number as a key token: without
// whitespace and upper-cased (carriers print numbers in groups, and their
// numbers are not case-sensitive), or a hash of that when it has other
// characters than [A-Za-z0-9_-] or is longer than 127.
func TrackingToken(trackingNumber string) string {
	n := strings.ToUpper(strings.Join(strings.Fields(trackingNumber), ""))
	if len(n) < 128 && externalIDPattern.MatchString(n) {
		return n
	}
	return "h" + shortHash(n)
}

// NewTrackedShipment returns the shipment of a parcel whose tracking
// arrives before anything else about it: id (from TrackedShipmentID, or the
// id a tracking index holds for the number), provider as in the id, Source
// tracking, no order (OrderID and OrderNumber ""), t applied. seen, the
// time the webhook was sent, is its UpdatedAt when t has no events. Every
// error wraps ErrInvalid.
func NewTrackedShipment(id string, t Track, seen time.Time) (Shipment, error) {
	provider, _, _ := strings.Cut(id, ":")
	s := Shipment{
		ID:             id,
		Provider:       provider,
		Carrier:        CarrierOther,
		TrackingNumber: strings.TrimSpace(t.TrackingNumber),
		Items:          []ShipmentItem{},
		Source:         SourceTracking,
		UpdatedAt:      firstTime(t.Latest(), seen),
		Tiebreak:       "tracking",
	}
	s.ApplyTrack(t)
	if s.UpdatedAt.IsZero() {
		return Shipment{}, fmt.Errorf("%w: tracking of %s has no event time and no webhook time", ErrInvalid, id)
	}
	return validShipment(s)
}

// validateTracking reports, through bad, what is wrong with the tracking
// part of a shipment: an unknown delivery status, events without a time,
// with an unknown status, or out of order, more than MaxTrackingEvents.
func (s Shipment) validateTracking(bad func(format string, args ...any)) {
	if s.DeliveryStatus != "" && !s.DeliveryStatus.Valid() {
		bad("delivery_status %q is not one of %v", s.DeliveryStatus, DeliveryStatuses())
	}
	if len(s.TrackingEvents) > MaxTrackingEvents {
		bad("%d tracking_events, more than %d", len(s.TrackingEvents), MaxTrackingEvents)
	}
	for i, e := range s.TrackingEvents {
		if e.Time.IsZero() || e.Time.Year() > 9999 {
			bad("tracking_events[%d].time is not set", i)
		}
		if !e.Status.Valid() {
			bad("tracking_events[%d].status %q is not one of %v", i, e.Status, DeliveryStatuses())
		}
		if i > 0 && compareTrackingEvents(s.TrackingEvents[i-1], e) >= 0 {
			bad("tracking_events[%d] is not after tracking_events[%d]", i, i-1)
		}
	}
}

// Delivery returns the shipment's delivery status: DeliveryStatus, or,
// for a state stored before shipments had one, the default (label_created
// for a ShipStation label, SHOPLINE's shipment_status mapped, else
// unknown).
func (s Shipment) Delivery() DeliveryStatus {
	if s.DeliveryStatus != "" {
		return s.DeliveryStatus
	}
	return s.defaultDeliveryStatus()
}

// SameRecord reports whether s and o differ at most in their delivery
// part (DeliveryStatus, DeliveryDescription, TrackingEvents, TrackedAt,
// EstimatedDeliveryAt, DeliveredAt, and SHOPLINE's ShipmentStatus) and
// their version (UpdatedAt, Tiebreak): whether a change from o to s is a
// change of delivery only.
func (s Shipment) SameRecord(o Shipment) bool {
	a, errA := s.record().Fingerprint()
	b, errB := o.record().Fingerprint()
	return errA == nil && errB == nil && a == b
}

// SameDelivery reports whether s and o have the same delivery part
// (DeliveryStatus as Delivery gives it, DeliveryDescription,
// TrackingEvents, TrackedAt, EstimatedDeliveryAt, DeliveredAt, and
// SHOPLINE's ShipmentStatus).
func (s Shipment) SameDelivery(o Shipment) bool {
	a, errA := json.Marshal(s.delivery())
	b, errB := json.Marshal(o.delivery())
	return errA == nil && errB == nil && string(a) == string(b)
}

// delivery is the delivery part of the shipment, as its JSON has it.
func (s Shipment) delivery() Shipment {
	return Shipment{
		DeliveryStatus: s.Delivery(), DeliveryDescription: s.DeliveryDescription, ShipmentStatus: s.ShipmentStatus,
		TrackingEvents: s.TrackingEvents, TrackedAt: s.TrackedAt, EstimatedDeliveryAt: s.EstimatedDeliveryAt, DeliveredAt: s.DeliveredAt,
	}
}

// record is the shipment without its delivery part and version.
func (s Shipment) record() Shipment {
	s.DeliveryStatus, s.DeliveryDescription, s.ShipmentStatus = DeliveryUnknown, "", ""
	s.TrackingEvents, s.TrackedAt, s.EstimatedDeliveryAt, s.DeliveredAt = nil, nil, nil, nil
	s.UpdatedAt, s.Tiebreak = time.Time{}, ""
	return s
}
