package fulfillmentholds_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/schemas"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
)

// The fulfillment order of the SHOPLINE examples.
const (
	shopID  = "1610418123456"
	foID    = "4005740193290131085320"
	holdID  = "shopline:" + shopID + ":" + foID
	holdKey = "shopline." + shopID + "." + foID
)

// harness is a fulfillment-holds service on a real embedded JetStream
// server, with the ShipStation sandbox API as ShipStation.
type harness struct {
	*consumertest.Env
	t   *testing.T
	api *sandbox.ShipStationAPI
	url string // the sandbox API's base URL
	cfg fulfillmentholds.Config
	svc *fulfillmentholds.Service

	stopRun func() // stops the running service, nil when none runs
}

// newHarness builds the service; start runs it.
func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	h := &harness{Env: consumertest.New(t), t: t}
	h.api, h.url = consumertest.ShipStationSandbox(t, consumertest.PrimaryKey)
	vars := consumertest.ServiceEnv(h.url, []sandbox.ShipStationKey{consumertest.PrimaryKey}, env)
	cfg, err := fulfillmentholds.Load(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Consumer.BackOff = consumertest.FastBackOff
	h.cfg = cfg
	h.svc = h.newService()
	return h
}

func (h *harness) newService() *fulfillmentholds.Service {
	h.t.Helper()
	svc, err := fulfillmentholds.New(h.cfg, h.JS.Conn(), zaptest.NewLogger(h.t))
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}

// start runs the service until the test ends or stop is called.
func (h *harness) start() { h.stopRun = h.Start(h.svc) }

// stop stops the running service and waits until its Run has returned.
func (h *harness) stop() {
	h.t.Helper()
	h.stopRun()
}

// shopline publishes a SHOPLINE fulfillment_order webhook to WEBHOOKS as
// the gateway would: ce-id shopline-<webhookID> (also the Nats-Msg-Id),
// the time of updated_at or now, the shopid extension.
func (h *harness) shopline(topic, webhookID string, body []byte) {
	h.t.Helper()
	h.Webhook(catalog.Shopline, topic, body, shoplineAttributes(webhookID, body)...)
}

// shoplineMessage is the delivery of a SHOPLINE webhook that shopline
// would publish, for calling Service.Handle directly.
func (h *harness) shoplineMessage(topic, webhookID string, body []byte) *runner.Message {
	h.t.Helper()
	return h.Message(catalog.Shopline, topic, body, shoplineAttributes(webhookID, body)...)
}

// shoplineAttributes are the CloudEvent attributes the gateway gives a
// SHOPLINE delivery of the examples' fulfillment order.
func shoplineAttributes(webhookID string, body []byte) []consumertest.WebhookOpt {
	opts := []consumertest.WebhookOpt{
		consumertest.WithID(catalog.Shopline + "-" + webhookID),
		consumertest.WithSource("/shopline/shops/" + shopID),
		consumertest.WithSubject(foID),
		consumertest.WithExtension("provider", catalog.Shopline),
		consumertest.WithExtension("shopid", shopID),
	}
	var doc struct {
		FulfillmentOrder struct {
			UpdatedAt time.Time `json:"updated_at"`
		} `json:"fulfillment_order"`
	}
	if json.Unmarshal(body, &doc) == nil && !doc.FulfillmentOrder.UpdatedAt.IsZero() {
		opts = append(opts, consumertest.WithTime(doc.FulfillmentOrder.UpdatedAt))
	}
	return opts
}

