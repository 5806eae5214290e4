package shipmenttracker_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
)

// reconciled publishes a record the reconciler found, as it does: the
// record as data, on the reconciled subject of kind, with source.
func (h *harness) reconciled(kind, source string, record any) {
	h.t.Helper()
	et, err := catalog.Reconciliation(catalog.ShipStation, kind)
	if err != nil {
		h.t.Fatal(err)
	}
	data, err := json.Marshal(record)
	if err != nil {
		h.t.Fatal(err)
	}
	h.reconciledN++
	msg, err := ce.NewMsg(et.Subject, ce.Attributes{
		ID: fmt.Sprintf("reconciled-%d", h.reconciledN), Source: source, Type: et.Type,
		DataContentType: event.ApplicationJSON,
	}, data)
	if err != nil {
		h.t.Fatal(err)
	}
	h.Publish(msg)
}

// TestReconciledLabelIsTheWebhooksLabel: the same label found by the
// reconciler and fetched for a SHIP_NOTIFY, in either order, is one
// tracking_updated, and keeps the store learned first (the store is not in
// ShipStation's record).
func TestReconciledLabelIsTheWebhooksLabel(t *testing.T) {
	h := newHarness(t, nil)
	h.serve("/shipments", "1", labelRecord(false))
	h.start()

	h.shipStation("SHIP_NOTIFY", "/shipments", "storeID=123456&batchId=1")
	h.settled()
	h.reconciled(catalog.ReconciledShipment, "/shipstation", labelRecord(false))
	h.settled()
	if n := h.published(trackingUpdated); n != 1 {
		t.Errorf("webhook then reconciler: %d tracking_updated, want 1", n)
	}
	if sh, _ := h.stored("shipstation.33974374"); sh.Store != "123456" {
		t.Errorf("store %q, want the webhook's 123456", sh.Store)
	}

	// The other way round, for a fulfillment: the reconciler first.
	fulfillment := map[string]any{
		"fulfillmentId": 555, "orderId": 43945660, "orderNumber": "100038-1", "trackingNumber": "1Z999",
		"createDate": "2024-07-01T08:16:12.1230000", "shipDate": "2024-07-01T09:00:00.0000000", "carrierCode": "UPS",
		"voided": false, "voidRequested": false,
	}
	h.serve("/fulfillments", "2", fulfillment)
	h.reconciled(catalog.ReconciledFulfillment, "/shipstation/stores/777", fulfillment)
	h.settled()
	h.shipStation("FULFILLMENT_SHIPPED", "/fulfillments", "storeID=123456&batchId=2")
	h.settled()
	if n := h.published(trackingUpdated); n != 2 {
		t.Errorf("reconciler then webhook: %d tracking_updated in all, want 2", n)
	}
	if sh, _ := h.stored("shipstation.f555"); sh.Store != "777" {
		t.Errorf("store %q, want the reconciler's 777", sh.Store)
	}
	// A newer state of the label (voided) is a change, whoever brings it.
	h.reconciled(catalog.ReconciledShipment, "/shipstation", labelRecord(true))
	h.settled()
	if n := h.published(voided); n != 1 {
		t.Errorf("%d voided, want 1", n)
	}
	if len(h.dlq()) != 0 {
		t.Errorf("dead letters: %+v", h.dlq())
	}
}

// TestReconciledRecordUnreadable: a reconciled event whose data is not the
// record goes to the DLQ, naming why.
func TestReconciledRecordUnreadable(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.reconciled(catalog.ReconciledShipment, "/shipstation", []int{1})
	h.reconciled(catalog.ReconciledFulfillment, "/shipstation", map[string]any{"fulfillmentId": 1})
	h.settled()
	if got := len(h.dlq()); got != 2 {
		t.Errorf("%d dead letters, want 2: %+v", got, h.dlq())
	}
	if n := h.Published(catalog.StreamShipments, "shipments.>"); n != 0 {
		t.Errorf("%d events published", n)
	}
}
