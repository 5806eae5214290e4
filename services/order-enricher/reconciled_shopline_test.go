package orderenricher_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/model"
)

// reconciledShopline publishes order as the reconciler publishes a SHOPLINE
// order it listed: compact, the shop in source and shopid ("" names none).
func (h *harness) reconciledShopline(id, shop string, order []byte) {
	h.t.Helper()
	et, err := catalog.Reconciliation(catalog.Shopline, catalog.ReconciledOrder)
	if err != nil {
		h.t.Fatal(err)
	}
	var data bytes.Buffer
	if err := json.Compact(&data, order); err != nil {
		h.t.Fatal(err)
	}
	attrs := ce.Attributes{ID: id, Source: "/shopline", Type: et.Type, DataContentType: event.ApplicationJSON,
		Extensions: []ce.Extension{{Name: "provider", Value: catalog.Shopline}}}
	if shop != "" {
		attrs.Source = "/shopline/shops/" + shop
		attrs.Extensions = append(attrs.Extensions, ce.Extension{Name: "shopid", Value: shop})
	}
	msg, err := ce.NewMsg(et.Subject, attrs, data.Bytes())
	if err != nil {
		h.t.Fatal(err)
	}
	h.Publish(msg)
}

// TestReconciledShoplineOrders: a SHOPLINE order the reconciler listed that
// a webhook already brought (the list's bytes differ from the webhook's)
// publishes nothing; a missed one is upserted with its shop, and its
// webhook arriving late at the same updated_at publishes nothing either; a
// reconciled order naming no shop goes to the DLQ.
func TestReconciledShoplineOrders(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	delivered := shoplineOrder(t, "orders/create", nil)
	h.shopline("orders/create", delivered)
	h.settled()
	if n := h.published(shoplineUpserted); n != 1 {
		t.Fatalf("%d upserted after the webhook, want 1", n)
	}
	h.reconciledShopline("r-1", shoplineShop, delivered)
	h.settled()
	if n := h.published(shoplineUpserted); n != 1 {
		t.Errorf("%d upserted after the delivered order was reconciled, want still 1", n)
	}

	missed := shoplineOrder(t, "orders/create", map[string]any{"id": "21057401932826316666967999", "name": "#1002"})
	h.reconciledShopline("r-2", shoplineShop, missed)
	h.settled()
	if n := h.published(shoplineUpserted); n != 2 {
		t.Fatalf("%d upserted after a missed order was reconciled, want 2", n)
	}
	o, ok := h.stored(model.Order{ID: "shopline:21057401932826316666967999"}.Key())
	if !ok || o.Store != shoplineShop || o.Number != "#1002" {
		t.Errorf("reconciled order stored as %+v (%v)", o, ok)
	}
	h.shopline("orders/create", missed) // late, indented: another tie-break
	h.settled()
	if n := h.published(shoplineUpserted); n != 2 {
		t.Errorf("%d upserted after the missed order's webhook came late, want still 2", n)
	}
	if got := len(h.shoplineOrders()); got != 2 {
		t.Errorf("%d SHOPLINE order events, want 2", got)
	}

	h.reconciledShopline("r-3", "", shoplineOrder(t, "orders/create", map[string]any{"id": "21057401932826316666967998"}))
	h.settled()
	if got := len(h.dlq()); got != 1 {
		t.Errorf("%d dead letters, want 1 for the order naming no shop", got)
	}
}
