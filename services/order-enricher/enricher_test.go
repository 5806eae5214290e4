package orderenricher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/schemas"
)

const shipstationUpserted = "orders.shipstation.upserted.>"

// A batch of 1,201 orders becomes exactly 1,201 events, fetched in 3 pages.
func TestImportBatchOf1201Orders(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.orderNotify("batch-1201", 1201)
	natstest.Eventually(t, "1,201 orders", func() bool { return h.published(shipstationUpserted) >= 1201 })
	h.settled()
	if n := h.published(shipstationUpserted); n != 1201 {
		t.Errorf("%d events, want 1201", n)
	}
	if n := h.api.RequestsFor("/orders"); n != 3 {
		t.Errorf("%d page requests, want 3", n)
	}
	if len(h.dlq()) != 0 {
		t.Error("DLQ is not empty")
	}
}

// A 429 with a reset of a couple of seconds is waited out: nothing goes to
// the DLQ and every order arrives once.
func TestRateLimitIsWaitedOut(t *testing.T) {
	h := newHarness(t, nil)
	h.api.SetRateLimit(1, 2*time.Second)
	h.start()
	h.orderNotify("batch-600", 600) // 2 pages: the second one meets the 429
	natstest.Eventually(t, "600 orders", func() bool { return h.published(shipstationUpserted) >= 600 })
	h.settled()
	if n := h.published(shipstationUpserted); n != 600 {
		t.Errorf("%d events, want 600", n)
	}
	if len(h.dlq()) != 0 {
		t.Error("a rate limit sent the message to the DLQ")
	}
}

// 5xx then success: retried with backoff, every order once.
func TestServerErrorsAreRetried(t *testing.T) {
	h := newHarness(t, nil)
	h.api.FailNext(2, http.StatusInternalServerError)
	h.start()
	h.orderNotify("batch-5", 5)
	natstest.Eventually(t, "5 orders", func() bool { return h.published(shipstationUpserted) >= 5 })
	h.settled()
	if n := h.published(shipstationUpserted); n != 5 || len(h.dlq()) != 0 {
		t.Errorf("%d events, %d DLQ entries; want 5 and none", n, len(h.dlq()))
	}
}

// 5xx forever: a DLQ entry after MaxDeliver with the error text, and a
// redrive once the API works brings every order, once.
func TestServerErrorsForeverGoToDLQAndRedrive(t *testing.T) {
	h := newHarness(t, nil)
	h.api.FailNext(1000, http.StatusInternalServerError)
	h.start()
	h.orderNotify("batch-7", 7)
	natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
	entry := h.dlq()[0]
	if entry.Attempts != 3 || !strings.Contains(entry.Error, "500") || entry.OriginalSubject != "webhooks.shipstation.order_notify" {
		t.Errorf("DLQ entry: attempts %d, error %q, subject %s", entry.Attempts, entry.Error, entry.OriginalSubject)
	}
	if h.published(shipstationUpserted) != 0 {
		t.Error("events published for a batch that was never fetched")
	}

	h.api.FailNext(0, 0)
	if err := dlq.Redrive(context.Background(), h.JS, entry.Seq); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, "7 orders after the redrive", func() bool { return h.published(shipstationUpserted) >= 7 })
	h.settled()
	if n := h.published(shipstationUpserted); n != 7 || len(h.dlq()) != 0 {
		t.Errorf("%d events, %d DLQ entries after redrive; want 7 and none", n, len(h.dlq()))
	}
}

