package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// shipStationTrack is a TRACK_EVENT_V2 webhook, or the older
// ShipEngine-style track webhook (resource_type API_TRACK), which says
// shipped_date instead of ship_date and names the parcel in its
// resource_url query.
type shipStationTrack struct {
	ResourceURL  string `json:"resource_url"`
	ResourceType string `json:"resource_type"`
	Data         *struct {
		TrackingNumber           string             `json:"tracking_number"`
		TrackingURL              *string            `json:"tracking_url"`
		CarrierCode              *string            `json:"carrier_code"`
		StatusCode               *string            `json:"status_code"`
		StatusDetailCode         *string            `json:"status_detail_code"`
		StatusDescription        *string            `json:"status_description"`
		StatusDetailDescription  *string            `json:"status_detail_description"`
		CarrierStatusDescription *string            `json:"carrier_status_description"`
		ExceptionDescription     *string            `json:"exception_description"`
		ShipDate                 trackTime          `json:"ship_date"`
		ShippedDate              trackTime          `json:"shipped_date"`
		EstimatedDeliveryDate    trackTime          `json:"estimated_delivery_date"`
		ActualDeliveryDate       trackTime          `json:"actual_delivery_date"`
		Events                   []shipStationEvent `json:"events"`
	} `json:"data"`
}

// shipStationEvent is one entry of a track webhook's events.
type shipStationEvent struct {
	OccurredAt               trackTime `json:"occurred_at"`
	Description              *string   `json:"description"`
	CityLocality             *string   `json:"city_locality"`
	StateProvince            *string   `json:"state_province"`
	PostalCode               *string   `json:"postal_code"`
	CountryCode              *string   `json:"country_code"`
	EventCode                *string   `json:"event_code"`
	StatusCode               *string   `json:"status_code"`
	StatusDetailCode         *string   `json:"status_detail_code"`
	StatusDescription        *string   `json:"status_description"`
	CarrierStatusDescription *string   `json:"carrier_status_description"`
}

