package shipmenttracker_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/schemas"
)

const (
	shoplineShop        = "1610418123456"
	shoplineOrder       = "shopline:21057401932826316666967110" // the examples' order
	shoplineFulfillment = "shopline:4600740193290131085321"     // the examples' fulfillment
)

// shoplineFulfillmentBody returns the example body of fulfillments/create
// or fulfillments/update with edit applied to its top-level members.
func shoplineFulfillmentBody(t *testing.T, topic string, edit map[string]any) []byte {
	t.Helper()
	body, err := schemas.EditedExample(catalog.Shopline, topic, edit)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// shopline publishes a SHOPLINE webhook as the gateway does, the shop in
// the shopid extension.
func (h *harness) shopline(topic string, body []byte) {
	h.t.Helper()
	h.Webhook(catalog.Shopline, topic, body,
		consumertest.WithSource("/shopline/shops/"+shoplineShop), consumertest.WithExtension("shopid", shoplineShop))
}

// shoplineEvents returns the SHOPLINE shipment events in stream order, each
// checked against the canonical schema, its subject and its type.
func (h *harness) shoplineEvents() []publishedEvent {
	h.t.Helper()
	sch, err := schemas.Compile("canonical/shipment.schema.json")
	if err != nil {
		h.t.Fatal(err)
	}
	var out []publishedEvent
	for _, ev := range h.events() {
		sh := ev.Shipment
		if sh.Provider != model.ProviderShopline {
			continue
		}
		if err := sch.Validate(decodeNumbers(h.t, ev.Event.Data())); err != nil {
			h.t.Errorf("%s does not validate: %v", ev.Subject, err)
		}
		name := strings.TrimPrefix(ev.Event.Type(), "dev.hookstream.shipment.")
		if sh.Voided != (name == catalog.ShipmentVoided) {
			h.t.Errorf("%s: voided %v published as %s", sh.ID, sh.Voided, name)
		}
		if want := entitySubject("shipments.shopline."+name+".>", sh.Key()); ev.Subject != want ||
			ev.Event.Type() != "dev.hookstream.shipment."+name || ev.Event.Subject() != sh.ID {
			h.t.Errorf("%s: subject %s, type %s, ce-subject %s; want %s", sh.ID, ev.Subject, ev.Event.Type(), ev.Event.Subject(), want)
		}
		out = append(out, ev)
	}
	return out
}

// A SHOPLINE fulfillment from creation to cancellation, with a second
// parcel of the same order: an event for every visible change (tracking,
// shipment_status, cancellation), none for a redelivery or an older
// update, the order's index naming both fulfillments, and a cancelled
// fulfillment never un-cancelled.
func TestShoplineFulfillments(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	created := shoplineFulfillmentBody(t, "fulfillments/create", nil)
	inTransit := shoplineFulfillmentBody(t, "fulfillments/update", nil)
	h.shopline("fulfillments/create", created)
	h.settled()
	h.shopline("fulfillments/update", inTransit)
	h.settled()
	h.shopline("fulfillments/update", inTransit) // a retry
	h.shopline("fulfillments/create", created)   // older
	h.settled()

	// A second parcel: UPS, no tracking URL from SHOPLINE.
	second := shoplineFulfillmentBody(t, "fulfillments/create", map[string]any{
		"id": "4600740193290131085377", "created_at": "2025-06-13T15:02:19+08:00", "updated_at": "2025-06-13T15:02:19+08:00",
		"tracking_info_list": []any{map[string]any{"tracking_company": "UPS", "tracking_number": "1Z999AA10123456784"}},
	})
	h.shopline("fulfillments/create", second)
	h.settled()

	// The first one cancelled, then a stale update that is not.
	h.shopline("fulfillments/update", shoplineFulfillmentBody(t, "fulfillments/update", map[string]any{
		"status": "cancelled", "updated_at": "2025-06-06T09:00:00+08:00",
	}))
	h.settled()
	h.shopline("fulfillments/update", shoplineFulfillmentBody(t, "fulfillments/update", map[string]any{
		"shipment_status": "delivered", "updated_at": "2025-06-07T09:00:00+08:00",
	}))
	h.settled()

	events := h.shoplineEvents()
	var got []string
	for _, ev := range events {
		sh := ev.Shipment
		got = append(got, strings.TrimPrefix(sh.ID, "shopline:")+"/"+ev.Event.Type()[len("dev.hookstream.shipment."):]+"/"+sh.ShipmentStatus)
	}
	want := []string{
		"4600740193290131085321/tracking_updated/",
		"4600740193290131085321/delivery_updated/in_transit", // only shipment_status changed
		"4600740193290131085377/tracking_updated/",
		"4600740193290131085321/voided/in_transit",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
	first, ups := events[0].Shipment, events[2].Shipment
	if first.Store != shoplineShop || first.OrderID != shoplineOrder || first.Carrier != model.CarrierUSPS ||
		first.TrackingURL != "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223344556677" || len(first.Items) != 1 {
		t.Errorf("first fulfillment %+v", first)
	}
	if ups.Carrier != model.CarrierUPS || ups.TrackingURL != "https://www.ups.com/track?tracknum=1Z999AA10123456784" {
		t.Errorf("second fulfillment: carrier %s, url %q; want a UPS URL built from the number", ups.Carrier, ups.TrackingURL)
	}
	if stored, _ := h.stored("shopline.4600740193290131085321"); !stored.Voided || stored.VoidedAt == nil {
		t.Errorf("stored fulfillment voided %v at %v, want voided", stored.Voided, stored.VoidedAt)
	}
	if idx := h.index(shoplineOrder); !slices.Equal(idx.Shipments, []string{shoplineFulfillment, "shopline:4600740193290131085377"}) {
		t.Errorf("index of %s: %+v", shoplineOrder, idx)
	}
	if n := len(h.dlq()); n != 0 {
		t.Errorf("%d DLQ entries", n)
	}
}

// The update delivered before the creation: one event, the update's.
func TestShoplineFulfillmentOutOfOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.shopline("fulfillments/update", shoplineFulfillmentBody(t, "fulfillments/update", nil))
	h.settled()
	h.shopline("fulfillments/create", shoplineFulfillmentBody(t, "fulfillments/create", nil))
	h.settled()
	events := h.shoplineEvents()
	if len(events) != 1 || events[0].Shipment.ShipmentStatus != "in_transit" {
		t.Fatalf("%d events, want the update's only", len(events))
	}
	if stored, _ := h.stored("shopline.4600740193290131085321"); stored.ShipmentStatus != "in_transit" {
		t.Errorf("stored shipment_status %q", stored.ShipmentStatus)
	}
}

// Bodies that cannot become a shipment go to the DLQ at once, saying why.
func TestShoplineMalformedFulfillmentsGoToDLQ(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.shopline("fulfillments/create", []byte(`{"id": "1", "updated_at": "2025-06-05T16:40:02+08:00"}`))
	h.shopline("fulfillments/update", []byte(`"not an object"`))
	natstest.Eventually(t, "2 DLQ entries", func() bool { return len(h.dlq()) == 2 })
	want := map[string]string{
		"webhooks.shopline.fulfillments.create": "order_id",
		"webhooks.shopline.fulfillments.update": "not a JSON object",
	}
	for _, e := range h.dlq() {
		if e.Attempts != 1 || !strings.Contains(e.Error, want[e.OriginalSubject]) {
			t.Errorf("%s: attempts %d, error %q; want one attempt saying %q", e.OriginalSubject, e.Attempts, e.Error, want[e.OriginalSubject])
		}
	}
	if n := h.published("shipments.shopline.>"); n != 0 {
		t.Errorf("%d events for malformed bodies", n)
	}
}
