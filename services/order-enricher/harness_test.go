package orderenricher_test

import (
	"encoding/json"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/pkg/state"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
)

// harness is an order-enricher on a real embedded JetStream server, with
// the ShipStation sandbox API as ShipStation.
type harness struct {
	*consumertest.Env
	t   testing.TB
	api *sandbox.ShipStationAPI
	url string // the sandbox API's base URL
	svc *orderenricher.Service
}

// newHarness builds the service; start runs it.
func newHarness(t testing.TB, env map[string]string) *harness {
	t.Helper()
	h := &harness{Env: consumertest.New(t), t: t}
	h.api, h.url = consumertest.ShipStationSandbox(t, consumertest.PrimaryKey, consumertest.SecondaryKey)
	vars := consumertest.ServiceEnv(h.url, []sandbox.ShipStationKey{consumertest.PrimaryKey, consumertest.SecondaryKey}, env)
	cfg, err := orderenricher.Load(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Consumer.BackOff = consumertest.FastBackOff
	log := zaptest.NewLogger(t)
	if _, benchmark := t.(*testing.B); benchmark {
		log = zap.NewNop()
	}
	if h.svc, err = orderenricher.New(cfg, h.JS.Conn(), log); err != nil {
		t.Fatal(err)
	}
	return h
}

// start runs the service until the test ends.
func (h *harness) start() { h.Start(h.svc) }

// orderNotify publishes a ShipStation ORDER_NOTIFY for an import batch of
// n orders on the sandbox.
func (h *harness) orderNotify(batch string, n int) {
	h.t.Helper()
	h.api.SetBatchSize(batch, n)
	h.Webhook(catalog.ShipStation, "ORDER_NOTIFY", resourceBody(h.url+"/orders?storeID=123456&importBatch="+batch))
}

func resourceBody(resourceURL string) []byte {
	b, _ := json.Marshal(map[string]string{"resource_url": resourceURL, "resource_type": "ORDER_NOTIFY"})
	return b
}

// published is the number of events on subject in ORDERS.
func (h *harness) published(subject string) uint64 {
	h.t.Helper()
	return h.Published(catalog.StreamOrders, subject)
}

// dlq lists the enricher's dead letters.
func (h *harness) dlq() []dlq.Entry {
	h.t.Helper()
	return h.DLQ(orderenricher.Durable)
}

// stored reads an order from the orders bucket.
func (h *harness) stored(key string) (model.Order, bool) {
	h.t.Helper()
	return consumertest.Stored[model.Order](h.Env, state.BucketOrders, key)
}

// settled waits until the consumer has nothing pending or unacknowledged.
func (h *harness) settled() {
	h.t.Helper()
	h.Settled(catalog.StreamWebhooks, orderenricher.Durable)
}
