package fulfillmentholds_test

import (
	"encoding/json"
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

// newV2Harness is newHarness with the ShipStation V2 sandbox API as
// SHIPSTATION_V2_API_URL; env adds to the environment.
func newV2Harness(t *testing.T, env map[string]string) (*harness, *sandbox.ShipStationV2API, func(query string)) {
	t.Helper()
	api := sandbox.NewShipStationV2API(v2Key)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	vars := map[string]string{"SHIPSTATION_V2_API_KEY": v2Key, "SHIPSTATION_V2_API_URL": srv.URL}
	for k, v := range env {
		vars[k] = v
	}
	h := newHarness(t, vars)
	rejected := func(query string) {
		body, _ := json.Marshal(map[string]string{
			"resource_url":  srv.URL + shipstation.V2FulfillmentsPath + "?" + query,
			"resource_type": "FULFILLMENT_REJECTED_V2",
		})
		h.Webhook(catalog.ShipStation, "FULFILLMENT_REJECTED_V2", body)
	}
	return h, api, rejected
}

// FULFILLMENT_REJECTED_V2 against the V2 sandbox: one rejected event per
// fulfillment, valid against the canonical schema, and none again for the
// same webhook resent.
func TestShipStationV2Rejected(t *testing.T) {
	t.Parallel()
	h, api, rejected := newV2Harness(t, nil)
	api.SetSize(shipstation.V2FulfillmentsPath, "shipment_id=se-4440001", 3)
	h.start()
	rejected("shipment_id=se-4440001")
	natstest.Eventually(t, "3 rejected", func() bool { return len(h.events()) == 3 })
	rejected("shipment_id=se-4440001")
	h.settled()
	events := h.events()
	if len(events) != 3 || len(h.dlq()) != 0 {
		t.Fatalf("%d events, %d DLQ entries; want 3 and none", len(events), len(h.dlq()))
	}
	ids := map[string]bool{}
	for _, e := range events {
		if e.Type() != "dev.hookstream.fulfillment.rejected" {
			t.Errorf("type %s", e.Type())
		}
		rec := validate(t, e)
		if rec.Provider != model.ProviderShipStation || rec.Shop != model.UnknownStore || rec.Status != model.HoldRejected ||
			rec.OrderID != "v2s_se-4440001" || !strings.HasPrefix(rec.FulfillmentOrderID, "v2f_se-") || rec.RequestStatus != "rejected" {
			t.Errorf("record %+v", rec)
		}
		ids[rec.ID] = true
	}
	if len(ids) != 3 {
		t.Errorf("%d distinct fulfillments, want 3", len(ids))
	}
	if n := api.RequestsFor(shipstation.V2FulfillmentsPath); n != 2 {
		t.Errorf("%d requests, want one per delivery", n)
	}
}

// Without a V2 key the event goes to the DLQ on its first attempt naming
// the variable; a refused key and a malformed page too; a 503 is retried.
func TestShipStationV2RejectedErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		env     map[string]string
		set     func(*sandbox.ShipStationV2API)
		events  int
		errText string // of the one DLQ entry, after one attempt; "" none
	}{
		{"no key", map[string]string{"SHIPSTATION_V2_API_KEY": ""}, nil, 0, "SHIPSTATION_V2_API_KEY"},
		{"wrong key", map[string]string{"SHIPSTATION_V2_API_KEY": "wrong"}, nil, 0, "401"},
		{"malformed page", nil, func(a *sandbox.ShipStationV2API) { a.MalformNext(1) }, 0, "fulfillments"},
		{"unavailable once", nil, func(a *sandbox.ShipStationV2API) { a.FailNext(1, http.StatusServiceUnavailable) }, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, api, rejected := newV2Harness(t, tc.env)
			if tc.set != nil {
				tc.set(api)
			}
			h.start()
			rejected("fulfillment_id=se-1&shipment_id=se-2")
			natstest.Eventually(t, "the outcome", func() bool {
				return len(h.events()) == tc.events && (tc.errText == "" || len(h.dlq()) == 1)
			})
			h.settled()
			entries := h.dlq()
			switch {
			case tc.errText == "" && len(entries) != 0:
				t.Errorf("DLQ entry %q, want none", entries[0].Error)
			case tc.errText != "" && (len(entries) != 1 || entries[0].Attempts != 1 || !strings.Contains(entries[0].Error, tc.errText)):
				t.Errorf("DLQ %+v; want one entry after one attempt saying %q", entries, tc.errText)
			}
			if len(h.events()) != tc.events {
				t.Errorf("%d events, want %d", len(h.events()), tc.events)
			}
		})
	}
}
