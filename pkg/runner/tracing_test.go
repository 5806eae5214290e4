package runner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/tracing/tracingtest"
)

// With tracing on, each delivery is a consumer span continued from the
// message's ce-traceparent; the handler runs inside it; the span records
// the outcome; and the runner's log lines about the delivery carry its
// trace_id and span_id.
func TestDeliverySpan(t *testing.T) {
	exp := tracingtest.Record(t)
	core, logs := observer.New(zap.InfoLevel)

	_, js := startJetStream(t)
	const inbound = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	handled := make(chan trace.SpanContext, 1)
	r, err := runner.New(js, testConfig("traced"), func(ctx context.Context, m *runner.Message) error {
		handled <- trace.SpanContextFromContext(ctx)
		return runner.Permanent(errors.New("not for us"))
	}, zap.New(core), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	e := testEvent("traced-1", []byte(`{}`))
	e.SetExtension("traceparent", inbound)
	msg, err := ce.ToMsg("webhooks.example.order_notify", e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(context.Background(), msg, jetstream.WithExpectStream("WEBHOOKS")); err != nil {
		t.Fatal(err)
	}
	sc := <-handled
	if got := sc.TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("handler ran in trace %s, not the message's", got)
	}
	var span tracetest.SpanStub
	natstest.Eventually(t, "the delivery's span", func() bool {
		for _, s := range exp.GetSpans() {
			if s.Name == "traced process" {
				span = s
				return true
			}
		}
		return false
	})
	if span.SpanContext.SpanID() != sc.SpanID() || span.Parent.SpanID().String() != "00f067aa0ba902b7" || span.SpanKind != trace.SpanKindConsumer {
		t.Errorf("span %s (parent %s, kind %s): want the handler's span %s, child of the message's", span.SpanContext.SpanID(), span.Parent.SpanID(), span.SpanKind, sc.SpanID())
	}
	attrs := map[string]string{}
	for _, kv := range span.Attributes {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	for k, want := range map[string]string{"hookstream.outcome": runner.OutcomeDLQ, "hookstream.delivery_count": "1", "messaging.consumer.group.name": "traced", "messaging.message.id": "traced-1"} {
		if attrs[k] != want {
			t.Errorf("span attribute %s = %q, want %q", k, attrs[k], want)
		}
	}
	if span.Status.Description == "" {
		t.Error("the handler's error is not the span's status")
	}
	lines := logs.FilterMessageSnippet("permanent failure").All()
	if len(lines) != 1 {
		t.Fatalf("%d DLQ log lines", len(lines))
	}
	fields := lines[0].ContextMap()
	if fields["trace_id"] != sc.TraceID().String() || fields["span_id"] != sc.SpanID().String() {
		t.Errorf("log line trace_id %v span_id %v, want %s %s", fields["trace_id"], fields["span_id"], sc.TraceID(), sc.SpanID())
	}
}
