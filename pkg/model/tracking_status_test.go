package model_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/model"
)

// trackExamples are the ShipStation tracking webhooks `hookstream send`
// posts (schemas/examples/shipstation), by file name.
func trackExamples(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "schemas", "examples", "shipstation", "*track*.json"))
	if err != nil || len(files) < 4 {
		tb.Fatalf("tracking examples: %v (%d found)", err, len(files))
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func parseTrack(t *testing.T, body []byte) model.Track {
	t.Helper()
	tr, err := model.ParseShipStationTrack(body)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// editedTrack returns the example name with edit applied to its data.
func editedTrack(t *testing.T, name string, edit func(d map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(trackExamples(t)[name], &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc["data"].(map[string]any))
	b, _ := json.Marshal(doc)
	return b
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNormaliseShipStationStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code, detail string
		want         model.DeliveryStatus
	}{
		{"UN", "", model.DeliveryUnknown},
		{"NY", "", model.DeliveryLabelCreated},
		{"AC", "PICKED_UP", model.DeliveryInTransit},
		{"IT", "", model.DeliveryInTransit},
		{"IT", "OUT_FOR_DELIVERY", model.DeliveryOutForDelivery},
		{"it", "out_for_delivery", model.DeliveryOutForDelivery},
		{"DE", "DELIVERED", model.DeliveryDelivered},
		{"SP", "", model.DeliveryDelivered},
		{"EX", "DELAYED_WEATHER", model.DeliveryException},
		{"AT", "", model.DeliveryException},
		{"EX", "RETURN_TO_SENDER", model.DeliveryReturned},
		{"DE", "RETURNED_TO_SENDER", model.DeliveryReturned},
		{"IT", "SHIPMENT_RETURNING_TO_SENDER", model.DeliveryReturned},
		{"IT", "CARRIER_STATUS_NOT_MAPPED", model.DeliveryInTransit},
		{"ZZ", "", model.DeliveryUnknown},
		{"", "", model.DeliveryUnknown},
	}
	for _, c := range cases {
		if got := model.NormaliseShipStationStatus(c.code, c.detail); got != c.want {
			t.Errorf("NormaliseShipStationStatus(%q, %q) = %q, want %q", c.code, c.detail, got, c.want)
		}
	}
}

func TestNormaliseShoplineShipmentStatus(t *testing.T) {
	t.Parallel()
	cases := map[string]model.DeliveryStatus{
		"label_printed": model.DeliveryLabelCreated, "label_purchased": model.DeliveryLabelCreated,
		"confirmed": model.DeliveryLabelCreated, "in_transit": model.DeliveryInTransit,
		"out_for_delivery": model.DeliveryOutForDelivery, "delivered": model.DeliveryDelivered,
		"ready_for_pickup": model.DeliveryDelivered, "picked_up": model.DeliveryDelivered,
		"attempted_delivery": model.DeliveryException, "failure": model.DeliveryException,
		"faliure": model.DeliveryException, "Attempted Delivery": model.DeliveryException,
		"IN-TRANSIT": model.DeliveryInTransit, "": model.DeliveryUnknown, "teleported": model.DeliveryUnknown,
	}
	for raw, want := range cases {
		if got := model.NormaliseShoplineShipmentStatus(raw); got != want {
			t.Errorf("NormaliseShoplineShipmentStatus(%q) = %q, want %q", raw, got, want)
		}
	}
}

// The exception example as ShipStation sends it: events unsorted, one
// twice, times with Z, an offset and no zone, a null postal code.
func TestParseShipStationTrackSortsAndDeduplicates(t *testing.T) {
	t.Parallel()
	tr := parseTrack(t, trackExamples(t)["track_event_v2.exception.json"])
	var got []string
	for _, e := range tr.Events {
		got = append(got, e.Time.Format(time.RFC3339)+" "+e.Code+" "+string(e.Status)+" "+e.PostalCode)
	}
	want := []string{
		"2025-06-04T22:40:00Z 03 in_transit 90001",
		"2025-06-05T03:12:00Z 10 in_transit 40231",
		"2025-06-06T13:30:00Z EX-07 exception ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n%v\nwant\n%v", got, want)
	}
	if tr.Status != model.DeliveryException || !strings.HasPrefix(tr.Description, "Severe weather") ||
		tr.TrackingNumber != "9400111899223344556677" || tr.RawCarrier != "usps" ||
		tr.EstimatedDeliveryAt == nil || !tr.EstimatedDeliveryAt.Equal(mustTime("2025-06-07T00:00:00Z")) || tr.DeliveredAt != nil {
		t.Errorf("track %+v", tr)
	}
	if !tr.Latest().Equal(mustTime("2025-06-06T13:30:00Z")) {
		t.Errorf("Latest %v", tr.Latest())
	}
}

// API_TRACK: shipped_date, and the parcel named only in the resource_url.
func TestParseShipStationAPITrack(t *testing.T) {
	t.Parallel()
	body := editedTrack(t, "api_track.json", func(d map[string]any) { delete(d, "tracking_number") })
	tr := parseTrack(t, body)
	if tr.TrackingNumber != "781234567890" || tr.RawCarrier != "fedex" || tr.ShipDate == nil ||
		!tr.ShipDate.Equal(mustTime("2025-06-03T17:00:00Z")) || len(tr.Events) != 2 || tr.Events[0].Code != "PU" {
		t.Errorf("track %+v", tr)
	}
}

func TestParseShipStationTrackTimes(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"2025-06-07T18:47:00Z":        "2025-06-07T18:47:00Z",
		"2025-06-07T18:47:00.5Z":      "2025-06-07T18:47:00.5Z",
		"2025-06-07T14:47:00-04:00":   "2025-06-07T18:47:00Z",
		"2025-06-07T18:47:00":         "2025-06-07T18:47:00Z",
		"2025-06-07T18:47:00.1234567": "2025-06-07T18:47:00.1234567Z",
		"2025-06-07 18:47:00":         "2025-06-07T18:47:00Z",
		"2025-06-07":                  "2025-06-07T00:00:00Z",
		" 2025-06-07T18:47:00+00:00 ": "2025-06-07T18:47:00Z",
	} {
		tr := parseTrack(t, editedTrack(t, "track_event_v2.json", func(d map[string]any) { d["actual_delivery_date"] = raw }))
		if tr.DeliveredAt == nil || tr.DeliveredAt.Format(time.RFC3339Nano) != want {
			t.Errorf("actual_delivery_date %q read as %v, want %s", raw, tr.DeliveredAt, want)
		}
	}
}

func TestParseShipStationTrackRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		body    []byte
		errText string
	}{
		"not an object":    {[]byte(`[1]`), "not a JSON object"},
		"null":             {[]byte(`null`), "not a JSON object"},
		"no data":          {[]byte(`{"resource_type":"TRACK_EVENT_V2"}`), "no data object"},
		"no number":        {editedTrack(t, "track_event_v2.json", func(d map[string]any) { d["tracking_number"] = " " }), "no tracking_number"},
		"events an object": {editedTrack(t, "track_event_v2.json", func(d map[string]any) { d["events"] = map[string]any{} }), "cannot unmarshal"},
		"event without time": {editedTrack(t, "track_event_v2.json", func(d map[string]any) {
			d["events"].([]any)[0].(map[string]any)["occurred_at"] = ""
		}), "events[0] has no occurred_at"},
		"time a number":    {editedTrack(t, "track_event_v2.json", func(d map[string]any) { d["ship_date"] = 20250604 }), "is not a string"},
		"time not a time":  {editedTrack(t, "track_event_v2.json", func(d map[string]any) { d["ship_date"] = "soon" }), `"soon" is not RFC 3339`},
		"year beyond 9999": {editedTrack(t, "track_event_v2.json", func(d map[string]any) { d["ship_date"] = "99999-01-01T00:00:00Z" }), "is not RFC 3339"},
	}
	for name, c := range cases {
		_, err := model.ParseShipStationTrack(c.body)
		if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), c.errText) {
			t.Errorf("%s: error %v, want ErrInvalid saying %q", name, err, c.errText)
		}
	}
}

