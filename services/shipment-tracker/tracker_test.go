package shipmenttracker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
	"github.com/hookstream/hookstream/schemas"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

const (
	trackingUpdated = "shipments.shipstation.tracking_updated.>"
	voided          = "shipments.shipstation.voided.>"
)

// A SHIP_NOTIFY for a batch of 600 labels: two page requests, one event per
// label (tracking_updated, or voided for the labels the sandbox made voided,
// about one in ten), each carrying a valid canonical shipment, and each
// label in its order's index. The same webhook again publishes nothing.
// The case as worded: 600 labels, none voided → 600
// tracking_updated events from 2 page requests.
func TestShipNotifyBatchOf600UnvoidedLabels(t *testing.T) {
	h := newHarness(t, nil)
	h.api.SetVoidRate(0)
	h.start()
	h.api.SetShipmentBatchSize("clean-600", 600)
	h.shipStation("SHIP_NOTIFY", "/shipments", "storeID=123456&batchId=clean-600")
	natstest.Eventually(t, "600 events", func() bool { return h.published(trackingUpdated) >= 600 })
	h.settled()
	if n, v, r := h.published(trackingUpdated), h.published(voided), h.api.RequestsFor("/shipments"); n != 600 || v != 0 || r != 2 {
		t.Errorf("%d tracking_updated, %d voided, %d page requests; want 600, 0, 2", n, v, r)
	}
}

func TestShipNotifyBatchOf600Labels(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.api.SetShipmentBatchSize("labels-600", 600)
	h.shipStation("SHIP_NOTIFY", "/shipments", "storeID=123456&batchId=labels-600")
	natstest.Eventually(t, "600 events", func() bool { return h.published(trackingUpdated)+h.published(voided) >= 600 })
	h.settled()
	if n := h.api.RequestsFor("/shipments"); n != 2 {
		t.Errorf("%d page requests, want 2", n)
	}

	// What ShipStation (the sandbox) says, to compare with.
	labels := fetchShipments(t, h, "/shipments?storeID=123456&batchId=labels-600")
	if len(labels) != 600 {
		t.Fatalf("the sandbox lists %d labels, want 600", len(labels))
	}
	var wantVoided int
	byID := map[string]shipstation.Shipment{}
	for _, l := range labels {
		byID["shipstation:"+itoa(l.ShipmentID)] = l
		if l.Voided {
			wantVoided++
		}
	}
	if n := h.published(trackingUpdated); n != uint64(600-wantVoided) {
		t.Errorf("%d tracking_updated events, want %d (one per label not voided)", n, 600-wantVoided)
	}
	if n := h.published(voided); n != uint64(wantVoided) {
		t.Errorf("%d voided events, want %d (one per voided label)", n, wantVoided)
	}
	t.Logf("the sandbox made %d of 600 labels voided", wantVoided)
	if wantVoided == 0 {
		t.Error("no voided label in the batch: the voided path went untested")
	}

	sch, err := schemas.Compile("canonical/shipment.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range h.events() {
		sh := ev.Shipment
		l, ok := byID[sh.ID]
		if !ok || seen[sh.ID] {
			t.Fatalf("event for %s: known %v, seen before %v", sh.ID, ok, seen[sh.ID])
		}
		seen[sh.ID] = true
		wantSubject, wantType := trackingUpdated, "dev.hookstream.shipment.tracking_updated"
		if l.Voided {
			wantSubject, wantType = voided, "dev.hookstream.shipment.voided"
		}
		wantSubject = entitySubject(wantSubject, sh.Key())
		if ev.Subject != wantSubject || ev.Event.Type() != wantType || sh.Voided != l.Voided {
			t.Errorf("%s: subject %s, type %s, voided %v; label voided %v", sh.ID, ev.Subject, ev.Event.Type(), sh.Voided, l.Voided)
		}
		if ev.MsgID != sh.ID+"@1" || ev.Event.ID() != ev.MsgID || ev.Event.Subject() != sh.ID || ev.Event.Extensions()["entityversion"] != "1" {
			t.Errorf("%s: Nats-Msg-Id %q, ce-id %q, ce-subject %q", sh.ID, ev.MsgID, ev.Event.ID(), ev.Event.Subject())
		}
		if ev.Event.Extensions()["traceparent"] == nil {
			t.Errorf("%s: the webhook's trace context was not carried over", sh.ID)
		}
		if sh.Store != "123456" || sh.OrderID != "shipstation:"+itoa(l.OrderID) || sh.TrackingNumber != l.TrackingNumber || sh.Source != model.SourceLabel {
			t.Errorf("%s: store %q, order %q, tracking %q, source %q", sh.ID, sh.Store, sh.OrderID, sh.TrackingNumber, sh.Source)
		}
		if sh.Carrier != model.NormaliseCarrier(l.CarrierCode) || sh.Carrier == model.CarrierOther || !strings.HasPrefix(sh.TrackingURL, "https://") {
			t.Errorf("%s: carrier %q (raw %q), url %q", sh.ID, sh.Carrier, sh.RawCarrier, sh.TrackingURL)
		}
		if err := sch.Validate(decodeNumbers(t, ev.Event.Data())); err != nil {
			t.Errorf("%s does not validate against the canonical schema: %v", sh.ID, err)
		}
		if idx := h.index(sh.OrderID); !slices.Equal(idx.Shipments, []string{sh.ID}) || idx.OrderID != sh.OrderID {
			t.Errorf("index of %s = %+v, want [%s]", sh.OrderID, idx, sh.ID)
		}
	}
	if len(seen) != 600 {
		t.Errorf("%d labels published, want 600", len(seen))
	}
	if keys := h.keys(shipmenttracker.OrderIndexKey("shipstation:")); len(keys) != 600 {
		t.Errorf("%d order indexes, want 600 (one per order)", len(keys))
	}

	h.shipStation("SHIP_NOTIFY", "/shipments", "storeID=123456&batchId=labels-600")
	h.settled()
	if n := h.published(trackingUpdated) + h.published(voided); n != 600 {
		t.Errorf("%d events after the same webhook again, want still 600", n)
	}
	if len(h.dlq()) != 0 {
		t.Error("DLQ is not empty")
	}
}

