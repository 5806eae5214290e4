package shipmenttracker_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/pkg/state"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// harness is a shipment-tracker on a real embedded JetStream server, with
// the ShipStation sandbox API as ShipStation. Batches registered with
// serve are answered by the harness itself, ShipStation-style, for the
// records the sandbox cannot make (a label that becomes voided, any
// carrier on a fulfillment); everything else goes to the sandbox.
type harness struct {
	*consumertest.Env
	t   *testing.T
	api *sandbox.ShipStationAPI
	url string // the API's base URL
	svc *shipmenttracker.Service

	mu     sync.Mutex
	served map[string][]any // "<path>?<batchId>" → the records listed

	reconciledN int // ids of the reconciled events published
}

// newHarness builds the service; start runs it.
func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	h := &harness{Env: consumertest.New(t), t: t, served: map[string][]any{}}
	h.api = sandbox.NewShipStationAPI(
		consumertest.PrimaryKey, consumertest.SecondaryKey)
	srv := httptest.NewServer(http.HandlerFunc(h.serveAPI))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	vars := consumertest.ServiceEnv(srv.URL, []sandbox.ShipStationKey{consumertest.PrimaryKey, consumertest.SecondaryKey}, env)
	cfg, err := shipmenttracker.Load(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Consumer.BackOff = consumertest.FastBackOff
	if h.svc, err = shipmenttracker.New(cfg, h.JS.Conn(), zaptest.NewLogger(t)); err != nil {
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
func (h *harness) start() { h.Start(h.svc) }

// traceparent is the W3C trace context every webhook of these tests
// carries, for checking that it reaches the published events.
const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// webhook publishes a raw webhook to WEBHOOKS as the gateway would, under
// a new id (so that the same body twice is two deliveries), with a trace
// context.
func (h *harness) webhook(provider, name string, body []byte) *event.Event {
	h.t.Helper()
	return h.Webhook(provider, name, body, consumertest.WithExtension("traceparent", traceparent))
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
	return h.Published(catalog.StreamShipments, subject)
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
	var out []publishedEvent
	for _, se := range h.Events(catalog.StreamShipments) {
		var sh model.Shipment
		if err := json.Unmarshal(se.Event.Data(), &sh); err != nil {
			h.t.Fatalf("event %s: %v", se.Event.ID(), err)
		}
		out = append(out, publishedEvent{Subject: se.Subject, Event: se.Event, Shipment: sh, MsgID: se.MsgID})
	}
	return out
}

// dlq lists the tracker's dead letters.
func (h *harness) dlq() []dlq.Entry {
	h.t.Helper()
	return h.DLQ(shipmenttracker.Durable)
}

// stored reads a shipment from the shipments bucket.
func (h *harness) stored(key string) (model.Shipment, bool) {
	h.t.Helper()
	return consumertest.Stored[model.Shipment](h.Env, state.BucketShipments, key)
}

// index reads an order's index from the shipments bucket.
func (h *harness) index(orderID string) shipmenttracker.OrderIndex {
	h.t.Helper()
	idx, _ := consumertest.Stored[shipmenttracker.OrderIndex](h.Env, state.BucketShipments, shipmenttracker.OrderIndexKey(orderID))
	return idx
}

// settled waits until the consumer has nothing pending or unacknowledged.
func (h *harness) settled() {
	h.t.Helper()
	h.Settled(catalog.StreamWebhooks, shipmenttracker.Durable)
}
