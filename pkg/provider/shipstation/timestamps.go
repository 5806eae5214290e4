package shipstation

import (
	"encoding/json"
	"strings"
	"time"
	_ "time/tzdata" // ShipStation's zone must resolve in a scratch image, which has no zoneinfo.

	"github.com/hookstream/hookstream/pkg/provider"
)

// Pacific is America/Los_Angeles, the zone of every V1 API timestamp. The
// zone database is embedded (time/tzdata), so it never depends on the host.
var Pacific = loadPacific()

func loadPacific() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		// Unreachable: time/tzdata is linked in.
		panic("shipstation: loading America/Los_Angeles: " + err.Error())
	}
	return loc
}

// Layouts of V1 timestamps. Go accepts a fraction of any length after the
// seconds when parsing even if the layout has none, so pacificLayout reads
// "2015-08-17T09:24:14", "…14.78" and "…14.7800000" alike.
const (
	pacificLayout = "2006-01-02T15:04:05"
	dateLayout    = "2006-01-02"
	// PacificLayout is how ShipStation writes timestamps: Pacific local
	// time, seven fractional digits, no offset.
	PacificLayout = "2006-01-02T15:04:05.0000000"
)

// PacificTime is a V1 API timestamp converted to UTC.
//
// ShipStation writes US Pacific local time without an offset
// ("2015-08-17T09:24:14.7800000", sometimes without a fraction, and a bare
// date "2015-08-18" for some ship dates); UnmarshalJSON reads it in
// America/Los_Angeles, so daylight saving time is applied for the date, and
// keeps the result in UTC. A bare date becomes midnight Pacific on that date.
// null, "" and year-1 placeholders become the zero time, so check IsZero for
// "not set". A timestamp that already carries an offset or Z is taken as
// written.
//
// One hour a year is ambiguous: when clocks fall back in November,
// 01:00–01:59 happens twice, and the earlier instant (PDT) is chosen. Local
// times that do not exist (02:00–02:59 on the March change) are read as PST,
// an hour later in PDT terms. ShipStation's format cannot say more.
//
// MarshalJSON writes RFC 3339 in UTC (null when zero), which UnmarshalJSON
// reads back exactly: re-encoding a decoded response never loses the zone.
type PacificTime struct {
	time.Time
}

// ParsePacificTime parses a V1 timestamp as described at [PacificTime].
// Errors wrap provider.ErrMalformed.
func ParsePacificTime(s string) (PacificTime, error) {
	if s == "" {
		return PacificTime{}, nil
	}
	var (
		t   time.Time
		err error
	)
	switch {
	case len(s) == len(dateLayout):
		t, err = time.ParseInLocation(dateLayout, s, Pacific)
	case strings.HasSuffix(s, "Z") || strings.LastIndexAny(s, "+-") > len(dateLayout):
		// An explicit offset: "…Z", "…-07:00". The date's own '-'s come
		// before index 10.
		t, err = time.Parse(time.RFC3339Nano, s)
	default:
		t, err = time.ParseInLocation(pacificLayout, s, Pacific)
	}
	if err != nil {
		return PacificTime{}, provider.Errorf(provider.ErrMalformed, "timestamp %q is not a ShipStation time", truncate(s))
	}
	if t.Year() <= 1 {
		return PacificTime{}, nil
	}
	return PacificTime{t.UTC()}, nil
}

// UnmarshalJSON implements json.Unmarshaler; see [PacificTime].
func (t *PacificTime) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*t = PacificTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return provider.Errorf(provider.ErrMalformed, "timestamp is not a string")
	}
	p, err := ParsePacificTime(s)
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// MarshalJSON implements json.Marshaler: RFC 3339 in UTC, or null.
func (t PacificTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// FormatPacific writes t the way ShipStation does: Pacific local time with
// seven fractional digits and no offset (PacificLayout). For sandboxes and
// tests.
func FormatPacific(t time.Time) string {
	return t.In(Pacific).Format(PacificLayout)
}