// A label tracked, then voided: voided once. The older (tracked) update
// delivered again, and the voided one again, publish nothing.
func TestLabelVoidedAfterTracking(t *testing.T) {
	h := newHarness(t, nil)
	h.serve("/shipments", "tracked", labelRecord(false))
	h.serve("/shipments", "voided", labelRecord(true))
	h.start()

	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=tracked")
	h.settled()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=voided")
	h.settled()
	if tu, v := h.published(trackingUpdated), h.published(voided); tu != 1 || v != 1 {
		t.Fatalf("%d tracking_updated and %d voided events, want 1 and 1", tu, v)
	}
	events := h.events()
	last := events[len(events)-1].Shipment
	if !last.Voided || last.VoidedAt == nil || last.VoidedAt.Format("2006-01-02T15:04:05Z07:00") != "2024-07-03T17:00:00Z" {
		t.Errorf("voided event: voided %v at %v, want voided at 2024-07-03T17:00:00Z", last.Voided, last.VoidedAt)
	}

	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=tracked") // the older update again
	h.settled()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=voided")
	h.settled()
	if tu, v := h.published(trackingUpdated), h.published(voided); tu != 1 || v != 1 {
		t.Errorf("%d tracking_updated and %d voided events after the replays, want still 1 and 1", tu, v)
	}
	if sh, ok := h.stored("shipstation.33974374"); !ok || !sh.Voided {
		t.Errorf("stored shipment voided %v (found %v), want voided", sh.Voided, ok)
	}
	if idx := h.index("shipstation:43945660"); !slices.Equal(idx.Shipments, []string{"shipstation:33974374"}) {
		t.Errorf("index %+v, want the one label", idx)
	}
	if len(h.dlq()) != 0 {
		t.Error("DLQ is not empty")
	}
}

// The void arrives before the tracking update: voided once, and the
// stale tracking update publishes nothing and does not un-void the label.
func TestLabelUpdatesOutOfOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.serve("/shipments", "tracked", labelRecord(false))
	h.serve("/shipments", "voided", labelRecord(true))
	h.start()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=voided")
	h.settled()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=tracked")
	h.settled()
	if tu, v := h.published(trackingUpdated), h.published(voided); tu != 0 || v != 1 {
		t.Errorf("%d tracking_updated and %d voided events, want 0 and 1", tu, v)
	}
	if sh, _ := h.stored("shipstation.33974374"); !sh.Voided {
		t.Error("the stale update un-voided the label")
	}
}

