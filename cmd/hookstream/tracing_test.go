package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/tracing"
	"github.com/hookstream/hookstream/pkg/tracing/tracingtest"
	"github.com/hookstream/hookstream/schemas"
)

// canonicalEvents collects the headers of the canonical events published
// on a subject filter.
type canonicalEvents struct {
	mu   sync.Mutex
	msgs []nats.Header
}

func collect(t *testing.T, nc *nats.Conn, filter string) *canonicalEvents {
	t.Helper()
	c := &canonicalEvents{}
	sub, err := nc.Subscribe(filter, func(m *nats.Msg) {
		c.mu.Lock()
		c.msgs = append(c.msgs, m.Header)
		c.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return c
}

func (c *canonicalEvents) all() []nats.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]nats.Header(nil), c.msgs...)
}

// postWebhook sends et's catalog example to the dev gateway, correctly
// authenticated, with extra headers, and wants a 200.
func postWebhook(t *testing.T, env *devEnv, et catalog.EventType, extra map[string]string) {
	t.Helper()
	body, headers, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	postBody(t, env, et, body, headers, extra)
}

// postBody is postWebhook with another body.
func postBody(t *testing.T, env *devEnv, et catalog.EventType, body []byte, headers, extra map[string]string) {
	t.Helper()
	if headers == nil {
		headers = map[string]string{}
	}
	for k, v := range extra {
		headers[k] = v
	}
	o := sendOptions{gatewayURL: env.gatewayURL, sandboxURL: env.sandboxURL, shipstationTok: devShipStationToken,
		shipstationAPI: env.apiURL, shoplineSecret: devShoplineSecret}
	req, err := o.signedRequest(context.Background(), et, body, headers)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s", et.Provider, et.Event, resp.Status)
	}
}

// traceOf parses a traceparent header into its trace and parent span id.
func traceOf(t *testing.T, traceparent string) (trace.TraceID, trace.SpanID) {
	t.Helper()
	parts := strings.Split(traceparent, "-")
	if len(parts) != 4 {
		t.Fatalf("traceparent %q", traceparent)
	}
	tid, err1 := trace.TraceIDFromHex(parts[1])
	sid, err2 := trace.SpanIDFromHex(parts[2])
	if err1 != nil || err2 != nil {
		t.Fatalf("traceparent %q: %v %v", traceparent, err1, err2)
	}
	return tid, sid
}

// spansOf returns the ended spans of a trace.
func spansOf(exp *tracetest.InMemoryExporter, tid trace.TraceID) map[trace.SpanID]tracetest.SpanStub {
	out := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID() == tid {
			out[s.SpanContext.SpanID()] = s
		}
	}
	return out
}