// example returns a SHOPLINE example body ("update", "on_hold",
// "update.released", ...) with fulfillment_order.updated_at set to at
// (unless at is zero).
func example(t *testing.T, name string, at time.Time) []byte {
	t.Helper()
	body, err := fs.ReadFile(schemas.FS, "examples/shopline/fulfillment_order."+name+".json")
	if err != nil {
		t.Fatal(err)
	}
	if at.IsZero() {
		return body
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	doc["fulfillment_order"]["updated_at"] = at.UTC().Format(time.RFC3339Nano)
	out, _ := json.Marshal(doc)
	return out
}

// events returns the events in FULFILLMENT, in stream order; each must be
// a catalog row.
func (h *harness) events() []*event.Event {
	h.t.Helper()
	var out []*event.Event
	for _, se := range h.Events(catalog.StreamFulfillment) {
		mustRow(h.t, se.Event.Type(), se.Subject)
		out = append(out, se.Event)
	}
	return out
}

// mustRow checks that an event's type and subject are a catalog row.
func mustRow(t *testing.T, ceType, subject string) catalog.EventType {
	t.Helper()
	row, ok := catalog.BySubject(subject)
	if !ok || row.Type != ceType {
		t.Fatalf("type %s on %s is not a catalog row", ceType, subject)
	}
	return row
}

// eventsOf returns the events of one type name (catalog.HoldPlaced, ...).
func (h *harness) eventsOf(name string) []*event.Event {
	var out []*event.Event
	for _, e := range h.events() {
		if e.Type() == catalog.TypePrefix+"fulfillment."+name {
			out = append(out, e)
		}
	}
	return out
}

// names returns the event names (last type token) in stream order.
func names(events []*event.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type()[len(catalog.TypePrefix+"fulfillment."):])
	}
	return out
}

// stored reads a record from the holds bucket.
func (h *harness) stored(key string) (model.FulfillmentHold, bool) {
	h.t.Helper()
	return consumertest.Stored[model.FulfillmentHold](h.Env, state.BucketHolds, key)
}

// timer returns the pending schedule of a hold, if any.
func (h *harness) timer(key string) (*jetstream.RawStreamMsg, bool) {
	h.t.Helper()
	s, err := h.JS.Stream(context.Background(), fulfillmentholds.StreamHoldTimers)
	if err != nil {
		return nil, false
	}
	schedule, _ := fulfillmentholds.HoldTimerSubjects(key)
	m, err := s.GetLastMsgForSubject(context.Background(), schedule)
	if err != nil {
		return nil, false
	}
	return m, true
}

// fired reports whether the timer of a hold has fired (its message is in
// HOLD_TIMERS).
func (h *harness) fired(key string) bool {
	h.t.Helper()
	s, err := h.JS.Stream(context.Background(), fulfillmentholds.StreamHoldTimers)
	if err != nil {
		return false
	}
	_, subject := fulfillmentholds.HoldTimerSubjects(key)
	_, err = s.GetLastMsgForSubject(context.Background(), subject)
	return err == nil
}

// dlq lists the dead letters of both consumers: webhooks, then timers.
func (h *harness) dlq() []dlq.Entry {
	h.t.Helper()
	return append(h.DLQ(fulfillmentholds.Durable), h.DLQ(fulfillmentholds.TimersDurable)...)
}

// settled waits until both consumers have nothing pending or
// unacknowledged.
func (h *harness) settled() {
	h.t.Helper()
	h.Settled(catalog.StreamWebhooks, fulfillmentholds.Durable)
	h.Settled(fulfillmentholds.StreamHoldTimers, fulfillmentholds.TimersDurable)
}

// validate checks an event's data against the canonical schema.
func validate(t *testing.T, e *event.Event) model.FulfillmentHold {
	t.Helper()
	sch, err := schemas.Compile("canonical/fulfillment-hold.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(e.Data()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s does not validate: %v\n%s", e.Type(), err, e.Data())
	}
	var rec model.FulfillmentHold
	if err := json.Unmarshal(e.Data(), &rec); err != nil {
		t.Fatal(err)
	}
	source := fulfillmentholds.Source
	if rec.Account != "" {
		source += "/accounts/" + rec.Account
	}
	if e.Subject() != rec.ID || e.Source() != source {
		t.Errorf("event subject %q source %q, want %q and %q", e.Subject(), e.Source(), rec.ID, source)
	}
	return rec
}
