package shipstation_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

func TestParsePacificTime(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		in      string
		want    time.Time // zero: the zero PacificTime
		wantErr bool
	}{
		{name: "seven fractional digits, summer (PDT, UTC-7)", in: "2015-08-17T09:24:14.7800000", want: utc("2015-08-17T16:24:14.78Z")},
		{name: "all seven digits kept", in: "2015-08-17T09:24:14.1234567", want: utc("2015-08-17T16:24:14.1234567Z")},
		{name: "no fraction, winter (PST, UTC-8)", in: "2015-01-17T09:24:14", want: utc("2015-01-17T17:24:14Z")},
		{name: "last instant before spring forward", in: "2024-03-10T01:59:59.9999999", want: utc("2024-03-10T09:59:59.9999999Z")},
		{name: "first instant after spring forward", in: "2024-03-10T03:00:00.0000000", want: utc("2024-03-10T10:00:00Z")},
		{name: "a March day after the change", in: "2024-03-11T12:00:00", want: utc("2024-03-11T19:00:00Z")},
		{name: "before fall back", in: "2024-11-03T00:59:59", want: utc("2024-11-03T07:59:59Z")},
		{name: "the repeated hour is read as PDT", in: "2024-11-03T01:30:00", want: utc("2024-11-03T08:30:00Z")},
		{name: "after fall back", in: "2024-11-03T02:00:00", want: utc("2024-11-03T10:00:00Z")},
		{name: "a November day after the change", in: "2024-11-04T12:00:00.5000000", want: utc("2024-11-04T20:00:00.5Z")},
		{name: "bare date is midnight Pacific", in: "2015-08-18", want: utc("2015-08-18T07:00:00Z")},
		{name: "bare date in winter", in: "2015-12-18", want: utc("2015-12-18T08:00:00Z")},
		{name: "explicit Z is taken as written", in: "2015-08-17T16:24:14.78Z", want: utc("2015-08-17T16:24:14.78Z")},
		{name: "explicit offset is taken as written", in: "2015-08-17T09:24:14-07:00", want: utc("2015-08-17T16:24:14Z")},
		{name: "empty", in: ""},
		{name: "year-1 placeholder", in: "0001-01-01T00:00:00"},
		{name: "words", in: "yesterday", wantErr: true},
		{name: "month 13", in: "2015-13-01T00:00:00", wantErr: true},
		{name: "trailing dot", in: "2015-08-17T09:24:14.", wantErr: true},
		{name: "space instead of T", in: "2015-08-17 09:24:14", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := shipstation.ParsePacificTime(tt.in)
			if tt.wantErr {
				requireCategory(t, err, provider.ErrMalformed)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || got.IsZero() != tt.want.IsZero() {
				t.Errorf("ParsePacificTime(%q) = %v, want %v", tt.in, got.Time, tt.want)
			}
			if !got.IsZero() && got.Location() != time.UTC {
				t.Errorf("location %v, want UTC", got.Location())
			}
		})
	}
}

func TestPacificTimeJSON(t *testing.T) {
	t.Parallel()
	var o shipstation.Order
	body := `{"orderId":94113592,"orderDate":"2015-06-29T08:46:27.0000000","createDate":"2015-07-16T14:00:34.8230000",
		"modifyDate":"2015-08-17T09:24:14.7800000","paymentDate":null,"shipTo":{"street2":null}}`
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2015, 8, 17, 16, 24, 14, 780_000_000, time.UTC); !o.ModifyDate.Equal(want) {
		t.Errorf("modifyDate = %v, want %v", o.ModifyDate.Time, want)
	}
	if !o.PaymentDate.IsZero() {
		t.Errorf("null paymentDate = %v, want zero", o.PaymentDate.Time)
	}

	// Re-encoding writes UTC with its offset, and reads back to the same instant.
	out, err := json.Marshal(o.ModifyDate)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `"2015-08-17T16:24:14.78Z"` {
		t.Errorf("MarshalJSON = %s", out)
	}
	var back shipstation.PacificTime
	if err := json.Unmarshal(out, &back); err != nil || !back.Equal(o.ModifyDate.Time) {
		t.Errorf("round trip = %v, %v; want %v", back.Time, err, o.ModifyDate.Time)
	}
	if out, _ := json.Marshal(shipstation.PacificTime{}); string(out) != "null" {
		t.Errorf("zero MarshalJSON = %s, want null", out)
	}
	for _, bad := range []string{`12345`, `"not a time"`, `{}`} {
		var pt shipstation.PacificTime
		if err := json.Unmarshal([]byte(bad), &pt); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
}

func TestFormatPacific(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2015, 8, 17, 16, 24, 14, 780_000_000, time.UTC), "2015-08-17T09:24:14.7800000"},
		{time.Date(2024, 11, 3, 10, 0, 0, 0, time.UTC), "2024-11-03T02:00:00.0000000"},
		{time.Date(2024, 3, 10, 10, 0, 0, 1234567*100, time.UTC), "2024-03-10T03:00:00.1234567"},
	}
	for _, tt := range tests {
		if got := shipstation.FormatPacific(tt.in); got != tt.want {
			t.Errorf("FormatPacific(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := shipstation.ParsePacificTime(tt.want)
		if err != nil || !back.Equal(tt.in) {
			t.Errorf("ParsePacificTime(%q) = %v, %v; want %v", tt.want, back.Time, err, tt.in)
		}
	}
}