// find returns the spans named name.
func find(spans map[trace.SpanID]tracetest.SpanStub, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// attr returns a span's attribute as a string.
func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// checkTree fails unless the spans form one tree under root, whose parent
// is want (the inbound request's span, or none).
func checkTree(t *testing.T, spans map[trace.SpanID]tracetest.SpanStub, root tracetest.SpanStub, want trace.SpanID) {
	t.Helper()
	if got := root.Parent.SpanID(); got != want {
		t.Errorf("root span %q has parent %s, want %s", root.Name, got, want)
	}
	for _, s := range spans {
		if s.SpanContext.SpanID() == root.SpanContext.SpanID() {
			continue
		}
		if _, ok := spans[s.Parent.SpanID()]; !ok {
			t.Errorf("span %q has parent %s, which is not in the trace", s.Name, s.Parent.SpanID())
		}
	}
}

// One trace follows a webhook from the gateway's HTTP request, continuing
// the caller's traceparent, through JetStream and a consumer (its KV reads
// and writes, its publish, and for ShipStation its API calls to the
// sandbox) to the canonical event, whose ce-traceparent names the
// consumer's span.
func TestOneTraceFromWebhookToCanonicalEvent(t *testing.T) {
	exp := tracingtest.Record(t)
	env := startTestDev(t)
	snipcartOrders := collect(t, env.nc, "orders.snipcart.upserted.>")
	shipstationOrders := collect(t, env.nc, "orders.shipstation.upserted.>")

	t.Run("snipcart order, inbound traceparent", func(t *testing.T) {
		inbound := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		inTrace, inSpan := traceOf(t, inbound)
		postWebhook(t, env, mustWebhook(t, catalog.Snipcart, "order.completed"), map[string]string{"traceparent": inbound})
		natstest.Eventually(t, "the canonical order", func() bool { return len(snipcartOrders.all()) > 0 })
		tid, parent := traceOf(t, snipcartOrders.all()[0].Get("ce-traceparent"))
		if tid != inTrace {
			t.Fatalf("canonical event in trace %s, want the inbound %s", tid, inTrace)
		}
		var spans map[trace.SpanID]tracetest.SpanStub
		natstest.Eventually(t, "the consumer's span to end", func() bool {
			spans = spansOf(exp, tid)
			return len(find(spans, "order-enricher process")) == 1 && len(find(spans, "webhook snipcart")) == 1
		})
		gw, consumer := find(spans, "webhook snipcart")[0], find(spans, "order-enricher process")[0]
		checkTree(t, spans, gw, inSpan)
		if consumer.Parent.SpanID() != gw.SpanContext.SpanID() {
			t.Errorf("the consumer's span is not a child of the gateway's")
		}
		if parent != consumer.SpanContext.SpanID() {
			t.Errorf("the canonical event's traceparent names span %s, not the consumer's %s", parent, consumer.SpanContext.SpanID())
		}
		for key, want := range map[string]string{"hookstream.provider": "snipcart", "cloudevents.event_type": "com.snipcart.webhook.order.completed", "hookstream.outcome": "stored"} {
			if got := attr(gw, key); got != want {
				t.Errorf("gateway span %s = %q, want %q", key, got, want)
			}
		}
		if got := attr(consumer, "hookstream.outcome"); got != "ack" {
			t.Errorf("consumer span outcome %q, want ack", got)
		}
		for _, name := range []string{"authenticate snipcart", "snipcart GET", "publish WEBHOOKS", "state apply", "kv get", "kv update", "publish ORDERS"} {
			if len(find(spans, name)) == 0 {
				t.Errorf("no span %q in the trace", name)
			}
		}
	})

	t.Run("shipstation import batch, API calls through the sandbox", func(t *testing.T) {
		postWebhook(t, env, mustWebhook(t, catalog.ShipStation, "ORDER_NOTIFY"), nil)
		natstest.Eventually(t, "the canonical orders", func() bool { return len(shipstationOrders.all()) > 0 })
		events := shipstationOrders.all()
		tid, parent := traceOf(t, events[0].Get("ce-traceparent"))
		for _, h := range events[1:] {
			if other, _ := traceOf(t, h.Get("ce-traceparent")); other != tid {
				t.Errorf("the orders of one batch are in traces %s and %s", tid, other)
			}
		}
		var spans map[trace.SpanID]tracetest.SpanStub
		natstest.Eventually(t, "the consumer's span to end", func() bool {
			spans = spansOf(exp, tid)
			return len(find(spans, "order-enricher process")) == 1
		})
		gws := find(spans, "webhook shipstation")
		if len(gws) != 1 {
			t.Fatalf("%d gateway spans in the trace, want 1", len(gws))
		}
		checkTree(t, spans, gws[0], trace.SpanID{}) // no inbound traceparent: the gateway starts the trace
		consumer := find(spans, "order-enricher process")[0]
		if parent != consumer.SpanContext.SpanID() {
			t.Errorf("the canonical event's traceparent names span %s, not the consumer's", parent)
		}
		calls := find(spans, "shipstation GET")
		if len(calls) == 0 {
			t.Fatal("no span of the ShipStation API call")
		}
		for _, c := range calls {
			if c.Parent.SpanID() != consumer.SpanContext.SpanID() {
				t.Errorf("API call span is not a child of the consumer's span")
			}
			if attr(c, "http.response.status_code") != "200" {
				t.Errorf("API call span: status %q", attr(c, "http.response.status_code"))
			}
		}
	})
}

func mustWebhook(t *testing.T, provider, event string) catalog.EventType {
	t.Helper()
	et, err := catalog.Webhook(provider, event)
	if err != nil {
		t.Fatal(err)
	}
	return et
}

// With tracing off (the default) nothing invents a trace: a webhook sent
// without a traceparent has none, in WEBHOOKS or on its canonical event;
// one sent with a traceparent carries it unchanged to both.
func TestTracingOffPassesOnlyAnInboundTraceparent(t *testing.T) {
	if tracing.Enabled() {
		t.Fatal("tracing is on")
	}
	env := startTestDev(t)
	orders := collect(t, env.nc, "orders.snipcart.upserted.>")
	webhooks := collect(t, env.nc, "webhooks.snipcart.>")
	et := mustWebhook(t, catalog.Snipcart, "order.completed")
	postWebhook(t, env, et, nil)
	natstest.Eventually(t, "the canonical order", func() bool { return len(orders.all()) == 1 })
	for what, h := range map[string]nats.Header{"webhook": webhooks.all()[0], "canonical event": orders.all()[0]} {
		if v := h.Get("ce-traceparent"); v != "" {
			t.Errorf("%s has a traceparent %q without tracing", what, v)
		}
	}
	inbound := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	// Another order (another token), so that it has an event of its own.
	body, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	doc["content"].(map[string]any)["token"] = "traced-order"
	body, _ = json.Marshal(doc)
	postBody(t, env, et, body, nil, map[string]string{"traceparent": inbound})
	natstest.Eventually(t, "the second canonical order", func() bool { return len(orders.all()) == 2 })
	for what, h := range map[string]nats.Header{"webhook": webhooks.all()[1], "canonical event": orders.all()[1]} {
		if got := h.Get("ce-traceparent"); got != inbound {
			t.Errorf("%s traceparent %q, want the inbound %q unchanged", what, got, inbound)
		}
	}
}
