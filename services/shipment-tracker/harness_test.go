package shipmenttracker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/jsx"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/sandbox"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// harness is a shipment-tracker on a real embedded JetStream server, with
// the ShipStation sandbox API as ShipStation. Batches registered with
// serve are answered by the harness itself, ShipStation-style, for the
// records the sandbox cannot make (a label that becomes voided, any
// carrier on a fulfillment); everything else goes to the sandbox.
type harness struct {
	t   *testing.T
	js  jetstream.JetStream
	api *sandbox.ShipStationAPI
	url string // the API's base URL
	svc *shipmenttracker.Service
	seq atomic.Int64

	mu     sync.Mutex
	served map[string][]any // "<path>?<batchId>" → the records listed
}

// newHarness builds the service; start runs it.
func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, js: natstest.Run(t).JetStream(), served: map[string][]any{}}
	h.api = sandbox.NewShipStationAPI(
		sandbox.ShipStationKey{Key: "primary-key", Secret: "primary-secret"},
		sandbox.ShipStationKey{Key: "secondary-key", Secret: "secondary-secret"})
	srv := httptest.NewServer(http.HandlerFunc(h.serveAPI))
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
		if v == "" {
			delete(vars, k)
			continue
		}
		vars[k] = v
	}
	cfg, err := shipmenttracker.Load(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Consumer.BackOff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}
	if err := jsx.Ensure(context.Background(), h.js, jsx.WebhooksStream(jsx.StreamOptions{})); err != nil {
		t.Fatal(err)
	}
	if h.svc, err = shipmenttracker.New(cfg, h.js.Conn(), zaptest.NewLogger(t)); err != nil {
		t.Fatal(err)
	}
	return h
}

// serveAPI answers the batches registered with serve like ShipStation
// (Basic auth, one page of up to pageSize records, "total", "page",
// "pages") and passes everything else to the sandbox.
func (h *harness) serveAPI(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.mu.Lock()
	records, ok := h.served[r.URL.Path+"?"+q.Get("batchId")]
	h.mu.Unlock()
	if !ok {
		h.api.ServeHTTP(w, r)
		return
	}
	if _, _, auth := r.BasicAuth(); !auth {
		http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("pageSize"))
	if page < 1 || size < 1 {
		page, size = 1, 100
	}
	list := []any{}
	for i := (page - 1) * size; i < len(records) && i < page*size; i++ {
		list = append(list, records[i])
	}
	key := "shipments"
	if r.URL.Path == "/fulfillments" {
		key = "fulfillments"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{key: list, "total": len(records), "page": page, "pages": (len(records) + size - 1) / size})
}

// serve makes GET <path>?batchId=<batch> list records (JSON objects as
// ShipStation writes them).
func (h *harness) serve(path, batch string, records ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.served[path+"?"+batch] = records
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

// webhook publishes a raw webhook to WEBHOOKS as the gateway would, under
// a new id (so that the same body twice is two deliveries).
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
	e.SetExtension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
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

// shipStation publishes a ShipStation V1 webhook of resourceType for
// <API>/<path>?<query>.
func (h *harness) shipStation(resourceType, path, query string) *event.Event {
	h.t.Helper()
	return h.webhook(catalog.ShipStation, resourceType, resourceBody(h.url+path+"?"+query, resourceType))
}

func resourceBody(resourceURL, resourceType string) []byte {
	b, _ := json.Marshal(map[string]string{"resource_url": resourceURL, "resource_type": resourceType})
	return b
}

// published is the number of events on subject in SHIPMENTS.
func (h *harness) published(subject string) uint64 {
	h.t.Helper()
	s, err := h.js.Stream(context.Background(), catalog.StreamShipments)
	if err != nil {
		return 0
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		h.t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// publishedEvent is one event read back from SHIPMENTS.
type publishedEvent struct {
	Subject  string
	Event    *event.Event
	Shipment model.Shipment
	MsgID    string
}

// events returns every event in SHIPMENTS, in stream order.
func (h *harness) events() []publishedEvent {
	h.t.Helper()
	ctx := context.Background()
	s, err := h.js.Stream(ctx, catalog.StreamShipments)
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []publishedEvent
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			h.t.Fatal(err)
		}
		e, err := ce.FromMsg(m.Header, m.Data)
		if err != nil {
			h.t.Fatalf("event %d: %v", seq, err)
		}
		var sh model.Shipment
		if err := json.Unmarshal(e.Data(), &sh); err != nil {
			h.t.Fatalf("event %d: %v", seq, err)
		}
		out = append(out, publishedEvent{Subject: m.Subject, Event: e, Shipment: sh, MsgID: m.Header.Get("Nats-Msg-Id")})
	}
	return out
}

func (h *harness) dlq() []jsx.DLQEntry {
	h.t.Helper()
	entries, err := jsx.ListDLQ(context.Background(), h.js, shipmenttracker.Durable)
	if err != nil {
		h.t.Fatal(err)
	}
	return entries
}

func (h *harness) kv() jetstream.KeyValue {
	h.t.Helper()
	kv, err := h.js.KeyValue(context.Background(), jsx.BucketShipments)
	if err != nil {
		h.t.Fatal(err)
	}
	return kv
}

// stored reads a shipment from the shipments bucket.
func (h *harness) stored(key string) (model.Shipment, bool) {
	h.t.Helper()
	entry, err := h.kv().Get(context.Background(), key)
	if err != nil {
		return model.Shipment{}, false
	}
	var sh model.Shipment
	if err := json.Unmarshal(entry.Value(), &sh); err != nil {
		h.t.Fatal(err)
	}
	return sh, true
}

// index reads an order's index from the shipments bucket.
func (h *harness) index(orderID string) shipmenttracker.OrderIndex {
	h.t.Helper()
	var idx shipmenttracker.OrderIndex
	entry, err := h.kv().Get(context.Background(), shipmenttracker.OrderIndexKey(orderID))
	if err != nil {
		return idx
	}
	if err := json.Unmarshal(entry.Value(), &idx); err != nil {
		h.t.Fatal(err)
	}
	return idx
}

// settled waits until the consumer has nothing pending or unacknowledged.
func (h *harness) settled() {
	h.t.Helper()
	eventually(h.t, "the consumer to settle", func() bool { return consumerSettled(h.js) })
}

func consumerSettled(js jetstream.JetStream) bool {
	c, err := js.Consumer(context.Background(), catalog.StreamWebhooks, shipmenttracker.Durable)
	if err != nil {
		return false
	}
	info, err := c.Info(context.Background())
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