// SHIP_NOTIFY, then ITEM_SHIP_NOTIFY for the same labels: the second adds
// the items (one more event per label); SHIP_NOTIFY again neither removes
// them nor publishes.
func TestItemShipNotifyAddsItems(t *testing.T) {
	h := newHarness(t, nil)
	h.api.SetShipmentBatchSize("items-4", 4)
	h.start()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=items-4")
	h.settled()
	h.shipStation("ITEM_SHIP_NOTIFY", "/shipments", "batchId=items-4&includeShipmentItems=True")
	h.settled()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=items-4")
	h.settled()
	events := h.events()
	if len(events) != 8 {
		t.Fatalf("%d events, want 8 (4 without items, then 4 with)", len(events))
	}
	for i, ev := range events {
		if withItems := len(ev.Shipment.Items) > 0; withItems != (i >= 4) {
			t.Errorf("event %d of %s has %d items", i, ev.Shipment.ID, len(ev.Shipment.Items))
		}
		if sh, _ := h.stored(ev.Shipment.Key()); len(sh.Items) == 0 {
			t.Errorf("stored %s has no items", sh.ID)
		}
	}
}

// FULFILLMENT_SHIPPED with carriers in display case: normalised carrier,
// the raw one kept, and the carrier's tracking page; none for a carrier
// hookstream does not know.
func TestFulfillmentShippedDisplayCarriers(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct {
		display string
		carrier model.Carrier
		url     string
	}{
		{"USPS", model.CarrierUSPS, "https://tools.usps.com/go/TrackConfirmAction?tLabels=TN-1"},
		{"UPS", model.CarrierUPS, "https://www.ups.com/track?tracknum=TN-2"},
		{"FedEx", model.CarrierFedEx, "https://www.fedex.com/fedextrack/?trknbr=TN-3"},
		{"DHL Express", model.CarrierDHLExpress, "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=TN-4"},
		{"Canada Post", model.CarrierCanadaPost, "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=TN-5"},
		{"Royal Mail", model.CarrierRoyalMail, "https://www.royalmail.com/track-your-item?trackNumber=TN-6"},
		{"Australia Post", model.CarrierAustraliaPost, "https://auspost.com.au/mypost/track/details/TN-7"},
		{"Speedy Parcels", model.CarrierOther, ""},
	}
	var records []any
	for i, tc := range cases {
		records = append(records, map[string]any{
			"fulfillmentId": 7000 + i, "orderId": 43945660, "orderNumber": "100038-1",
			"trackingNumber": "TN-" + itoa(int64(i+1)), "createDate": "2024-07-01T08:16:12.1230000",
			"shipDate": "2024-07-01T09:00:00.0000000", "carrierCode": tc.display,
			"voided": false, "voidRequested": false,
		})
	}
	h.serve("/fulfillments", "display", records...)
	h.start()
	h.shipStation("FULFILLMENT_SHIPPED", "/fulfillments", "storeID=5&batchId=display")
	h.settled()

	events := h.events()
	if len(events) != len(cases) {
		t.Fatalf("%d events, want %d", len(events), len(cases))
	}
	var ids []string
	for i, tc := range cases {
		ev := events[i]
		sh := ev.Shipment
		if ev.Subject != entitySubject(trackingUpdated, sh.Key()) || sh.Carrier != tc.carrier || sh.RawCarrier != tc.display || sh.TrackingURL != tc.url {
			t.Errorf("%s: subject %s, carrier %q (raw %q), url %q; want %q, %q", tc.display, ev.Subject, sh.Carrier, sh.RawCarrier, sh.TrackingURL, tc.carrier, tc.url)
		}
		if sh.ID != "shipstation:f"+itoa(int64(7000+i)) || sh.Source != model.SourceFulfillment || sh.Store != "5" {
			t.Errorf("%s: id %q, source %q, store %q", tc.display, sh.ID, sh.Source, sh.Store)
		}
		ids = append(ids, sh.ID)
	}
	slices.Sort(ids)
	if idx := h.index("shipstation:43945660"); !slices.Equal(idx.Shipments, ids) {
		t.Errorf("index %v, want all %d fulfillments of the order", idx.Shipments, len(ids))
	}
}