// ApplyTrack: newer tracking applies and adds to the history; older or
// equal does not; delivered without an actual delivery date takes the
// delivered event's time.
func TestApplyTrack(t *testing.T) {
	t.Parallel()
	ex := trackExamples(t)
	inTransit, exception := parseTrack(t, ex["track_event_v2.json"]), parseTrack(t, ex["track_event_v2.exception.json"])
	delivered := parseTrack(t, editedTrack(t, "track_event_v2.delivered.json", func(d map[string]any) { d["actual_delivery_date"] = nil }))

	sh, err := model.NewTrackedShipment(model.TrackedShipmentID(model.ProviderShipStation, exception.TrackingNumber), exception, fuzzTime)
	if err != nil {
		t.Fatal(err)
	}
	if sh.ID != "shipstation:t9400111899223344556677" || sh.Source != model.SourceTracking || sh.OrderID != "" ||
		!sh.UpdatedAt.Equal(mustTime("2025-06-06T13:30:00Z")) || sh.TrackingURL == "" || sh.Carrier != model.CarrierUSPS {
		t.Errorf("tracked shipment %+v", sh)
	}
	if sh.ApplyTrack(exception) || sh.ApplyTrack(inTransit) {
		t.Error("an equal or older track applied")
	}
	if !sh.ApplyTrack(delivered) {
		t.Fatal("a newer track did not apply")
	}
	if sh.DeliveryStatus != model.DeliveryDelivered || len(sh.TrackingEvents) != 5 ||
		sh.DeliveredAt == nil || !sh.DeliveredAt.Equal(mustTime("2025-06-07T18:47:00Z")) ||
		!sh.UpdatedAt.Equal(mustTime("2025-06-07T18:47:00Z")) {
		t.Errorf("after delivery: %s, %d events, delivered at %v, updated %v", sh.DeliveryStatus, len(sh.TrackingEvents), sh.DeliveredAt, sh.UpdatedAt)
	}
	if err := sh.Validate(); err != nil {
		t.Error(err)
	}

	// A history that loses an event keeps it: the union is kept.
	later := parseTrack(t, editedTrack(t, "track_event_v2.json", func(d map[string]any) {
		d["events"] = []any{map[string]any{"occurred_at": "2025-06-08T08:00:00Z", "event_code": "PO", "status_code": "DE", "description": "Proof of delivery"}}
	}))
	if !sh.ApplyTrack(later) || len(sh.TrackingEvents) != 6 {
		t.Errorf("later partial history: %d events, want 6", len(sh.TrackingEvents))
	}

	// Zero events: only before any tracking time.
	none := parseTrack(t, editedTrack(t, "track_event_v2.json", func(d map[string]any) { d["events"], d["status_code"] = []any{}, "NY" }))
	if sh.ApplyTrack(none) {
		t.Error("a track without events applied over tracking")
	}
}

// A label keeps the tracking its stored state has; a tracked label that
// only changes its tracking is the same record.
func TestKeepTrackingAndSameRecord(t *testing.T) {
	t.Parallel()
	tr := parseTrack(t, trackExamples(t)["track_event_v2.exception.json"])
	label := model.Shipment{
		ID: "shipstation:1", Provider: "shipstation", OrderID: "shipstation:2", Carrier: model.CarrierUSPS,
		TrackingNumber: tr.TrackingNumber, Source: model.SourceLabel, UpdatedAt: fuzzTime, Tiebreak: "00#a",
	}
	if label.Delivery() != model.DeliveryLabelCreated {
		t.Errorf("an untracked label is %s", label.Delivery())
	}
	tracked := label
	if !tracked.ApplyTrack(tr) || !tracked.SameRecord(label) || tracked.SameDelivery(label) {
		t.Error("tracking changed the label's record, or not its delivery")
	}
	stated := label
	stated.DeliveryStatus = model.DeliveryLabelCreated
	if !stated.SameDelivery(label) {
		t.Error("a label without a delivery status does not read as label_created")
	}
	relabel := label
	relabel.Service = "usps_priority_mail"
	relabel.KeepTracking(tracked)
	if relabel.DeliveryStatus != model.DeliveryException || len(relabel.TrackingEvents) != 3 || relabel.SameRecord(tracked) {
		t.Errorf("kept %s with %d events", relabel.DeliveryStatus, len(relabel.TrackingEvents))
	}
	other := label
	other.ID = "shipstation:3"
	other.KeepTracking(tracked)
	if other.DeliveryStatus != "" || len(other.TrackingEvents) != 0 {
		t.Error("another shipment's tracking was kept")
	}
}

