package shipmenttracker_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

const v2Key = "v2-api-key"

// v2Harness is the harness with the ShipStation V2 sandbox API configured
// as SHIPSTATION_V2_API_URL (env adds to the service's environment).
type v2Harness struct {
	*harness
	v2    *sandbox.ShipStationV2API
	v2URL string
}

func newV2Harness(t *testing.T, env map[string]string) *v2Harness {
	t.Helper()
	api := sandbox.NewShipStationV2API(v2Key)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	vars := map[string]string{"SHIPSTATION_V2_API_KEY": v2Key, "SHIPSTATION_V2_API_URL": srv.URL}
	for k, v := range env {
		vars[k] = v
	}
	return &v2Harness{harness: newHarness(t, vars), v2: api, v2URL: srv.URL}
}

// shipped publishes a FULFILLMENT_SHIPPED_V2 for <V2 API>/v2/fulfillments?query.
func (h *v2Harness) shipped(query string) {
	h.t.Helper()
	h.webhook(catalog.ShipStation, "FULFILLMENT_SHIPPED_V2", resourceBody(h.v2URL+shipstation.V2FulfillmentsPath+"?"+query, "FULFILLMENT_SHIPPED_V2"))
}

// A FULFILLMENT_SHIPPED_V2 naming one fulfillment: one tracking_updated
// event carrying the canonical shipment (source fulfillment, the V2 id
// scheme); the same webhook again publishes nothing.
func TestFulfillmentShippedV2(t *testing.T) {
	h := newV2Harness(t, nil)
	h.start()
	h.shipped("fulfillment_id=se-5550001&shipment_id=se-7770001")
	natstest.Eventually(t, "one event", func() bool { return h.published(trackingUpdated) == 1 })
	h.shipped("fulfillment_id=se-5550001&shipment_id=se-7770001")
	h.settled()
	events := h.events()
	if len(events) != 1 || len(h.dlq()) != 0 {
		t.Fatalf("%d events, %d DLQ entries; want 1 and none", len(events), len(h.dlq()))
	}
	sh := events[0].Shipment
	switch {
	case sh.ID != "shipstation:v2f_se-5550001", sh.OrderID != "shipstation:v2s_se-7770001",
		sh.Source != model.SourceFulfillment, sh.Voided, sh.TrackingNumber == "",
		sh.TrackingURL == "", sh.ShipDate == nil, !strings.HasPrefix(sh.OrderNumber, "V2-"),
		sh.Carrier == model.Carrier("") || sh.RawCarrier == "":
		t.Errorf("shipment %+v", sh)
	}
	if err := sh.Validate(); err != nil {
		t.Error(err)
	}
	if !strings.HasSuffix(events[0].Subject, ".v2f_se-5550001") {
		t.Errorf("subject %s", events[0].Subject)
	}
	if stored, ok := h.stored("shipstation.v2f_se-5550001"); !ok || stored.TrackingNumber != sh.TrackingNumber {
		t.Errorf("stored %+v, %v", stored, ok)
	}
	if n := h.v2.RequestsFor(shipstation.V2FulfillmentsPath); n != 2 {
		t.Errorf("%d V2 API requests, want one per delivery", n)
	}
}

// A split shipment of 230 fulfillments: three pages, 230 events; then the
// same fulfillments voided (230 voided events), and the earlier unvoided
// view arriving late publishes nothing.
func TestFulfillmentShippedV2PagesAndVoidOutOfOrder(t *testing.T) {
	h := newV2Harness(t, nil)
	const query = "shipment_id=se-8880001"
	h.v2.SetSize(shipstation.V2FulfillmentsPath, query, 230)
	h.start()
	h.shipped(query)
	natstest.Eventually(t, "230 events", func() bool { return h.published(trackingUpdated) == 230 })
	h.settled()
	if n := h.v2.RequestsFor(shipstation.V2FulfillmentsPath); n != 3 {
		t.Errorf("%d page requests, want 3", n)
	}
	if idx := h.index("shipstation:v2s_se-8880001"); len(idx.Shipments) != 230 {
		t.Errorf("the order's index lists %d shipments, want 230", len(idx.Shipments))
	}

	h.v2.SetVoided(query, true)
	h.shipped(query)
	natstest.Eventually(t, "230 voided events", func() bool { return h.published(voided) == 230 })
	h.v2.SetVoided(query, false) // the older view, delivered late
	h.shipped(query)
	h.settled()
	if tu, v := h.published(trackingUpdated), h.published(voided); tu != 230 || v != 230 || len(h.dlq()) != 0 {
		t.Errorf("%d tracking_updated, %d voided, %d DLQ entries; want 230, 230, none", tu, v, len(h.dlq()))
	}
	first := h.events()[0].Shipment
	if sh, ok := h.stored(first.Key()); !ok || !sh.Voided || sh.VoidedAt == nil {
		t.Errorf("stored %+v (found %v) after the late unvoided view; want it voided", sh, ok)
	}
}