// FULFILLMENT_SHIPPED against the sandbox's fulfillments (USPS, UPS, FedEx
// in display case), then the same fulfillments voided.
func TestFulfillmentShippedAndVoided(t *testing.T) {
	h := newHarness(t, nil)
	h.api.SetFulfillmentBatchSize("ff-20", 20)
	h.start()
	h.shipStation("FULFILLMENT_SHIPPED", "/fulfillments", "batchId=ff-20")
	h.settled()
	if n := h.published(trackingUpdated); n != 20 {
		t.Fatalf("%d tracking_updated events, want 20", n)
	}
	carriers := map[model.Carrier]bool{}
	for _, ev := range h.events() {
		sh := ev.Shipment
		carriers[sh.Carrier] = true
		if sh.RawCarrier != strings.ToUpper(sh.RawCarrier) && sh.RawCarrier != "FedEx" {
			t.Errorf("%s: raw carrier %q is not the display name", sh.ID, sh.RawCarrier)
		}
		if model.TrackingURL(string(sh.Carrier), sh.TrackingNumber) != sh.TrackingURL || sh.TrackingURL == "" {
			t.Errorf("%s: carrier %q, url %q", sh.ID, sh.Carrier, sh.TrackingURL)
		}
	}
	for c := range carriers {
		if c != model.CarrierUSPS && c != model.CarrierUPS && c != model.CarrierFedEx {
			t.Errorf("carrier %q from the sandbox's USPS, UPS and FedEx", c)
		}
	}

	// The same fulfillments, voided.
	fulfillments := fetchRaw(t, h, "/fulfillments?batchId=ff-20", "fulfillments")
	for _, f := range fulfillments {
		f["voided"] = true
	}
	h.serve("/fulfillments", "ff-20-voided", toAny(fulfillments)...)
	h.shipStation("FULFILLMENT_SHIPPED", "/fulfillments", "batchId=ff-20-voided")
	h.settled()
	h.shipStation("FULFILLMENT_SHIPPED", "/fulfillments", "batchId=ff-20") // stale
	h.settled()
	if tu, v := h.published(trackingUpdated), h.published(voided); tu != 20 || v != 20 {
		t.Errorf("%d tracking_updated and %d voided events, want 20 and 20", tu, v)
	}
}

// A Snipcart tracking-number change for an order that already has a
// number: one event with the new number; the same webhook again, and the
// older one again, publish nothing.
func TestSnipcartTrackingChange(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	previous := snipcartTracking(t, func(m map[string]any) {
		m["createdOn"], m["trackingNumber"] = "2017-10-05T10:00:00Z", "111122223333"
		delete(m, "trackingUrl") // no URL: one is built from the carrier
		content := m["content"].(map[string]any)
		content["modificationDate"], content["trackingNumber"], content["trackingUrl"] = "2017-10-05T10:00:00Z", "111122223333", nil
	})
	changed := snipcartTracking(t, nil) // 794644790132, at 14:01:37

	h.webhook(catalog.Snipcart, "order.trackingNumber.changed", previous)
	h.settled()
	h.webhook(catalog.Snipcart, "order.trackingNumber.changed", changed)
	h.settled()
	const subject = "shipments.snipcart.tracking_updated.>"
	if n := h.published(subject); n != 2 {
		t.Fatalf("%d events, want 2 (the previous number, then the new one)", n)
	}
	events := h.events()
	if first := events[0].Shipment; first.TrackingNumber != "111122223333" || first.TrackingURL != "https://www.fedex.com/fedextrack/?trknbr=111122223333" {
		t.Errorf("first event: number %q, url %q", first.TrackingNumber, first.TrackingURL)
	}
	sh := events[1].Shipment
	if sh.TrackingNumber != "794644790132" || sh.TrackingURL != "https://www.fedex.com/fedextrack/?trknbr=794644790132" ||
		sh.ID != "snipcart:1912e4c1-d008-4c15-ab12-fe21a76d30d4" || sh.Carrier != model.CarrierFedEx || sh.Source != model.SourceMarketplace {
		t.Errorf("new event: %+v", sh)
	}

	h.webhook(catalog.Snipcart, "order.trackingNumber.changed", changed)
	h.webhook(catalog.Snipcart, "order.trackingNumber.changed", previous)
	h.settled()
	if n := h.published(subject); n != 2 {
		t.Errorf("%d events after the redeliveries, want still 2", n)
	}
	if stored, _ := h.stored("snipcart.1912e4c1-d008-4c15-ab12-fe21a76d30d4"); stored.TrackingNumber != "794644790132" {
		t.Errorf("stored number %q, want the new one", stored.TrackingNumber)
	}
	if idx := h.index(sh.OrderID); !slices.Equal(idx.Shipments, []string{sh.ID}) {
		t.Errorf("index %+v", idx)
	}
}

