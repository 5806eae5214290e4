package reconciler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/sandbox"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
	"github.com/hookstream/hookstream/services/reconciler"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// harness is the reconciler with the real order-enricher and
// shipment-tracker on one embedded JetStream server, and the ShipStation
// V1 sandbox as ShipStation.
type harness struct {
	*consumertest.Env
	t   *testing.T
	api *sandbox.ShipStationAPI
	url string
	// snipcart is the Snipcart sandbox at snipcartURL.
	snipcart    *sandbox.Snipcart
	snipcartURL string
	// shopline is the SHOPLINE open-API sandbox at shoplineURL.
	shopline    *sandbox.ShoplineAPI
	shoplineURL string
	// delivered and dropped count the resources whose webhook was
	// published or withheld, by canonical stream.
	delivered, dropped map[string]int
	// withheld are the webhooks not delivered, to deliver late.
	withheld []webhook
}

type webhook struct {
	resourceType string
	body         []byte
}

// snipcartKey is the Snipcart sandbox's secret key.
const snipcartKey = "snipcart-secret"

// shoplineToken is the SHOPLINE sandbox's access token.
const shoplineToken = "shopline-token"

// reconcileEnv are the reconciler's settings in tests: next to no settle
// time, so that a run sees everything created before it.
var reconcileEnv = map[string]string{
	"RECONCILE_SETTLE":   "1ms",
	"RECONCILE_LOOKBACK": "1h",
	"RECONCILE_OVERLAP":  "10m",
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Env: consumertest.New(t), t: t, delivered: map[string]int{}, dropped: map[string]int{}}
	h.api, h.url = consumertest.ShipStationSandbox(t, consumertest.PrimaryKey)
	h.api.SetRateLimit(0, 0)
	h.api.SetVoidRate(3)
	h.snipcart = sandbox.NewSnipcart(snipcartKey)
	snipcartSrv := httptest.NewServer(h.snipcart)
	t.Cleanup(snipcartSrv.Close)
	h.snipcartURL = snipcartSrv.URL
	h.shopline = sandbox.NewShoplineAPI(shoplineToken)
	h.shopline.SetRateLimit(0, 0)
	shoplineSrv := httptest.NewServer(h.shopline)
	t.Cleanup(shoplineSrv.Close)
	h.shoplineURL = shoplineSrv.URL

	vars := h.env(map[string]string{"SHIPSTATION_RATE_LIMIT": "100000"})
	oe, err := orderenricher.Load(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	oe.Consumer.BackOff = consumertest.FastBackOff
	oeSvc, err := orderenricher.New(oe, h.JS.Conn(), zaptest.NewLogger(t).Named("order-enricher"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := shipmenttracker.Load(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	st.Consumer.BackOff = consumertest.FastBackOff
	stSvc, err := shipmenttracker.New(st, h.JS.Conn(), zaptest.NewLogger(t).Named("shipment-tracker"))
	if err != nil {
		t.Fatal(err)
	}
	// Provisioned before anything is published: the canonical buckets
	// exist, as the reconciler expects.
	for _, p := range []interface{ Provision(context.Context) error }{oeSvc, stSvc} {
		if err := p.Provision(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	h.Start(oeSvc)
	h.Start(stSvc)
	return h
}

// env is the environment of a service under test, with extra on top.
func (h *harness) env(extra map[string]string) map[string]string {
	return consumertest.ServiceEnv(h.url, []sandbox.ShipStationKey{consumertest.PrimaryKey}, extra)
}

// reconciler builds a reconciler (not running: tests call RunOnce).
func (h *harness) reconciler(extra map[string]string) *reconciler.Service {
	h.t.Helper()
	vars := map[string]string{
		"SHIPSTATION_RATE_LIMIT": "100000",
		"SNIPCART_SECRET_KEY":    snipcartKey,
		"SNIPCART_API_URL":       h.snipcartURL,
		"SHOPLINE_ACCESS_TOKEN":  shoplineToken,
		"SHOPLINE_API_URL":       h.shoplineURL,
	}
	for k, v := range reconcileEnv {
		vars[k] = v
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := reconciler.Load(envconf.Map(h.env(vars)))
	if err != nil {
		h.t.Fatal(err)
	}
	svc, err := reconciler.New(cfg, h.JS.Conn(), zaptest.NewLogger(h.t).Named("reconciler"))
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}

// create makes a batch of n resources at the sandbox (path /orders,
// /shipments or /fulfillments) and delivers its webhook unless drop.
func (h *harness) create(path, batch string, n int, drop bool) {
	h.t.Helper()
	var (
		resourceURL, resourceType, stream string
	)
	switch path {
	case "/orders":
		resourceURL, resourceType, stream = h.url+"/orders?storeID=123456&importBatch="+batch, "ORDER_NOTIFY", catalog.StreamOrders
		h.api.SetBatchSize(batch, n)
	case "/shipments":
		resourceURL, resourceType, stream = h.url+"/shipments?storeID=123456&batchId="+batch, "SHIP_NOTIFY", catalog.StreamShipments
		h.api.SetShipmentBatchSize(batch, n)
	case "/fulfillments":
		resourceURL, resourceType, stream = h.url+"/fulfillments?storeID=123456&batchId="+batch, "FULFILLMENT_SHIPPED", catalog.StreamShipments
		h.api.SetFulfillmentBatchSize(batch, n)
	default:
		h.t.Fatalf("no collection %s", path)
	}
	if created, err := h.api.Create(resourceURL); err != nil || !created {
		h.t.Fatalf("Create(%s) = %v, %v", resourceURL, created, err)
	}
	body, _ := json.Marshal(map[string]string{"resource_url": resourceURL, "resource_type": resourceType})
	if drop {
		h.dropped[stream] += n
		h.withheld = append(h.withheld, webhook{resourceType, body})
		return
	}
	h.delivered[stream] += n
	h.Webhook(catalog.ShipStation, resourceType, body)
}

// deliverWithheld delivers the webhooks create and snipcartOrder dropped,
// late.
func (h *harness) deliverWithheld() {
	h.t.Helper()
	for _, w := range h.withheld {
		switch w.resourceType {
		case snipcartEvent:
			h.Webhook(catalog.Snipcart, snipcartEvent, w.body)
			continue
		case shoplineTopic:
			h.shoplineWebhook(w.body)
			continue
		}
		h.Webhook(catalog.ShipStation, w.resourceType, w.body)
	}
}

// snipcartEvent is the webhook snipcartOrder sends.
const snipcartEvent = "order.completed"

// snipcartOrder puts a Snipcart order (placed at placed, last changed at
// modified, with status) in the sandbox and sends its order.completed
// webhook unless drop.
func (h *harness) snipcartOrder(token string, placed, modified time.Time, status string, drop bool) {
	h.t.Helper()
	order := fmt.Sprintf(`{"token":%q,"invoiceNumber":"SNIP-%s","email":"ada@example.com","status":%q,"paymentStatus":"Paid","currency":"usd",`+
		`"creationDate":%q,"modificationDate":%q,"items":[{"id":"SKU-1","name":"Mug","quantity":1,"price":12.5,"unitPrice":12.5}],"finalGrandTotal":12.5}`,
		token, token, status, placed.UTC().Format(time.RFC3339Nano), modified.UTC().Format(time.RFC3339Nano))
	if err := h.snipcart.AddOrder(json.RawMessage(order)); err != nil {
		h.t.Fatal(err)
	}
	body := fmt.Sprintf(`{"eventName":%q,"mode":"Live","createdOn":%q,"content":%s}`, snipcartEvent, modified.UTC().Format(time.RFC3339Nano), order)
	if drop {
		h.dropped[catalog.StreamOrders]++
		h.withheld = append(h.withheld, webhook{snipcartEvent, []byte(body)})
		return
	}
	h.delivered[catalog.StreamOrders]++
	h.Webhook(catalog.Snipcart, snipcartEvent, []byte(body))
}

// shoplineTopic is the webhook shoplineOrder sends.
const shoplineTopic = "orders/updated"

// shoplineOrder puts a SHOPLINE order (updated at updated, of fulfillment
// status fulfilled, partial or "" for null) in the sandbox's store and
// sends its orders/updated webhook unless drop. The webhook body is
// indented, the list's compact, as a provider's may differ.
func (h *harness) shoplineOrder(id string, updated time.Time, fulfilled string, drop bool) {
	h.t.Helper()
	order := map[string]any{
		"id": id, "name": "#" + id[len(id)-4:], "email": "ada@example.com", "currency": "USD",
		"financial_status": "paid", "status": "open", "fulfillment_status": nil,
		"created_at": updated.Add(-time.Hour).Format(time.RFC3339), "updated_at": updated.Format(time.RFC3339),
		"current_total_price": "26.00", "subtotal_price": "24.00",
		"line_items": []map[string]any{{"sku": "MUG-1", "name": "Mug", "quantity": 2, "price": "12.00"}},
	}
	if fulfilled != "" {
		order["fulfillment_status"] = fulfilled
	}
	body, err := json.MarshalIndent(order, "", "  ")
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.shopline.AddOrder(shoplineToken, body); err != nil {
		h.t.Fatal(err)
	}
	if drop {
		h.dropped[catalog.StreamOrders]++
		h.withheld = append(h.withheld, webhook{shoplineTopic, body})
		return
	}
	h.delivered[catalog.StreamOrders]++
	h.shoplineWebhook(body)
}

// shoplineWebhook delivers an orders/updated webhook of the sandbox's
// store, as the gateway stores it.
func (h *harness) shoplineWebhook(body []byte) {
	h.t.Helper()
	h.Webhook(catalog.Shopline, shoplineTopic, body,
		consumertest.WithSource("/shopline/shops/"+sandbox.ShoplineShopID), consumertest.WithExtension("shopid", sandbox.ShoplineShopID))
}

// settled waits until both consumers have handled everything.
func (h *harness) settled() {
	h.t.Helper()
	h.Settled(catalog.StreamWebhooks, orderenricher.Durable)
	h.Settled(catalog.StreamWebhooks, shipmenttracker.Durable)
}

// entities counts the canonical events of stream per entity subject
// (orders.shipstation.upserted.<id> …), and the DLQ entries of both
// consumers must be none.
func (h *harness) entities(stream string) map[string]int {
	h.t.Helper()
	out := map[string]int{}
	for _, e := range h.Events(stream) {
		out[e.Subject]++
	}
	for _, durable := range []string{orderenricher.Durable, shipmenttracker.Durable} {
		if dl := h.DLQ(durable); len(dl) > 0 {
			h.t.Fatalf("%s dead-lettered %d messages: %+v", durable, len(dl), dl)
		}
	}
	return out
}

// foundMetric sums hookstream_reconcile_found_total over its labels.
func foundMetric(t *testing.T, svc *reconciler.Service) float64 {
	t.Helper()
	families, err := svc.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != "hookstream_reconcile_found_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// sumFound adds up the Found of a run's windows.
func sumFound(ws []reconciler.Window) int {
	n := 0
	for _, w := range ws {
		n += w.Found
	}
	return n
}

// eachOnce fails the test unless entities (events per subject, as
// entities returns them) has want subjects, with one event each.
func eachOnce(t *testing.T, when string, entities map[string]int, want int) {
	t.Helper()
	if len(entities) != want {
		t.Errorf("%s: %d entities, want %d", when, len(entities), want)
	}
	for subject, n := range entities {
		if n != 1 {
			t.Errorf("%s: %d events on %s, want 1", when, n, subject)
		}
	}
}

// describe renders windows for failure messages.
func describe(ws []reconciler.Window) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "%s/%s [%s, %s] listed %d found %d; ", w.Provider, w.Kind, w.Start.Format("15:04:05.000"), w.End.Format("15:04:05.000"), w.Listed, w.Found)
	}
	return b.String()
}
