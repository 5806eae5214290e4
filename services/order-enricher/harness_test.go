package orderenricher_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/jsx"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/sandbox"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
)

// harness is an order-enricher on a real embedded JetStream server, with
// the ShipStation sandbox API as ShipStation.
type harness struct {
	t   testing.TB
	js  jetstream.JetStream
	api *sandbox.ShipStationAPI
	url string // the sandbox API's base URL
	svc *orderenricher.Service
	seq atomic.Int64
}

// newHarness builds the service; start runs it.
func newHarness(t testing.TB, env map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, js: natstest.Run(t).JetStream()}
	h.api = sandbox.NewShipStationAPI(
		sandbox.ShipStationKey{Key: "primary-key", Secret: "primary-secret"},
		sandbox.ShipStationKey{Key: "secondary-key", Secret: "secondary-secret"})
	srv := httptest.NewServer(h.api)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	vars := map[string]string{
		"SHIPSTATION_API_KEY":              "primary-key",
		"SHIPSTATION_API_SECRET":           "primary-secret",
		"SHIPSTATION_API_KEY_SECONDARY":    "secondary-key",
		"SHIPSTATION_API_SECRET_SECONDARY": "secondary-secret",
		"SHIPSTATION_API_URL":              srv.URL,
		"HEALTH_ADDR":                      "-",
		"CONSUMER_MAX_DELIVER":             "3",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := orderenricher.Load(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Consumer.BackOff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}
	ctx := context.Background()
	if err := jsx.Ensure(ctx, h.js, jsx.WebhooksStream(jsx.StreamOptions{})); err != nil {
		t.Fatal(err)
	}
	nc := h.js.Conn()
	log := zaptest.NewLogger(t)
	if _, benchmark := t.(*testing.B); benchmark {
		log = zap.NewNop()
	}
	if h.svc, err = orderenricher.New(cfg, nc, log); err != nil {
		t.Fatal(err)
	}
	return h
}

// start runs the service until the test ends.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.svc.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
	})
}

// webhook publishes a raw webhook to WEBHOOKS as the gateway would.
func (h *harness) webhook(provider, name string, body []byte) *event.Event {
	h.t.Helper()
	et, err := catalog.Webhook(provider, name)
	if err != nil {
		h.t.Fatal(err)
	}
	e := event.New()
	e.SetID(fmt.Sprintf("test-%d", h.seq.Add(1)))
	e.SetSource("/" + provider)
	e.SetType(et.Type)
	e.SetTime(time.Now())
	if err := e.SetData(event.ApplicationJSON, body); err != nil {
		h.t.Fatal(err)
	}
	msg, err := ce.ToMsg(et.Subject, &e)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.js.PublishMsg(context.Background(), msg); err != nil {
		h.t.Fatal(err)
	}
	return &e
}

// orderNotify publishes a ShipStation ORDER_NOTIFY for an import batch of
// n orders on the sandbox.
func (h *harness) orderNotify(batch string, n int) {
	h.t.Helper()
	h.api.SetBatchSize(batch, n)
	h.webhook(catalog.ShipStation, "ORDER_NOTIFY", resourceBody(h.url+"/orders?storeID=123456&importBatch="+batch))
}

func resourceBody(resourceURL string) []byte {
	b, _ := json.Marshal(map[string]string{"resource_url": resourceURL, "resource_type": "ORDER_NOTIFY"})
	return b
}

// published is the number of events on subject in ORDERS.
func (h *harness) published(subject string) uint64 {
	h.t.Helper()
	s, err := h.js.Stream(context.Background(), catalog.StreamOrders)
	if err != nil {
		return 0
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		h.t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

func (h *harness) dlq() []jsx.DLQEntry {
	h.t.Helper()
	entries, err := jsx.ListDLQ(context.Background(), h.js, orderenricher.Durable)
	if err != nil {
		h.t.Fatal(err)
	}
	return entries
}

// stored reads an order from the orders bucket.
func (h *harness) stored(key string) (model.Order, bool) {
	h.t.Helper()
	kv, err := h.js.KeyValue(context.Background(), jsx.BucketOrders)
	if err != nil {
		h.t.Fatal(err)
	}
	entry, err := kv.Get(context.Background(), key)
	if err != nil {
		return model.Order{}, false
	}
	var o model.Order
	if err := json.Unmarshal(entry.Value(), &o); err != nil {
		h.t.Fatal(err)
	}
	return o, true
}

// settled waits until the consumer has nothing pending or unacknowledged.
func (h *harness) settled() {
	h.t.Helper()
	natstest.Eventually(h.t, "the consumer to settle", func() bool {
		c, err := h.js.Consumer(context.Background(), catalog.StreamWebhooks, orderenricher.Durable)
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
}