// A 429 with a reset of a couple of seconds is waited out: nothing goes to
// the DLQ and every label is published once.
func TestRateLimitIsWaitedOut(t *testing.T) {
	h := newHarness(t, nil)
	h.api.SetRateLimit(1, 2*time.Second)
	h.start()
	h.api.SetShipmentBatchSize("rl-600", 600)
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=rl-600") // 2 pages: the second meets the 429
	natstest.Eventually(t, "600 events", func() bool { return h.published(trackingUpdated)+h.published(voided) >= 600 })
	h.settled()
	if n := h.published(trackingUpdated) + h.published(voided); n != 600 {
		t.Errorf("%d events, want 600", n)
	}
	if len(h.dlq()) != 0 {
		t.Error("a rate limit sent the message to the DLQ")
	}
}

// 5xx twice, then success: retried with backoff, every label once.
func TestServerErrorsAreRetried(t *testing.T) {
	h := newHarness(t, nil)
	h.api.FailNext(2, http.StatusInternalServerError)
	h.api.SetShipmentBatchSize("b-5", 5)
	h.start()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=b-5")
	natstest.Eventually(t, "5 events", func() bool { return h.published(trackingUpdated)+h.published(voided) >= 5 })
	h.settled()
	if n := h.published(trackingUpdated) + h.published(voided); n != 5 || len(h.dlq()) != 0 {
		t.Errorf("%d events, %d DLQ entries; want 5 and none", n, len(h.dlq()))
	}
}

// 5xx forever: one DLQ entry after MaxDeliver attempts; a redrive once the
// API works brings every label, once.
func TestServerErrorsForeverGoToDLQAndRedrive(t *testing.T) {
	h := newHarness(t, nil)
	h.api.FailNext(1000, http.StatusServiceUnavailable)
	h.api.SetShipmentBatchSize("b-7", 7)
	h.start()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=b-7")
	natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
	h.settled()
	entry := h.dlq()[0]
	if len(h.dlq()) != 1 || entry.Attempts != 3 || !strings.Contains(entry.Error, "503") || entry.OriginalSubject != "webhooks.shipstation.ship_notify" {
		t.Errorf("%d DLQ entries; attempts %d, error %q, subject %s", len(h.dlq()), entry.Attempts, entry.Error, entry.OriginalSubject)
	}
	h.api.FailNext(0, 0)
	if err := dlq.Redrive(context.Background(), h.JS, entry.Seq); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, "7 events after the redrive", func() bool { return h.published(trackingUpdated)+h.published(voided) >= 7 })
	h.settled()
	if n := h.published(trackingUpdated) + h.published(voided); n != 7 || len(h.dlq()) != 0 {
		t.Errorf("%d events, %d DLQ entries after the redrive; want 7 and none", n, len(h.dlq()))
	}
}

