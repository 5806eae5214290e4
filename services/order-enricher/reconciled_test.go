package orderenricher_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// reconciled publishes data as the reconciler publishes an order it found.
func (h *harness) reconciled(id string, data []byte) {
	h.t.Helper()
	et, err := catalog.Reconciliation(catalog.ShipStation, catalog.ReconciledOrder)
	if err != nil {
		h.t.Fatal(err)
	}
	msg, err := ce.NewMsg(et.Subject, ce.Attributes{ID: id, Source: "/shipstation/stores/123456", Type: et.Type, DataContentType: event.ApplicationJSON}, data)
	if err != nil {
		h.t.Fatal(err)
	}
	h.Publish(msg)
}

// TestReconciledOrders: an order the reconciler found that the webhook
// already brought publishes nothing; one it did not bring is upserted like
// a fetched one, without an API call; unreadable data goes to the DLQ.
func TestReconciledOrders(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.orderNotify("delivered", 1)
	h.settled()
	if n := h.published(shipstationUpserted); n != 1 {
		t.Fatalf("%d upserted after the webhook, want 1", n)
	}
	hosts, _ := shipstation.ParseResourceHosts(regexp.QuoteMeta(strings.TrimPrefix(h.url, "http://")))
	client, err := shipstation.NewClient(shipstation.ClientConfig{
		Primary:   shipstation.Credentials{Key: consumertest.PrimaryKey.Key, Secret: consumertest.PrimaryKey.Secret},
		Resources: shipstation.ResourcePolicy{Hosts: hosts, AllowHTTP: true}, RateLimit: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(batch string) []byte {
		t.Helper()
		h.api.SetBatchSize(batch, 1)
		orders, _, err := client.ListOrders(context.Background(), h.url+"/orders?storeID=123456&importBatch="+batch)
		if err != nil || len(orders) != 1 {
			t.Fatalf("%d orders, %v", len(orders), err)
		}
		b, _ := json.Marshal(orders[0])
		return b
	}
	h.reconciled("r-1", fetch("delivered"))
	h.settled()
	if n := h.published(shipstationUpserted); n != 1 {
		t.Errorf("%d upserted after the same order reconciled, want still 1", n)
	}

	missed := fetch("missed")
	requests := h.api.Requests()
	h.reconciled("r-2", missed)
	h.settled()
	if n := h.published(shipstationUpserted); n != 2 {
		t.Errorf("%d upserted after a missed order reconciled, want 2", n)
	}
	if got := h.api.Requests(); got != requests {
		t.Errorf("%d API requests for a reconciled order, want none", got-requests)
	}

	h.reconciled("r-3", []byte(`{"orderId": "not a number"}`))
	h.settled()
	if got := len(h.dlq()); got != 1 {
		t.Errorf("%d dead letters, want 1 for the unreadable order", got)
	}
}
