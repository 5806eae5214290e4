package schemas_test

import (
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/schemas"
)

// trackExamples are the TRACK_EVENT_V2 examples that are not a catalog
// row's: later deliveries for the parcel of track_event_v2.json, an
// exception and then the delivery, for `hookstream send -file`.
var trackExamples = []string{
	"examples/shipstation/track_event_v2.exception.json",
	"examples/shipstation/track_event_v2.delivered.json",
}

// trackBodies returns the bodies of every tracking example by path: the
// catalog rows' (TRACK_EVENT_V2, API_TRACK) and trackExamples.
func trackBodies(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, event := range []string{"TRACK_EVENT_V2", "API_TRACK"} {
		et, err := catalog.Webhook(catalog.ShipStation, event)
		if err != nil || !et.Known {
			t.Fatalf("%s is not in the catalog: %v", event, err)
		}
		body, _, err := schemas.Example(et)
		if err != nil {
			t.Fatal(err)
		}
		out[et.Example] = body
	}
	row, _ := catalog.Webhook(catalog.ShipStation, "TRACK_EVENT_V2")
	for _, p := range trackExamples {
		row.Example = p
		body, _, err := schemas.Example(row)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = body
	}
	return out
}

// TestTrackExamples: every tracking example is a valid V2 webhook that
// pkg/model reads, and the exception and delivered ones say so.
func TestTrackExamples(t *testing.T) {
	t.Parallel()
	sch, err := schemas.Compile("webhooks/shipstation-v2.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]model.DeliveryStatus{
		"examples/shipstation/track_event_v2.json":           model.DeliveryInTransit,
		"examples/shipstation/api_track.json":                model.DeliveryInTransit,
		"examples/shipstation/track_event_v2.exception.json": model.DeliveryException,
		"examples/shipstation/track_event_v2.delivered.json": model.DeliveryDelivered,
	}
	for p, body := range trackBodies(t) {
		if err := sch.Validate(decode(t, body)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		tr, err := model.ParseShipStationTrack(body)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if tr.Status != want[p] {
			t.Errorf("%s: status %q, want %q", p, tr.Status, want[p])
		}
	}
}

// TestCanonicalTrackedShipments validates shipments with tracking against
// the canonical schema: known from their tracking alone (every example),
// and a label that tracking reached.
func TestCanonicalTrackedShipments(t *testing.T) {
	t.Parallel()
	seen := time.Date(2025, 6, 8, 0, 0, 0, 0, time.UTC)
	records := map[string]model.Shipment{}
	for p, body := range trackBodies(t) {
		tr, err := model.ParseShipStationTrack(body)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := model.NewTrackedShipment(model.TrackedShipmentID(model.ProviderShipStation, tr.TrackingNumber), tr, seen)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		records[p] = sh
		label := canonicalShipments(t)["label"]
		label.ApplyTrack(tr)
		records[p+" on a label"] = label
	}
	checkRecordsValid(t, canonicalShipmentSchema, records)
}

// TestCanonicalTrackingEnums: the delivery status enums are pkg/model's.
func TestCanonicalTrackingEnums(t *testing.T) {
	t.Parallel()
	statuses := enumStrings(model.DeliveryStatuses())
	checkEnums(t, canonicalShipmentSchema, map[string][]string{"delivery_status": statuses})
}

// trackedLabel is the canonical label after the exception example's
// tracking: three events, an exception.
func trackedLabel(t *testing.T) model.Shipment {
	t.Helper()
	tr, err := model.ParseShipStationTrack(trackBodies(t)["examples/shipstation/track_event_v2.exception.json"])
	if err != nil {
		t.Fatal(err)
	}
	label := canonicalShipments(t)["label"]
	if !label.ApplyTrack(tr) || len(label.TrackingEvents) != 3 {
		t.Fatal("the exception example did not track the label")
	}
	return label
}

// TestCanonicalTrackingRefuse breaks the tracking part of a tracked label
// one way per case.
func TestCanonicalTrackingRefuse(t *testing.T) {
	t.Parallel()
	checkRefused(t, canonicalShipmentSchema, trackedLabel(t), []refuseCase{
		{"unknown delivery status", set("delivery_status", "lost"), true},
		{"unknown event status", set("tracking_events.0.status", "lost"), true},
		{"event time not UTC", set("tracking_events.0.time", "2025-06-04T15:40:00-07:00"), false},
		{"event without time", del("tracking_events.0.time"), true},
		{"event without code", del("tracking_events.0.code"), false},
		{"extra field in an event", set("tracking_events.0.latitude", 38.1), false},
		{"tracking_events null", set("tracking_events", nil), false},
		{"tracked_at a date", set("tracked_at", "2025-06-06"), false},
		{"delivered_at not UTC", set("delivered_at", "2025-06-07T14:47:00-04:00"), false},
		{"a label without order", set("order_id", ""), true},
	})
}

// TestCanonicalTrackingAccept pins what the schema allows on purpose: the
// tracking properties absent (states stored before them), and a shipment
// known from its tracking alone without an order.
func TestCanonicalTrackingAccept(t *testing.T) {
	t.Parallel()
	checkAccepted(t, canonicalShipmentSchema, trackedLabel(t), []acceptCase{
		{"stored before delivery statuses", func(m map[string]any) {
			for _, k := range []string{"delivery_status", "delivery_description", "tracking_events", "tracked_at", "estimated_delivery_at", "delivered_at"} {
				delete(m, k)
			}
		}},
		{"known from its tracking alone", func(m map[string]any) { m["order_id"], m["order_number"], m["source"] = "", "", "tracking" }},
		{"no events yet", func(m map[string]any) { m["tracking_events"], m["tracked_at"] = []any{}, nil }},
	})
}
