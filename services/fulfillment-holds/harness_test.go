package fulfillmentholds_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/jsx"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/sandbox"
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
	t   *testing.T
	js  jetstream.JetStream
	api *sandbox.ShipStationAPI
	url string // the sandbox API's base URL
	cfg fulfillmentholds.Config
	svc *fulfillmentholds.Service
	seq atomic.Int64

	stopRun func() // stops the running service, nil when none runs
}

// newHarness builds the service; start runs it.
func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, js: natstest.Run(t).JetStream()}
	h.api = sandbox.NewShipStationAPI(sandbox.ShipStationKey{Key: "primary-key", Secret: "primary-secret"})
	srv := httptest.NewServer(h.api)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	vars := map[string]string{
		"SHIPSTATION_API_KEY":    "primary-key",
		"SHIPSTATION_API_SECRET": "primary-secret",
		"SHIPSTATION_API_URL":    srv.URL,
		"HEALTH_ADDR":            "-",
		"CONSUMER_MAX_DELIVER":   "3",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := fulfillmentholds.Load(envconf.Map(vars))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Consumer.BackOff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}
	h.cfg = cfg
	if err := jsx.Ensure(context.Background(), h.js, jsx.WebhooksStream(jsx.StreamOptions{})); err != nil {
		t.Fatal(err)
	}
	h.svc = h.newService()
	return h
}

func (h *harness) newService() *fulfillmentholds.Service {
	h.t.Helper()
	svc, err := fulfillmentholds.New(h.cfg, h.js.Conn(), zaptest.NewLogger(h.t))
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}

// start runs the service until the test ends or stop is called.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	svc := h.svc
	go func() { done <- svc.Run(ctx) }()
	var stopped atomic.Bool
	h.stopRun = func() {
		if stopped.Swap(true) {
			return
		}
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
	}
	h.t.Cleanup(h.stopRun)
}

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
	m := h.shoplineMessage(topic, webhookID, body)
	h.publish(m.Subject, m.Event, body)
}

// shoplineMessage is the delivery of a SHOPLINE webhook that shopline
// would publish, for calling Service.Handle directly.
func (h *harness) shoplineMessage(topic, webhookID string, body []byte) *jsx.Message {
	h.t.Helper()
	et, err := catalog.Webhook(catalog.Shopline, topic)
	if err != nil {
		h.t.Fatal(err)
	}
	e := event.New()
	e.SetID(catalog.Shopline + "-" + webhookID)
	e.SetSource("/shopline/shops/" + shopID)
	e.SetType(et.Type)
	e.SetSubject(foID)
	e.SetTime(time.Now())
	var doc struct {
		FulfillmentOrder struct {
			UpdatedAt time.Time `json:"updated_at"`
		} `json:"fulfillment_order"`
	}
	if json.Unmarshal(body, &doc) == nil && !doc.FulfillmentOrder.UpdatedAt.IsZero() {
		e.SetTime(doc.FulfillmentOrder.UpdatedAt)
	}
	e.SetExtension("provider", catalog.Shopline)
	e.SetExtension("shopid", shopID)
	if err := e.SetData(event.ApplicationJSON, body); err != nil {
		h.t.Fatal(err)
	}
	return &jsx.Message{Event: &e, Subject: et.Subject, Attempt: 1}
}

// webhook publishes any webhook with a fresh id.
func (h *harness) webhook(provider, name string, body []byte) {
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
	h.publish(et.Subject, &e, body)
}

func (h *harness) publish(subject string, e *event.Event, body []byte) {
	h.t.Helper()
	if err := e.SetData(event.ApplicationJSON, body); err != nil {
		h.t.Fatal(err)
	}
	msg, err := ce.ToMsg(subject, e)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.js.PublishMsg(context.Background(), msg); err != nil {
		h.t.Fatal(err)
	}
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

// events returns the events in FULFILLMENT, in stream order.
func (h *harness) events() []*event.Event {
	h.t.Helper()
	ctx := context.Background()
	s, err := h.js.Stream(ctx, catalog.StreamFulfillment)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []*event.Event
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			h.t.Fatal(err)
		}
		e, err := ce.FromMsg(m.Header, m.Data)
		if err != nil {
			h.t.Fatalf("FULFILLMENT seq %d is not a CloudEvent: %v", seq, err)
		}
		mustRow(h.t, e.Type(), m.Subject)
		out = append(out, e)
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
	kv, err := h.js.KeyValue(context.Background(), jsx.BucketHolds)
	if err != nil {
		return model.FulfillmentHold{}, false
	}
	entry, err := kv.Get(context.Background(), key)
	if err != nil {
		return model.FulfillmentHold{}, false
	}
	var rec model.FulfillmentHold
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		h.t.Fatal(err)
	}
	return rec, true
}

// timer returns the pending schedule of a hold, if any.
func (h *harness) timer(key string) (*jetstream.RawStreamMsg, bool) {
	h.t.Helper()
	s, err := h.js.Stream(context.Background(), jsx.StreamHoldTimers)
	if err != nil {
		return nil, false
	}
	schedule, _ := jsx.HoldTimerSubjects(key)
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
	s, err := h.js.Stream(context.Background(), jsx.StreamHoldTimers)
	if err != nil {
		return false
	}
	_, subject := jsx.HoldTimerSubjects(key)
	_, err = s.GetLastMsgForSubject(context.Background(), subject)
	return err == nil
}

func (h *harness) dlq() []jsx.DLQEntry {
	h.t.Helper()
	var all []jsx.DLQEntry
	for _, c := range []string{fulfillmentholds.Durable, fulfillmentholds.TimersDurable} {
		entries, err := jsx.ListDLQ(context.Background(), h.js, c)
		if err != nil {
			h.t.Fatal(err)
		}
		all = append(all, entries...)
	}
	return all
}

// settled waits until both consumers have nothing pending or
// unacknowledged.
func (h *harness) settled() {
	h.t.Helper()
	for _, c := range []struct{ stream, durable string }{
		{catalog.StreamWebhooks, fulfillmentholds.Durable},
		{jsx.StreamHoldTimers, fulfillmentholds.TimersDurable},
	} {
		natstest.Eventually(h.t, c.durable+" to settle", func() bool {
			cons, err := h.js.Consumer(context.Background(), c.stream, c.durable)
			if err != nil {
				return false
			}
			info, err := cons.Info(context.Background())
			return err == nil && info.NumPending == 0 && info.NumAckPending == 0
		})
	}
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
	if e.Subject() != rec.ID || e.Source() != fulfillmentholds.Source {
		t.Errorf("event subject %q source %q, want %q and %q", e.Subject(), e.Source(), rec.ID, fulfillmentholds.Source)
	}
	return rec
}