// str returns *p trimmed, "" for nil (JSON null or absent).
func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// ParseShipStationTrack reads a ShipStation TRACK_EVENT_V2 webhook body, or
// the older ShipEngine-style track webhook (resource_type API_TRACK,
// shipped_date for ship_date), whose data carries the whole tracking of one
// parcel.
//
// The tracking number is data.tracking_number, else the tracking_number of
// the resource_url's query (API_TRACK); the carrier is data.carrier_code,
// else the query's carrier_code. The status is NormaliseShipStationStatus
// of data.status_code and status_detail_code (the newest event's when
// data has no status_code); its description is exception_description for
// an exception or a return, else the first of status_detail_description,
// carrier_status_description and status_description. Events are sorted by
// occurred_at (ShipStation does not always sort them; carrier_occurred_at,
// carrier-local and at times with a false Z, is not used) and de-duplicated
// on occurred_at and event_code. Times are RFC 3339 with Z or an offset, or
// without a zone (taken as UTC), or a bare date (midnight UTC).
//
// A body that is not a JSON object with a data object, a missing tracking
// number, events that are not a list of objects, an event without a
// readable occurred_at, or any unreadable time is an error wrapping
// ErrInvalid that says which.
func ParseShipStationTrack(body []byte) (Track, error) {
	var w shipStationTrack
	if err := decodeObject(body, &w); err != nil {
		return Track{}, fmt.Errorf("%w: shipstation track webhook: %w", ErrInvalid, err)
	}
	d := w.Data
	if d == nil {
		return Track{}, fmt.Errorf("%w: shipstation track webhook (%s) has no data object", ErrInvalid, w.ResourceType)
	}
	query := url.Values{}
	if u, err := url.Parse(w.ResourceURL); err == nil {
		query = u.Query()
	}
	t := Track{
		TrackingNumber:      strings.TrimSpace(firstNonEmpty(strings.TrimSpace(d.TrackingNumber), query.Get("tracking_number"))),
		RawCarrier:          firstNonEmpty(str(d.CarrierCode), strings.TrimSpace(query.Get("carrier_code"))),
		ShipDate:            firstTimePtr(d.ShipDate, d.ShippedDate),
		EstimatedDeliveryAt: d.EstimatedDeliveryDate.ptr(),
		DeliveredAt:         d.ActualDeliveryDate.ptr(),
	}
	if t.TrackingNumber == "" {
		return Track{}, fmt.Errorf("%w: shipstation track webhook (%s) has no tracking_number", ErrInvalid, w.ResourceType)
	}
	if link := str(d.TrackingURL); isHTTPURL(link) {
		t.TrackingURL = link
	}
	events := make([]TrackingEvent, 0, len(d.Events))
	for i, e := range d.Events {
		if e.OccurredAt.IsZero() {
			return Track{}, fmt.Errorf("%w: shipstation tracking of %s: events[%d] has no occurred_at", ErrInvalid, t.TrackingNumber, i)
		}
		events = append(events, TrackingEvent{
			Time:        time.Time(e.OccurredAt).UTC(),
			Status:      NormaliseShipStationStatus(str(e.StatusCode), str(e.StatusDetailCode)),
			Code:        str(e.EventCode),
			Description: firstNonEmpty(str(e.Description), str(e.CarrierStatusDescription), str(e.StatusDescription)),
			City:        str(e.CityLocality),
			State:       str(e.StateProvince),
			PostalCode:  str(e.PostalCode),
			Country:     str(e.CountryCode),
		})
	}
	t.Events = mergeTrackingEvents(nil, events)
	switch code := str(d.StatusCode); {
	case code != "":
		t.Status = NormaliseShipStationStatus(code, str(d.StatusDetailCode))
	case len(t.Events) > 0:
		t.Status = t.Events[len(t.Events)-1].Status
	default:
		t.Status = DeliveryUnknown
	}
	t.Description = firstNonEmpty(str(d.StatusDetailDescription), str(d.CarrierStatusDescription), str(d.StatusDescription))
	if t.Status == DeliveryException || t.Status == DeliveryReturned {
		t.Description = firstNonEmpty(str(d.ExceptionDescription), t.Description)
	}
	return t, nil
}

// trackTime decodes a ShipStation tracking time: null, "" (not set), or
// one of trackTimeLayouts.
type trackTime time.Time

// trackTimeLayouts are the forms ShipStation's tracking times come in: RFC
// 3339 with Z or an offset, with no zone (UTC), and a bare date.
var trackTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"}

func (f *trackTime) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time %s is not a string", b)
	}
	if s == nil || strings.TrimSpace(*s) == "" {
		*f = trackTime{}
		return nil
	}
	t, err := parseTrackTime(*s)
	if err != nil {
		return err
	}
	*f = trackTime(t)
	return nil
}

// parseTrackTime parses one of trackTimeLayouts; a time without a zone is
// UTC. Years beyond 9999 are refused (they cannot be written back).
func parseTrackTime(raw string) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	for _, layout := range trackTimeLayouts {
		if t, err := time.Parse(layout, raw); err == nil {
			if t.UTC().Year() > 9999 || t.UTC().Year() < 1 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not RFC 3339, a zoneless date-time or a date", raw)
}

// IsZero reports whether the time was null, absent or "".
func (f trackTime) IsZero() bool { return time.Time(f).IsZero() }

// ptr returns the time in UTC, nil when not set.
func (f trackTime) ptr() *time.Time {
	if f.IsZero() {
		return nil
	}
	t := time.Time(f).UTC()
	return &t
}

// firstTimePtr returns the first set time in UTC, nil when none is.
func firstTimePtr(ts ...trackTime) *time.Time {
	for _, t := range ts {
		if p := t.ptr(); p != nil {
			return p
		}
	}
	return nil
}

// shortHash is 32 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
