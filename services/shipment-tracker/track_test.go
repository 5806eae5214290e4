package shipmenttracker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/schemas"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

const (
	// trackedNumber is the parcel of the TRACK_EVENT_V2 examples, and
	// trackedKey the key of the shipment its tracking makes.
	trackedNumber = "9400111899223344556677"
	trackedKey    = "shipstation.t" + trackedNumber
)

// trackExample returns a TRACK_EVENT_V2 example body: "" for the
// catalog's (in transit), "exception" or "delivered" for the later ones.
func trackExample(t *testing.T, variant string) []byte {
	t.Helper()
	et, err := catalog.Webhook(catalog.ShipStation, "TRACK_EVENT_V2")
	if err != nil {
		t.Fatal(err)
	}
	if variant != "" {
		et.Example = strings.TrimSuffix(et.Example, ".json") + "." + variant + ".json"
	}
	body, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// editTrack returns body with edit applied to its data object.
func editTrack(t *testing.T, body []byte, edit func(data map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc["data"].(map[string]any))
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// track publishes a TRACK_EVENT_V2 webhook.
func (h *harness) track(body []byte) {
	h.t.Helper()
	h.webhook(catalog.ShipStation, "TRACK_EVENT_V2", body)
}

// trackEvents returns "<subject>/<delivery status>" of every shipment
// event, in stream order, after holding each event to the subscribers'
// contract (schemas.CheckCanonicalEvent: subject, headers, data).
func (h *harness) trackEvents() []string {
	h.t.Helper()
	ctx := context.Background()
	s, err := h.JS.Stream(ctx, catalog.StreamShipments)
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			h.t.Fatal(err)
		}
		if _, err := schemas.CheckCanonicalEvent(m.Subject, m.Header, m.Data); err != nil {
			h.t.Errorf("SHIPMENTS #%d breaks the contract: %v", seq, err)
		}
		var sh model.Shipment
		if err := json.Unmarshal(m.Data, &sh); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, m.Subject+"/"+string(sh.DeliveryStatus))
	}
	return out
}