// Permanent errors go to the DLQ once, on the first attempt: a malformed
// body (no API call), a Snipcart body that is not a tracking change,
// refused credentials, a foreign resource_url (no request to it).
func TestPermanentErrorsGoToDLQOnce(t *testing.T) {
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	cases := []struct {
		name    string
		send    func(h *harness)
		errText string
	}{
		{"malformed ShipStation body", func(h *harness) {
			h.webhook(catalog.ShipStation, "SHIP_NOTIFY", []byte(`{"resource":"nope"}`))
		}, "not a ShipStation webhook body"},
		{"Snipcart body without an order", func(h *harness) {
			h.webhook(catalog.Snipcart, "order.trackingNumber.changed", []byte(`{"eventName":"order.trackingNumber.changed","mode":"Live","createdOn":"2024-01-01T00:00:00Z","content":{}}`))
		}, "token"},
		{"both keys revoked", func(h *harness) {
			h.api.Revoke(consumertest.PrimaryKey.Key)
			h.api.Revoke(consumertest.SecondaryKey.Key)
			h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=x")
		}, "refused"},
		{"foreign resource_url", func(h *harness) {
			h.webhook(catalog.ShipStation, "SHIP_NOTIFY", resourceBody(foreign.URL+"/shipments?batchId=x", "SHIP_NOTIFY"))
		}, "host is not allowed"},
		{"resource_url of another collection", func(h *harness) {
			h.shipStation("FULFILLMENT_SHIPPED", "/shipments", "batchId=x")
		}, "path is not /fulfillments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.start()
			tc.send(h)
			natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
			h.settled()
			entries := h.dlq()
			if len(entries) != 1 || entries[0].Attempts != 1 || !strings.Contains(entries[0].Error, tc.errText) {
				t.Errorf("%d DLQ entries; first: attempts %d, error %q; want one, after one attempt, saying %q", len(entries), entries[0].Attempts, entries[0].Error, tc.errText)
			}
			if n := h.published(trackingUpdated) + h.published("shipments.snipcart.tracking_updated.>"); n != 0 {
				t.Errorf("%d events published", n)
			}
		})
	}
	if foreignHits.Load() != 0 {
		t.Errorf("the foreign host received %d requests", foreignHits.Load())
	}
}

// A batch with a record that cannot be normalised: the others are
// published, and the message goes to the DLQ once, naming the bad one.
func TestBadRecordDoesNotHoldUpTheBatch(t *testing.T) {
	h := newHarness(t, nil)
	bad := labelRecord(false)
	bad["shipmentId"], bad["orderId"] = 99, 0
	h.serve("/shipments", "mixed", labelRecord(false), bad)
	h.start()
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=mixed")
	natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
	h.settled()
	if n := h.published(trackingUpdated); n != 1 {
		t.Errorf("%d events, want 1 for the good label", n)
	}
	if e := h.dlq()[0]; e.Attempts != 1 || !strings.Contains(e.Error, "shipment 99") {
		t.Errorf("attempts %d, error %q", e.Attempts, e.Error)
	}
}

// Without ShipStation credentials Snipcart still works, and ShipStation
// events go to the DLQ naming the variables to set.
func TestWithoutShipStationCredentials(t *testing.T) {
	h := newHarness(t, map[string]string{
		"SHIPSTATION_API_KEY": "", "SHIPSTATION_API_SECRET": "",
		"SHIPSTATION_API_KEY_SECONDARY": "", "SHIPSTATION_API_SECRET_SECONDARY": "",
	})
	h.start()
	h.webhook(catalog.Snipcart, "order.trackingNumber.changed", snipcartTracking(t, nil))
	h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=x")
	natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
	h.settled()
	if e := h.dlq()[0]; !strings.Contains(e.Error, "SHIPSTATION_API_KEY") || e.Attempts != 1 {
		t.Errorf("attempts %d, error %q", e.Attempts, e.Error)
	}
	if n := h.published("shipments.snipcart.tracking_updated.>"); n != 1 {
		t.Errorf("%d Snipcart events, want 1", n)
	}
	if h.api.Requests() != 0 {
		t.Errorf("%d API requests without credentials", h.api.Requests())
	}
}

