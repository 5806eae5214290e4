package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/tracing"
)

// Configured by OTEL_EXPORTER_OTLP_ENDPOINT, a process exports its spans
// over OTLP/HTTP to <endpoint>/v1/traces, at the latest when it shuts
// tracing down; before Start and after the shutdown tracing is off.
func TestStartExportsOverOTLPHTTP(t *testing.T) {
	var posts atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			posts.Add(1)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	l := envconf.New(nil)
	cfg := tracing.LoadConfig(l)
	if err := l.Err(); err != nil || !cfg.Enabled {
		t.Fatalf("config %+v, %v", cfg, err)
	}
	if tracing.Enabled() {
		t.Fatal("tracing on before Start")
	}
	stop, err := cfg.Start(context.Background(), "tracing-test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tracing.Start(context.Background(), "exported")
	if !span.SpanContext().IsValid() {
		t.Fatal("no span with tracing started")
	}
	span.End()
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if posts.Load() == 0 {
		t.Error("nothing was exported to the collector")
	}
	if tracing.Enabled() {
		t.Error("tracing still on after shutdown")
	}
}