// noDLQ fails the test when the tracker dead-lettered anything.
func (h *harness) noDLQ() {
	h.t.Helper()
	if entries := h.dlq(); len(entries) != 0 {
		h.t.Errorf("%d DLQ entries, the first: %s", len(entries), entries[0].Error)
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// In transit, a delivery exception, then delivered, each sent as
// ShipStation does (the whole history every time, unsorted, an event
// twice, mixed time zones): one event per step, delivery_updated twice then
// delivered, on the shipment the tracking made. Every delivery sent again,
// and the older ones after the newest, publish nothing and write nothing.
func TestTrackExceptionThenDelivered(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	inTransit, exception, delivered := trackExample(t, ""), trackExample(t, "exception"), trackExample(t, "delivered")
	for _, body := range [][]byte{inTransit, exception, delivered} {
		h.track(body)
		h.settled()
	}
	want := []string{
		"shipments.shipstation.delivery_updated.t" + trackedNumber + "/in_transit",
		"shipments.shipstation.delivery_updated.t" + trackedNumber + "/exception",
		"shipments.shipstation.delivered.t" + trackedNumber + "/delivered",
	}
	if got := h.trackEvents(); !slices.Equal(got, want) {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
	sh, ok := h.stored(trackedKey)
	if !ok {
		t.Fatalf("no shipment under %s", trackedKey)
	}
	var history []string
	for _, e := range sh.TrackingEvents {
		history = append(history, e.Time.Format(time.RFC3339)+" "+e.Code+" "+string(e.Status))
	}
	wantHistory := []string{
		"2025-06-04T22:40:00Z 03 in_transit",
		"2025-06-05T03:12:00Z 10 in_transit",
		"2025-06-06T13:30:00Z EX-07 exception", // sent as 09:30-04:00
		"2025-06-07T12:02:00Z OF out_for_delivery",
		"2025-06-07T18:47:00Z 01 delivered",
	}
	if !slices.Equal(history, wantHistory) {
		t.Errorf("history\n%v\nwant\n%v", history, wantHistory)
	}
	if sh.Source != model.SourceTracking || sh.OrderID != "" || sh.Carrier != model.CarrierUSPS || sh.TrackingNumber != trackedNumber ||
		sh.DeliveredAt == nil || !sh.DeliveredAt.Equal(utc("2025-06-07T18:47:00Z")) ||
		sh.TrackedAt == nil || !sh.TrackedAt.Equal(utc("2025-06-07T18:47:00Z")) ||
		sh.EstimatedDeliveryAt == nil || !sh.EstimatedDeliveryAt.Equal(utc("2025-06-07T00:00:00Z")) {
		t.Errorf("stored shipment %+v", sh)
	}

	before := h.revisions()
	for _, body := range [][]byte{delivered, delivered, exception, inTransit} { // duplicates, then older ones
		h.track(body)
	}
	h.settled()
	if got := h.trackEvents(); len(got) != len(want) {
		t.Errorf("%d events after the duplicates and older deliveries, want still %d: %v", len(got), len(want), got)
	}
	if after := h.revisions(); after != before {
		t.Errorf("the duplicates and older deliveries wrote %d times to the bucket", after-before)
	}
	h.noDLQ()
}

// The newest delivery first, then older ones (ShipStation does not
// deliver in order): one delivered event, and the history is the newest's.
func TestTrackOutOfOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.track(trackExample(t, "delivered"))
	h.settled()
	h.track(trackExample(t, "exception"))
	h.track(trackExample(t, ""))
	h.settled()
	want := []string{"shipments.shipstation.delivered.t" + trackedNumber + "/delivered"}
	if got := h.trackEvents(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if sh, _ := h.stored(trackedKey); sh.DeliveryStatus != model.DeliveryDelivered || len(sh.TrackingEvents) != 5 {
		t.Errorf("stored %s with %d events, want delivered with 5", sh.DeliveryStatus, len(sh.TrackingEvents))
	}
	h.noDLQ()
}

// Tracking, then the label of the same parcel (the number written in
// groups): the label is applied to the shipment the tracking made (its id
// kept, no second shipment), which gains the order and keeps the tracking;
// later tracking reaches it too.
func TestTrackBeforeLabel(t *testing.T) {
	h := newHarness(t, nil)
	label := labelRecord(false)
	label["trackingNumber"] = "9400 1118 9922 3344 5566 77"
	h.serve("/shipments", "late-label", label)
	h.start()
	h.track(trackExample(t, "exception"))
	h.settled()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=late-label")
	h.settled()
	h.track(trackExample(t, "delivered"))
	h.settled()

	want := []string{
		"shipments.shipstation.delivery_updated.t" + trackedNumber + "/exception",
		"shipments.shipstation.tracking_updated.t" + trackedNumber + "/exception",
		"shipments.shipstation.delivered.t" + trackedNumber + "/delivered",
	}
	if got := h.trackEvents(); !slices.Equal(got, want) {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
	sh, _ := h.stored(trackedKey)
	if sh.Source != model.SourceLabel || sh.OrderID != "shipstation:43945660" || sh.Service != "usps_priority_mail" || len(sh.TrackingEvents) != 5 {
		t.Errorf("stored shipment: source %s, order %q, service %q, %d tracking events; want the label's with 5",
			sh.Source, sh.OrderID, sh.Service, len(sh.TrackingEvents))
	}
	if _, ok := h.stored("shipstation.33974374"); ok {
		t.Error("the label made a second shipment")
	}
	if idx := h.index("shipstation:43945660"); !slices.Equal(idx.Shipments, []string{"shipstation:t" + trackedNumber}) {
		t.Errorf("order index %+v, want the tracked shipment", idx)
	}
	h.noDLQ()
}

// A label, then its tracking, then the label voided: the tracking reaches
// the label's shipment (delivery_updated), and the void keeps it.
func TestLabelThenTrack(t *testing.T) {
	h := newHarness(t, nil)
	h.serve("/shipments", "tracked", labelRecord(false))
	h.serve("/shipments", "voided", labelRecord(true))
	h.start()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=tracked")
	h.settled()
	h.track(editTrack(t, trackExample(t, ""), func(d map[string]any) { d["tracking_number"] = "9400111899223197428490" }))
	h.settled()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=voided")
	h.settled()
	want := []string{
		"shipments.shipstation.tracking_updated.33974374/label_created",
		"shipments.shipstation.delivery_updated.33974374/in_transit",
		"shipments.shipstation.voided.33974374/in_transit",
	}
	if got := h.trackEvents(); !slices.Equal(got, want) {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
	if sh, _ := h.stored("shipstation.33974374"); !sh.Voided || len(sh.TrackingEvents) != 1 || sh.TrackedAt == nil {
		t.Errorf("stored voided %v with %d tracking events, want voided with the 1", sh.Voided, len(sh.TrackingEvents))
	}
	if keys := h.keys("shipstation.t"); len(keys) != 0 {
		t.Errorf("tracked shipments %v, want none", keys)
	}
	h.noDLQ()
}

// Labels and the tracking of their parcels at the same time, 20 parcels:
// each parcel is one shipment, whichever arrived first.
func TestLabelAndTrackAtOnce(t *testing.T) {
	h := newHarness(t, nil)
	const n = 20
	var labels []any
	for i := range n {
		l := labelRecord(false)
		l["shipmentId"], l["trackingNumber"] = 5000+i, fmt.Sprintf("9400111899220000000%03d", i)
		labels = append(labels, l)
	}
	h.serve("/shipments", "race", labels...)
	h.start()
	for i := range n {
		if i == n/2 {
			h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=race")
		}
		h.track(editTrack(t, trackExample(t, ""), func(d map[string]any) {
			d["tracking_number"] = fmt.Sprintf("9400111899220000000%03d", i)
		}))
	}
	h.settled()
	for i := range n {
		number := fmt.Sprintf("9400111899220000000%03d", i)
		var holders []string
		for _, key := range h.keys("shipstation.") {
			if sh, _ := h.stored(key); sh.TrackingNumber == number {
				holders = append(holders, key)
				if sh.Source != model.SourceLabel || sh.DeliveryStatus != model.DeliveryInTransit {
					t.Errorf("%s: source %s, status %s; want the label, in transit", key, sh.Source, sh.DeliveryStatus)
				}
			}
		}
		if len(holders) != 1 {
			t.Errorf("parcel %s is in %d shipments %v, want 1", number, len(holders), holders)
		}
	}
	h.trackEvents() // the contract
	h.noDLQ()
}

// The older ShipEngine-style track webhook (API_TRACK, shipped_date, the
// parcel also named in the resource_url) is read like TRACK_EVENT_V2.
func TestAPITrack(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	et, _ := catalog.Webhook(catalog.ShipStation, "API_TRACK")
	body, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	h.webhook(catalog.ShipStation, "API_TRACK", body)
	h.settled()
	want := []string{"shipments.shipstation.delivery_updated.t781234567890/in_transit"}
	if got := h.trackEvents(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	sh, _ := h.stored("shipstation.t781234567890")
	if sh.Carrier != model.CarrierFedEx || sh.ShipDate == nil || !sh.ShipDate.Equal(utc("2025-06-03T17:00:00Z")) ||
		len(sh.TrackingEvents) != 2 || sh.TrackingEvents[0].Code != "PU" || sh.TrackingURL == "" {
		t.Errorf("stored shipment %+v", sh)
	}
	h.noDLQ()
}

// A track webhook that cannot be read goes to the DLQ once, on the first
// attempt, saying why; nothing is published or indexed.
func TestTrackMalformed(t *testing.T) {
	cases := []struct {
		name, errText string
		edit          func(d map[string]any)
		body          string
	}{
		{name: "no data", body: `{"resource_url":"https://api.shipstation.com/v2/labels/se-1/track","resource_type":"TRACK_EVENT_V2"}`, errText: "has no data object"},
		{name: "no tracking number", edit: func(d map[string]any) { d["tracking_number"] = nil }, errText: "has no tracking_number"},
		{name: "events not a list", edit: func(d map[string]any) { d["events"] = map[string]any{"occurred_at": "2025-06-05T03:12:00Z"} }, errText: "cannot unmarshal"},
		{name: "event without a time", edit: func(d map[string]any) {
			d["events"].([]any)[0].(map[string]any)["occurred_at"] = nil
		}, errText: "events[0] has no occurred_at"},
		{name: "unreadable time", edit: func(d map[string]any) { d["actual_delivery_date"] = "yesterday" }, errText: `time "yesterday" is not RFC 3339`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.start()
			body := []byte(tc.body)
			if tc.edit != nil {
				body = editTrack(t, trackExample(t, ""), tc.edit)
			}
			h.track(body)
			natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
			h.settled()
			entries := h.dlq()
			if len(entries) != 1 || entries[0].Attempts != 1 || !strings.Contains(entries[0].Error, tc.errText) {
				t.Errorf("%d DLQ entries; first: attempts %d, error %q; want one, after one attempt, saying %q",
					len(entries), entries[0].Attempts, entries[0].Error, tc.errText)
			}
			if got := h.trackEvents(); len(got) != 0 {
				t.Errorf("events published: %v", got)
			}
			if keys := h.keys(""); len(keys) != 0 {
				t.Errorf("keys written: %v", keys)
			}
		})
	}
}

// The tracking index names the shipment of each number.
func TestTrackingIndex(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.track(trackExample(t, ""))
	h.settled()
	key := shipmenttracker.TrackingIndexKey(model.ProviderShipStation, "", " 9400 1118 9922 3344 5566 77 ")
	idx, ok := h.storedIndex(key)
	if !ok || idx.ShipmentID != "shipstation:t"+trackedNumber || idx.TrackingNumber != trackedNumber {
		t.Errorf("%s: %+v (found %v)", key, idx, ok)
	}
}

// storedIndex reads a tracking number's index entry from the shipments
// bucket.
func (h *harness) storedIndex(key string) (shipmenttracker.TrackingIndex, bool) {
	h.t.Helper()
	return consumertest.Stored[shipmenttracker.TrackingIndex](h.Env, state.BucketShipments, key)
}

// A shipment stored by the version before delivery statuses (no delivery
// fields, the event name in its fingerprint), then its webhook again: the
// state is rewritten in the new form and published once more as
// tracking_updated (a Snipcart shipment has no other event), not sent to
// the DLQ; then it is quiet again.
func TestShipmentStoredBeforeDeliveryStatus(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	body := snipcartTracking(t, nil)
	h.webhook(catalog.Snipcart, "order.trackingNumber.changed", body)
	h.settled()

	const key = "snipcart.1912e4c1-d008-4c15-ab12-fe21a76d30d4"
	kv := h.Bucket(state.BucketShipments)
	entry, err := kv.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var rec state.Record
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		t.Fatal(err)
	}
	var old map[string]any
	if err := json.Unmarshal(rec.State, &old); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"delivery_status", "delivery_description", "tracking_events", "tracked_at", "estimated_delivery_at", "delivered_at"} {
		delete(old, field)
	}
	rec.State, _ = json.Marshal(old)
	rec.Fingerprint = catalog.ShipmentTrackingUpdated + ":0123456789abcdef"
	b, _ := json.Marshal(rec)
	if _, err := kv.Update(context.Background(), key, b, entry.Revision()); err != nil {
		t.Fatal(err)
	}

	h.webhook(catalog.Snipcart, "order.trackingNumber.changed", body)
	h.settled()
	h.webhook(catalog.Snipcart, "order.trackingNumber.changed", body)
	h.settled()
	h.noDLQ()
	if n := h.published("shipments.snipcart.tracking_updated.>"); n != 2 {
		t.Errorf("%d tracking_updated events, want 2 (the first, then the new form once)", n)
	}
	if sh, _ := h.stored(key); sh.DeliveryStatus != model.DeliveryUnknown || sh.TrackingEvents == nil {
		t.Errorf("stored state not rewritten: %+v", sh)
	}
	h.trackEvents()
}