// A process that dies after publishing but before acking: the redelivery
// ends as if the message had been handled once.
func TestCrashBetweenPublishAndAck(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if err := h.svc.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	h.api.SetShipmentBatchSize("b-3", 3)
	e := h.shipStation("SHIP_NOTIFY", "/shipments", "batchId=b-3")
	// The first life: everything done, nothing acknowledged.
	if err := h.svc.Handle(ctx, &runner.Message{Event: e, Subject: "webhooks.shipstation.ship_notify", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	revisions := h.revisions()
	// The second life gets the unacknowledged message again.
	h.start()
	h.settled()
	if n := h.published(trackingUpdated) + h.published(voided); n != 3 {
		t.Errorf("%d events, want 3", n)
	}
	if after := h.revisions(); after != revisions {
		t.Errorf("the redelivery wrote to the bucket: %d writes before, %d after", revisions, after)
	}
}

// TestLoad: every bad variable is named, secrets are redacted.
func TestLoad(t *testing.T) {
	t.Parallel()
	_, err := shipmenttracker.Load(func(k string) (string, bool) {
		v, ok := map[string]string{
			"SHIPSTATION_API_KEY":           "k",
			"SHIPSTATION_API_URL":           "ftp://x",
			"SHIPMENTS_MAX_AGE":             "forever",
			"SHIPSTATION_API_KEY_SECONDARY": "k2",
			"CONSUMER_CONCURRENCY":          "0",
		}[k]
		return v, ok
	})
	for _, name := range []string{"SHIPSTATION_API_KEY", "SHIPSTATION_API_URL", "SHIPMENTS_MAX_AGE", "SHIPSTATION_API_KEY_SECONDARY", "CONSUMER_CONCURRENCY"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
	cfg, err := shipmenttracker.Load(func(k string) (string, bool) {
		v, ok := map[string]string{"SHIPSTATION_API_KEY": "sekrit-key", "SHIPSTATION_API_SECRET": "sekrit"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.String(); strings.Contains(s, "sekrit") || !strings.Contains(s, "SHIPSTATION_API_KEY=(set, redacted)") {
		t.Errorf("String() = %s", s)
	}
	if cfg.HealthAddr != shipmenttracker.DefaultHealthAddr || cfg.Shipments.MaxAge != streams.DefaultCanonicalMaxAge {
		t.Errorf("defaults: %+v", cfg)
	}
}

// --- helpers

// labelRecord is label 33974374 of order 43945660 as GET /shipments lists
// it, voided (on 2024-07-03 10:00 Pacific) or not.
func labelRecord(isVoided bool) map[string]any {
	r := map[string]any{
		"shipmentId": 33974374, "orderId": 43945660, "orderNumber": "100038-1",
		"createDate": "2024-07-01T08:16:12.1230000", "shipDate": "2024-07-02",
		"trackingNumber": "9400111899223197428490", "carrierCode": "stamps_com",
		"serviceCode": "usps_priority_mail", "voided": false, "voidDate": nil, "shipmentItems": nil,
	}
	if isVoided {
		r["voided"], r["voidDate"] = true, "2024-07-03T10:00:00.0000000"
	}
	return r
}

// snipcartTracking returns the order.trackingNumber.changed example,
// changed by edit.
func snipcartTracking(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	et, _ := catalog.Webhook(catalog.Snipcart, "order.trackingNumber.changed")
	body, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return body
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, _ := json.Marshal(doc)
	return out
}

// fetchRaw GETs every page of a collection from the harness's API with the
// primary key, as JSON objects.
func fetchRaw(t *testing.T, h *harness, pathAndQuery, key string) []map[string]any {
	t.Helper()
	var all []map[string]any
	for page := 1; ; page++ {
		req, _ := http.NewRequest(http.MethodGet, h.url+pathAndQuery+"&pageSize=500&page="+itoa(int64(page)), nil)
		req.SetBasicAuth(consumertest.PrimaryKey.Key, consumertest.PrimaryKey.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		var list []map[string]any
		if err == nil {
			err = json.Unmarshal(body[key], &list)
		}
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d, %v", pathAndQuery, resp.StatusCode, err)
		}
		all = append(all, list...)
		if len(list) < 500 {
			return all
		}
	}
}

// fetchShipments is fetchRaw for /shipments, decoded as the client does.
func fetchShipments(t *testing.T, h *harness, pathAndQuery string) []shipstation.Shipment {
	t.Helper()
	raw := fetchRaw(t, h, pathAndQuery, "shipments")
	b, _ := json.Marshal(raw)
	var out []shipstation.Shipment
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func toAny(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// keys lists the bucket's keys that start with prefix.
func (h *harness) keys(prefix string) []string {
	h.t.Helper()
	lister, err := h.Bucket(state.BucketShipments).ListKeys(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for k := range lister.Keys() {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// revisions is the number of writes the shipments bucket has seen.
func (h *harness) revisions() uint64 {
	h.t.Helper()
	s, err := h.JS.Stream(context.Background(), "KV_"+state.BucketShipments)
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return info.State.LastSeq
}

// decodeNumbers decodes JSON for the schema validator, which wants
// json.Number for numbers.
func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// entitySubject is the subject of a shipment's event: filter (the catalog
// subject followed by ".>") with the key's tokens after the provider in
// place of the ">".
func entitySubject(filter, key string) string {
	_, tail, _ := strings.Cut(key, ".")
	return strings.TrimSuffix(filter, ">") + tail
}
