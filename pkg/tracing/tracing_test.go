package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/tracing"
	"github.com/hookstream/hookstream/pkg/tracing/tracingtest"
)

// Tracing is off unless an exporter is configured, and the standard
// switches turn it off again.
func TestLoadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		on   bool
		err  string
	}{
		{"nothing set", nil, false, ""},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true, ""},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true, ""},
		{"exporter otlp, default endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, ""},
		{"exporter none", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, false, ""},
		{"sdk disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, false, ""},
		{"unknown exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, "OTEL_TRACES_EXPORTER"},
		{"grpc", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, ""},
		{"http/json", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, true, "OTEL_EXPORTER_OTLP_PROTOCOL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := envconf.New(envconf.Map(tc.env))
			c := tracing.LoadConfig(l)
			err := l.Err()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil || c.Enabled != tc.on {
				t.Errorf("enabled %t (%v), want %t", c.Enabled, err, tc.on)
			}
		})
	}
}

// A span's context travels in ce-traceparent and comes back out of it;
// without a span the headers keep what they had.
func TestHeaderRoundTrip(t *testing.T) {
	h := nats.Header{}
	tracing.ToHeader(context.Background(), h)
	if len(h) != 0 {
		t.Fatalf("headers %v without a span", h)
	}
	tracingtest.Record(t)
	ctx, span := tracing.Start(context.Background(), "test")
	defer span.End()
	tracing.ToHeader(ctx, h)
	want := "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01"
	if got := h.Get(tracing.HeaderTraceparent); got != want {
		t.Fatalf("ce-traceparent %q, want %q", got, want)
	}
	if tp, _ := tracing.Traceparent(ctx); tp != want {
		t.Errorf("Traceparent %q, want %q", tp, want)
	}
	back := tracing.FromHeader(context.Background(), h)
	if fields := tracing.LogFields(back); len(fields) != 2 || fields[0].String != span.SpanContext().TraceID().String() {
		t.Errorf("log fields %v", fields)
	}
}

// The provider transport makes a client span of a call made under a span,
// and sends the provider no trace context.
func TestTransport(t *testing.T) {
	exp := tracingtest.Record(t)
	var got string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("traceparent")
		w.WriteHeader(http.StatusTeapot)
	}))
	defer api.Close()
	client := &http.Client{Transport: tracing.Transport(nil, "acme")}
	ctx, span := tracing.Start(context.Background(), "handler")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/orders?secret=x", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	span.End()
	if got != "" {
		t.Errorf("the provider was sent traceparent %q", got)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[0].Name != "acme GET" || spans[0].Parent.SpanID() != span.SpanContext().SpanID() {
		t.Fatalf("spans %v, want acme GET under handler", spans)
	}
	for _, kv := range spans[0].Attributes {
		if strings.Contains(kv.Value.Emit(), "secret") {
			t.Errorf("attribute %s holds the query: %s", kv.Key, kv.Value.Emit())
		}
	}
}
