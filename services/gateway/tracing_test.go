package gateway_test

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/tracing/tracingtest"
)

// With tracing on, a webhook is a server span continuing the request's
// traceparent, with children for authentication and the publish, and its
// CloudEvent carries the span's own context; a refused webhook's span
// says why, and so does its log line, with the trace's ids.
func TestWebhookSpan(t *testing.T) {
	exp := tracingtest.Record(t)
	core, logs := observer.New(zap.InfoLevel)
	h := newHarnessLogging(t, nil, zap.New(core))

	const inbound = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	et, body, headers := exampleOf(t, "shopline", "fulfillment_order/update")
	r := h.signed(et, body, headers)
	r.header.Set("traceparent", inbound)
	wantCode(t, h.do(r), http.StatusOK)

	spans := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		spans[s.Name] = s
	}
	root, ok := spans["webhook shopline"]
	if !ok {
		t.Fatalf("no webhook span among %d", len(spans))
	}
	if root.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || root.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("webhook span in trace %s under %s: it does not continue the inbound traceparent", root.SpanContext.TraceID(), root.Parent.SpanID())
	}
	for _, child := range []string{"authenticate shopline", "publish WEBHOOKS"} {
		if s, ok := spans[child]; !ok || s.Parent.SpanID() != root.SpanContext.SpanID() {
			t.Errorf("span %q is not a child of the webhook span", child)
		}
	}
	attrs := map[string]string{}
	for _, kv := range root.Attributes {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	for k, want := range map[string]string{"hookstream.provider": "shopline", "cloudevents.event_type": et.Type, "hookstream.outcome": "stored", "http.response.status_code": "200"} {
		if attrs[k] != want {
			t.Errorf("webhook span %s = %q, want %q", k, attrs[k], want)
		}
	}
	want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + root.SpanContext.SpanID().String() + "-01"
	if got := h.last(et.Subject).Header.Get("ce-traceparent"); got != want {
		t.Errorf("ce-traceparent %q, want the webhook span's %q", got, want)
	}

	exp.Reset()
	forged := h.signed(et, body, headers)
	forged.header.Set(shopline.HeaderHmac, shopline.Sign("guessed-secret", body))
	wantCode(t, h.do(forged), http.StatusUnauthorized)
	refused := exp.GetSpans()
	var span tracetest.SpanStub
	for _, s := range refused {
		if s.Name == "webhook shopline" {
			span = s
		}
	}
	if !span.SpanContext.IsValid() {
		t.Fatal("no span of the refused webhook")
	}
	lines := logs.FilterMessage("webhook refused").All()
	if len(lines) != 1 {
		t.Fatalf("%d refusal log lines", len(lines))
	}
	if got := lines[0].ContextMap()["trace_id"]; got != span.SpanContext.TraceID().String() {
		t.Errorf("refusal logged with trace_id %v, want %s", got, span.SpanContext.TraceID())
	}
	for _, kv := range span.Attributes {
		if kv.Key == "hookstream.outcome" && kv.Value.Emit() != "unauthenticated" {
			t.Errorf("refused webhook's outcome %q", kv.Value.Emit())
		}
	}
}
