package tracing_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

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
	exportOneSpan(t)
	if posts.Load() == 0 {
		t.Error("nothing was exported to the collector")
	}
}

// traceService is an OTLP/gRPC collector that counts the spans it gets.
type traceService struct {
	collectortrace.UnimplementedTraceServiceServer
	spans atomic.Int32
}

func (s *traceService) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			s.spans.Add(int32(len(ss.GetSpans())))
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// With OTEL_EXPORTER_OTLP_PROTOCOL=grpc the spans go to a collector's
// OTLP/gRPC port instead.
func TestStartExportsOverOTLPGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	collector := &traceService{}
	collectortrace.RegisterTraceServiceServer(srv, collector)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+ln.Addr().String())
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	exportOneSpan(t)
	if got := collector.spans.Load(); got != 1 {
		t.Errorf("the collector got %d spans, want 1", got)
	}
}

// exportOneSpan starts tracing from the environment, ends one span and
// shuts tracing down (which flushes it).
func exportOneSpan(t *testing.T) {
	t.Helper()
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
	if tracing.Enabled() {
		t.Error("tracing still on after shutdown")
	}
}