// A malformed payload goes to the DLQ at once: one attempt, no API call.
func TestMalformedPayloadGoesToDLQAtOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.Webhook(catalog.ShipStation, "ORDER_NOTIFY", []byte(`{"resource":"nope"}`))
	natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
	if e := h.dlq()[0]; e.Attempts != 1 || !strings.Contains(e.Error, "not a ShipStation webhook body") {
		t.Errorf("attempts %d, error %q", e.Attempts, e.Error)
	}
	if h.api.Requests() != 0 {
		t.Errorf("%d API requests for a malformed payload", h.api.Requests())
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
	h.api.SetBatchSize("batch-3", 3)
	e := h.Webhook(catalog.ShipStation, "ORDER_NOTIFY", resourceBody(h.url+"/orders?importBatch=batch-3"))
	// The first life: everything done, nothing acknowledged.
	if err := h.svc.Handle(ctx, &runner.Message{Event: e, Subject: "webhooks.shipstation.order_notify", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	before, _ := h.stored("shipstation." + firstOrderID(t, h))
	// The second life gets the unacknowledged message again.
	h.start()
	h.settled()
	if n := h.published(shipstationUpserted); n != 3 {
		t.Errorf("%d events, want 3", n)
	}
	after, _ := h.stored("shipstation." + firstOrderID(t, h))
	if before.Tiebreak == "" || after.Tiebreak != before.Tiebreak {
		t.Errorf("stored order changed across the redelivery: %q → %q", before.Tiebreak, after.Tiebreak)
	}
}

// firstOrderID returns the external id of the first order stored.
func firstOrderID(t *testing.T, h *harness) string {
	t.Helper()
	keys, err := h.Bucket(state.BucketOrders).Keys(context.Background())
	if err != nil || len(keys) == 0 {
		t.Fatalf("no orders stored: %v", err)
	}
	return strings.TrimPrefix(keys[0], "shipstation.")
}

// snipcartOrder returns the example order.completed body with its
// modificationDate replaced.
func snipcartOrder(t *testing.T, event, modified string) []byte {
	t.Helper()
	et, _ := catalog.Webhook(catalog.Snipcart, "order.completed")
	body, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	doc["eventName"] = event
	doc["content"].(map[string]any)["modificationDate"] = modified
	out, _ := json.Marshal(doc)
	return out
}

const snipcartToken = "1912e4c1-d008-4c15-ab12-fe21a76d30d4" // the examples' order

// Two updates of one order delivered out of order: the bucket holds the
// newer, and the stale one publishes nothing.
func TestOutOfOrderUpdatesKeepTheNewer(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.Webhook(catalog.Snipcart, "order.status.changed", snipcartOrder(t, "order.status.changed", "2024-05-02T10:00:00Z"))
	h.settled()
	h.Webhook(catalog.Snipcart, "order.completed", snipcartOrder(t, "order.completed", "2024-05-01T10:00:00Z"))
	h.settled()
	if n := h.published("orders.snipcart.upserted.>"); n != 1 {
		t.Errorf("%d events, want 1 (none for the stale update)", n)
	}
	o, ok := h.stored("snipcart." + snipcartToken)
	if !ok || !o.UpdatedAt.Equal(time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("stored order updated at %s, want the newer 2024-05-02T10:00:00Z", o.UpdatedAt)
	}
}

// Revoked primary credentials fall over to the secondary pair; with both
// revoked the message goes to the DLQ with a clear error, without a busy
// loop of requests.
func TestCredentialRotation(t *testing.T) {
	h := newHarness(t, nil)
	h.api.Revoke(consumertest.PrimaryKey.Key)
	h.start()
	h.orderNotify("batch-2", 2)
	natstest.Eventually(t, "2 orders with the secondary key", func() bool { return h.published(shipstationUpserted) >= 2 })

	h.api.Revoke(consumertest.SecondaryKey.Key)
	before := h.api.Requests()
	h.orderNotify("batch-4", 4)
	natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
	if e := h.dlq()[0]; e.Attempts != 1 || !strings.Contains(e.Error, "refused") {
		t.Errorf("attempts %d, error %q; want one attempt saying the keys were refused", e.Attempts, e.Error)
	}
	if n := h.api.Requests() - before; n > 2 {
		t.Errorf("%d requests with both keys revoked, want at most 2", n)
	}
}

// A resource_url naming another host (published straight into the stream,
// past the gateway) is refused without sending it a request.
func TestForeignResourceURLGetsNoCredentials(t *testing.T) {
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer evil.Close()
	h := newHarness(t, nil)
	h.start()
	h.Webhook(catalog.ShipStation, "ORDER_NOTIFY", resourceBody(evil.URL+"/orders?importBatch=x"))
	natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
	if hits.Load() != 0 {
		t.Errorf("the foreign host received %d requests", hits.Load())
	}
}

// A Snipcart refund that arrives before its order is applied when the
// order arrives.
func TestSnipcartRefundBeforeItsOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	et, _ := catalog.Webhook(catalog.Snipcart, "order.refund.created")
	refund, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	h.Webhook(catalog.Snipcart, "order.refund.created", refund)
	h.settled()
	if _, ok := h.stored("snipcart." + snipcartToken); ok {
		t.Fatal("an order was stored from a refund alone")
	}
	h.Webhook(catalog.Snipcart, "order.completed", snipcartOrder(t, "order.completed", "2024-05-01T10:00:00Z"))
	h.settled()
	o, ok := h.stored("snipcart." + snipcartToken)
	if !ok || len(o.Refunds) != 1 || o.Refunds[0].Amount != "29.75" {
		t.Fatalf("stored order refunds %+v, want the 29.75 refund", o.Refunds)
	}
	// The published event carries it too.
	s, _ := h.JS.Stream(context.Background(), catalog.StreamOrders)
	m, err := s.GetLastMsgForSubject(context.Background(), "orders.snipcart.upserted.>")
	if err != nil {
		t.Fatal(err)
	}
	e, err := ce.FromMsg(m.Header, m.Data)
	if err != nil || !strings.Contains(string(e.Data()), `"29.75"`) || e.Type() != "dev.hookstream.order.upserted" {
		t.Errorf("published event %v: %s", err, m.Data)
	}
}

// Every order the service publishes, from ShipStation's API and from
// Snipcart's webhooks, validates against the canonical order schema.
func TestPublishedOrdersValidate(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.orderNotify("batch-validate", 25)
	h.Webhook(catalog.Snipcart, "order.completed", snipcartOrder(t, "order.completed", "2024-05-01T10:00:00Z"))
	natstest.Eventually(t, "26 orders", func() bool {
		return h.published(shipstationUpserted) >= 25 && h.published("orders.snipcart.upserted.>") >= 1
	})
	sch, err := schemas.Compile("canonical/order.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	events := h.Events(catalog.StreamOrders)
	if len(events) != 26 {
		t.Fatalf("%d events, want 26", len(events))
	}
	for _, ev := range events {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ev.Event.Data()))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s (%s) does not validate: %v", ev.Subject, ev.Event.Subject(), err)
		}
		if ev.Event.Type() != "dev.hookstream.order.upserted" || ev.MsgID != ev.Event.ID() {
			t.Errorf("%s: type %s, Nats-Msg-Id %s, id %s", ev.Subject, ev.Event.Type(), ev.MsgID, ev.Event.ID())
		}
	}
}

