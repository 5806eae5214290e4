package subscribe_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
	"github.com/hookstream/hookstream/pkg/subscribe"
)

// env is a real JetStream server with the canonical streams, and the
// state stores hookstream's services publish canonical events through.
type env struct {
	js     jetstream.JetStream
	orders *state.Store
	holds  *state.Store
}

func newEnv(t *testing.T) env {
	t.Helper()
	return provision(t, natstest.Run(t))
}

// provision creates the canonical streams and the state buckets on srv,
// as hookstream's services do at start-up.
func provision(t *testing.T, srv *natstest.Server) env {
	t.Helper()
	return provisionJS(t, srv.JetStream())
}

// provisionJS is provision through js.
func provisionJS(t *testing.T, js jetstream.JetStream) env {
	t.Helper()
	ctx := context.Background()
	// Idempotent, so retried: on a loaded machine one JetStream API call
	// can outlast its 5-second timeout.
	natstest.Eventually(t, "the canonical streams", func() bool {
		err := streams.Ensure(ctx, js, streams.Orders(streams.Options{}), streams.Shipments(streams.Options{}), streams.Fulfillment(streams.Options{}))
		if err != nil {
			t.Logf("ensure streams: %v (retrying)", err)
		}
		return err == nil
	})
	bucket := func(name string) jetstream.KeyValue {
		kv, err := state.EnsureBucket(ctx, js, state.Bucket(name, "test", state.BucketOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		return kv
	}
	return env{
		js:     js,
		orders: state.New(js, bucket(state.BucketOrders), state.Kind{Root: "orders", Stream: catalog.StreamOrders, Source: "/test/order-enricher"}),
		holds:  state.New(js, bucket(state.BucketHolds), state.Kind{Root: "fulfillment", Stream: catalog.StreamFulfillment, Source: "/test/fulfillment-holds"}),
	}
}

// decodeStored reads message seq of stream back as it is stored (GetMsg,
// as a core subscriber or `nats stream get` sees it) and decodes it with
// DecodeMsg.
func (e env) decodeStored(t *testing.T, stream string, seq uint64) subscribe.Event {
	t.Helper()
	s, err := e.js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.GetMsg(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := subscribe.DecodeMsg(&nats.Msg{Subject: raw.Subject, Header: raw.Header, Data: raw.Data})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// putOrder stores o as the order-enricher does, publishing its upserted
// event; cause (may be nil) is the event being handled.
func (e env) putOrder(t *testing.T, cause *event.Event, o model.Order) {
	t.Helper()
	put(t, e.orders, cause, o.Key(), o, &state.Event{Name: catalog.OrderUpserted, Provider: o.Provider, Subject: o.ID, Time: o.UpdatedAt, Account: o.Account})
}

// putHold stores h as fulfillment-holds does, publishing event name.
func (e env) putHold(t *testing.T, h model.FulfillmentHold, name string) {
	t.Helper()
	put(t, e.holds, nil, h.Key(), h, &state.Event{Name: name, Provider: h.Provider, Subject: h.ID, Time: h.UpdatedAt, Account: h.Account})
}

func put(t *testing.T, s *state.Store, cause *event.Event, key string, record any, ev *state.Event) {
	t.Helper()
	res, err := s.Apply(context.Background(), cause, key, func(json.RawMessage) (*state.Change, error) {
		return &state.Change{State: record, Event: ev}, nil
	})
	if err != nil || res.Published == 0 {
		t.Fatalf("apply %s: %+v, %v", key, res, err)
	}
}

func order(provider, id, number string, updated time.Time) model.Order {
	return model.Order{
		ID: provider + ":" + id, Provider: provider, Store: "42", Number: number,
		Status: model.StatusAwaitingFulfillment, Currency: "USD",
		Totals:    model.Totals{Total: "12.50"},
		CreatedAt: updated, UpdatedAt: updated,
	}
}

func hold(fulfillmentOrderID string, status model.HoldStatus, updated time.Time) model.FulfillmentHold {
	return model.FulfillmentHold{
		ID:       model.FulfillmentHoldID(catalog.Shopline, "1610418123456", fulfillmentOrderID),
		Provider: catalog.Shopline, Shop: "1610418123456", FulfillmentOrderID: fulfillmentOrderID,
		Status:    status,
		Holds:     []model.Hold{{Reason: "out of stock", NormalisedReason: model.NormaliseHoldReason("out of stock")}},
		HoldSeq:   1,
		PlacedAt:  updated,
		UpdatedAt: updated,
	}
}

// received collects what a handler was given, for a test to wait on.
type received[T any] struct {
	mu  sync.Mutex
	all []T
}

func (r *received[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, v)
}

func (r *received[T]) get() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.all...)
}

// run runs subscribe.Run until the test ends and checks that it drained
// cleanly.
func run(t *testing.T, js jetstream.JetStream, cfg subscribe.Config, h subscribe.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- subscribe.Run(ctx, js, cfg, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// consumerInfo waits for the durable consumer and returns its info.
func consumerInfo(t *testing.T, js jetstream.JetStream, stream, durable string) *jetstream.ConsumerInfo {
	t.Helper()
	var info *jetstream.ConsumerInfo
	natstest.Eventually(t, "consumer "+durable, func() bool {
		c, err := js.Consumer(context.Background(), stream, durable)
		if err != nil {
			return false
		}
		info, err = c.Info(context.Background())
		return err == nil
	})
	return info
}

func has(s, sub string) bool { return strings.Contains(s, sub) }