// The V2 API's answers decide retry or DLQ: 429 and 5xx are retried and
// the events come; a refused key, a malformed page and a foreign host go to
// the DLQ on the first attempt; 5xx forever after every attempt.
func TestFulfillmentShippedV2APIErrors(t *testing.T) {
	cases := []struct {
		name     string
		env      map[string]string
		set      func(*v2Harness)
		events   int
		attempts int // of the DLQ entry; 0: none
		errText  string
	}{
		{"rate limited", nil, func(h *v2Harness) { h.v2.FailNext(2, http.StatusTooManyRequests) }, 1, 0, ""},
		{"server errors", nil, func(h *v2Harness) { h.v2.FailNext(2, http.StatusInternalServerError) }, 1, 0, ""},
		{"server errors forever", nil, func(h *v2Harness) { h.v2.FailNext(1000, http.StatusServiceUnavailable) }, 0, 3, "503"},
		{"wrong key", map[string]string{"SHIPSTATION_V2_API_KEY": "not-the-key"}, nil, 0, 1, "refused (401)"},
		{"malformed page", nil, func(h *v2Harness) { h.v2.MalformNext(1) }, 0, 1, "fulfillments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newV2Harness(t, tc.env)
			if tc.set != nil {
				tc.set(h)
			}
			h.start()
			h.shipped("fulfillment_id=se-1&shipment_id=se-2")
			natstest.Eventually(t, "the outcome", func() bool {
				return h.published(trackingUpdated) == uint64(tc.events) && (tc.attempts == 0 || len(h.dlq()) == 1)
			})
			h.settled()
			entries := h.dlq()
			switch {
			case tc.attempts == 0 && len(entries) != 0:
				t.Errorf("DLQ entry %q, want none", entries[0].Error)
			case tc.attempts > 0 && (len(entries) != 1 || entries[0].Attempts != tc.attempts || !strings.Contains(entries[0].Error, tc.errText)):
				t.Errorf("DLQ %+v; want one entry after %d attempts saying %q", entries, tc.attempts, tc.errText)
			}
			if n := h.published(trackingUpdated); n != uint64(tc.events) {
				t.Errorf("%d events, want %d", n, tc.events)
			}
		})
	}
}

// A resource_url on a host other than the configured V2 API is refused
// before any request, and without a V2 key the event goes to the DLQ
// naming SHIPSTATION_V2_API_KEY while V1 keeps working.
func TestFulfillmentShippedV2Refusals(t *testing.T) {
	t.Run("foreign host", func(t *testing.T) {
		h := newV2Harness(t, nil)
		h.start()
		h.webhook(catalog.ShipStation, "FULFILLMENT_SHIPPED_V2", resourceBody("https://api.shipstation.com.evil.example/v2/fulfillments?fulfillment_id=se-1", "FULFILLMENT_SHIPPED_V2"))
		natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
		if e := h.dlq()[0]; e.Attempts != 1 || !strings.Contains(e.Error, "host is not allowed") {
			t.Errorf("attempts %d, error %q", e.Attempts, e.Error)
		}
	})
	t.Run("no V2 key", func(t *testing.T) {
		h := newV2Harness(t, map[string]string{"SHIPSTATION_V2_API_KEY": ""})
		h.api.SetFulfillmentBatchSize("ff-2", 2)
		h.start()
		h.shipped("fulfillment_id=se-1&shipment_id=se-2")
		h.shipStation("FULFILLMENT_SHIPPED", "/fulfillments", "batchId=ff-2")
		natstest.Eventually(t, "a DLQ entry and the V1 events", func() bool { return len(h.dlq()) == 1 && h.published(trackingUpdated) == 2 })
		h.settled()
		if e := h.dlq()[0]; e.Attempts != 1 || !strings.Contains(e.Error, "SHIPSTATION_V2_API_KEY") || e.OriginalSubject != "webhooks.shipstation.fulfillment_shipped_v2" {
			t.Errorf("attempts %d, error %q, subject %s", e.Attempts, e.Error, e.OriginalSubject)
		}
		if n := h.v2.Requests(); n != 0 {
			t.Errorf("%d V2 API requests without a key", n)
		}
	})
}

// The V2 API gives out on page 2 of 3: the retry resumes at page 2, page 1
// is not fetched again, and every fulfillment is published once.
func TestFulfillmentShippedV2ResumesPaging(t *testing.T) {
	h := newV2Harness(t, nil)
	const query = "shipment_id=se-9990001"
	h.v2.SetSize(shipstation.V2FulfillmentsPath, query, 250)
	h.v2.FailPage(2, 1)
	h.start()
	h.shipped(query)
	natstest.Eventually(t, "250 events", func() bool { return h.published(trackingUpdated) == 250 })
	h.settled()
	if p1, p2, p3 := h.v2.PageRequests(1), h.v2.PageRequests(2), h.v2.PageRequests(3); p1 != 1 || p2 != 2 || p3 != 1 || len(h.dlq()) != 0 {
		t.Errorf("page requests %d, %d, %d and %d DLQ entries; want 1, 2, 1 and none", p1, p2, p3, len(h.dlq()))
	}
	if n := h.published(trackingUpdated); n != 250 {
		t.Errorf("%d events, want 250", n)
	}
}