// An import batch that cannot be read in one delivery (here ShipStation
// gives out at page 2) is finished by the next delivery from where the
// first stopped: page 1 is fetched once, not again on every redelivery,
// and every order arrives once.
func TestLargeBatchResumesWhereTheLastDeliveryStopped(t *testing.T) {
	h := newHarness(t, nil)
	h.api.FailPage(2, 1)
	h.start()
	h.orderNotify("batch-1201-resumed", 1201) // 3 pages of 500
	natstest.Eventually(t, "1,201 orders", func() bool { return h.published(shipstationUpserted) >= 1201 })
	h.settled()
	if n := h.published(shipstationUpserted); n != 1201 || len(h.dlq()) != 0 {
		t.Errorf("%d events, %d DLQ entries; want 1201 and none", n, len(h.dlq()))
	}
	if p1, p2, p3 := h.api.PageRequests(1), h.api.PageRequests(2), h.api.PageRequests(3); p1 != 1 || p2 != 2 || p3 != 1 {
		t.Errorf("page requests 1: %d, 2: %d, 3: %d; want 1, 2 (one failed), 1", p1, p2, p3)
	}
	keys, err := h.Bucket(state.BucketOrders).Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "paging.") {
			t.Errorf("paging progress %s is still stored after the batch was finished", k)
		}
	}
}