// A state stored before shipments had a delivery status reads with the
// default one.
func TestDeliveryStatusDefaults(t *testing.T) {
	t.Parallel()
	for source, want := range map[model.Source]model.DeliveryStatus{
		model.SourceLabel: model.DeliveryLabelCreated, model.SourceFulfillment: model.DeliveryUnknown, model.SourceMarketplace: model.DeliveryUnknown,
	} {
		old := `{"id":"shipstation:1","provider":"shipstation","order_id":"shipstation:2","carrier":"usps","source":"` + string(source) + `","updated_at":"2024-07-01T00:00:00Z"}`
		var sh model.Shipment
		if err := json.Unmarshal([]byte(old), &sh); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(sh)
		var out struct {
			DeliveryStatus model.DeliveryStatus `json:"delivery_status"`
			Events         []any                `json:"tracking_events"`
		}
		if err := json.Unmarshal(b, &out); err != nil || out.DeliveryStatus != want || out.Events == nil {
			t.Errorf("%s: %s, want %s and []", source, b, want)
		}
	}
	shop := model.Shipment{ShipmentStatus: "faliure"}
	if shop.Delivery() != model.DeliveryException {
		t.Errorf("SHOPLINE faliure is %s", shop.Delivery())
	}
}

func TestValidateTracking(t *testing.T) {
	t.Parallel()
	tr := parseTrack(t, trackExamples(t)["track_event_v2.exception.json"])
	base, err := model.NewTrackedShipment("shipstation:tX", tr, fuzzTime)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(s *model.Shipment){
		"unsorted events": func(s *model.Shipment) {
			s.TrackingEvents[0], s.TrackingEvents[1] = s.TrackingEvents[1], s.TrackingEvents[0]
		},
		"event twice":          func(s *model.Shipment) { s.TrackingEvents[1] = s.TrackingEvents[0] },
		"event without time":   func(s *model.Shipment) { s.TrackingEvents[0].Time = time.Time{} },
		"unknown status":       func(s *model.Shipment) { s.DeliveryStatus = "lost" },
		"unknown event status": func(s *model.Shipment) { s.TrackingEvents[0].Status = "" },
		"label without order":  func(s *model.Shipment) { s.Source = model.SourceLabel },
	}
	for name, breakIt := range cases {
		s := base
		s.TrackingEvents = slices.Clone(base.TrackingEvents)
		breakIt(&s)
		if err := s.Validate(); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}

func TestTrackingToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"9400 1118 9922 3344 5566 77": "9400111899223344556677",
		"1z999aa10123456784":          "1Z999AA10123456784",
		" AB-12_3 ":                   "AB-12_3",
	} {
		if got := model.TrackingToken(in); got != want {
			t.Errorf("TrackingToken(%q) = %q, want %q", in, got, want)
		}
	}
	for _, odd := range []string{"AB/12", "Ü123", strings.Repeat("9", 128)} {
		got := model.TrackingToken(odd)
		if len(got) != 33 || got[0] != 'h' || got == model.TrackingToken(odd+"0") {
			t.Errorf("TrackingToken(%q) = %q, want h + 32 hex digits of its own", odd, got)
		}
	}
}

// FuzzParseShipStationTrack: for any body, an error or a track whose
// events are sorted and unique, that makes a valid shipment (alone and on
// a label), and that does not apply twice.
func FuzzParseShipStationTrack(f *testing.F) {
	for _, b := range trackExamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"data":{"tracking_number":"1","events":[{"occurred_at":"2025-01-01"},{"occurred_at":"2025-01-01"}]}}`))
	f.Add([]byte(`{"data":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := model.ParseShipStationTrack(body)
		if err != nil {
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if tr.TrackingNumber == "" || !tr.Status.Valid() {
			t.Fatalf("track %+v", tr)
		}
		sh, err := model.NewTrackedShipment(model.TrackedShipmentID(model.ProviderShipStation, tr.TrackingNumber), tr, fuzzTime)
		if err != nil {
			t.Fatalf("a readable track made no shipment: %v", err)
		}
		if verr := sh.Validate(); verr != nil {
			t.Fatalf("tracked shipment breaks the canonical rules: %v", verr)
		}
		if len(tr.Events) > 0 && sh.ApplyTrack(tr) {
			t.Fatal("the same track applied twice")
		}
		label := model.Shipment{ID: "shipstation:1", Provider: "shipstation", OrderID: "shipstation:2", Carrier: model.CarrierUSPS,
			Source: model.SourceLabel, UpdatedAt: fuzzTime, Tiebreak: "0"}
		label.ApplyTrack(tr)
		if verr := label.Validate(); verr != nil {
			t.Fatalf("tracked label breaks the canonical rules: %v", verr)
		}
	})
}
