// Package tracing is hookstream's OpenTelemetry tracing: the configuration
// read from the standard OTEL_* variables, the tracer provider a process
// installs, and the few helpers the gateway, the runner, the state store
// and the provider clients share (trace context in CloudEvents headers, a
// traced http.RoundTripper, log fields).
//
// Tracing is off unless configured: without an OTLP endpoint (or with
// OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none) nothing is
// installed, [Enabled] is false, and the instrumented code skips its
// tracing work altogether: no span, no invented traceparent (an inbound
// one is still passed through, as it always was).
//
// One trace follows a webhook from the gateway's HTTP request to the
// canonical events it causes: the gateway continues an inbound W3C
// traceparent and writes its own span's context into the CloudEvent
// (ce-traceparent, the CloudEvents distributed-tracing extension); a
// consumer continues from there, and the canonical events it publishes
// carry its span's context in turn.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookstream/hookstream/pkg/envconf"
)

// ScopeName is the instrumentation scope of hookstream's spans.
const ScopeName = "github.com/hookstream/hookstream"

// Config is whether and where a process exports traces, from the standard
// OpenTelemetry variables:
//
//   - OTEL_SDK_DISABLED=true turns tracing off, whatever else is set.
//   - OTEL_TRACES_EXPORTER: "otlp" or "none"; unset means otlp when an
//     endpoint is set, none otherwise.
//   - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT:
//     the collector (http://collector:4318).
//   - OTEL_EXPORTER_OTLP_PROTOCOL (or _TRACES_PROTOCOL): http/protobuf
//     (the default, port 4318) or grpc (port 4317).
//   - OTEL_SERVICE_NAME: the service.name of the spans (default: the
//     service's own name).
//
// The SDK itself reads the rest from the environment: OTEL_TRACES_SAMPLER
// and _ARG (default parentbased_always_on), OTEL_RESOURCE_ATTRIBUTES,
// OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE and the
// OTEL_BSP_* batch settings.
type Config struct {
	// Enabled is true when traces are exported.
	Enabled bool
	// Protocol is "http/protobuf" or "grpc".
	Protocol string
	// Endpoint is the OTLP endpoint, for the start-up log.
	Endpoint string
	// ServiceName is OTEL_SERVICE_NAME; empty means the service's name.
	ServiceName string
}

// LoadConfig reads the tracing Config.
func LoadConfig(l *envconf.Loader) Config {
	c := Config{ServiceName: l.String("OTEL_SERVICE_NAME", "")}
	c.Endpoint = l.String("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", l.String("OTEL_EXPORTER_OTLP_ENDPOINT", ""))
	exporter := l.String("OTEL_TRACES_EXPORTER", "")
	disabled := l.Bool("OTEL_SDK_DISABLED", false)
	switch exporter {
	case "":
		c.Enabled = c.Endpoint != ""
	case "otlp":
		c.Enabled = true
	case "none":
	default:
		l.Fail("OTEL_TRACES_EXPORTER", "want otlp or none, got %q", exporter)
	}
	c.Protocol = l.String("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", l.String("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"))
	if c.Enabled && !disabled && c.Protocol != "http/protobuf" && c.Protocol != "grpc" {
		l.Fail("OTEL_EXPORTER_OTLP_PROTOCOL", "want http/protobuf or grpc, got %q", c.Protocol)
	}
	c.Enabled = c.Enabled && !disabled
	return c
}

// String renders the configuration for the start-up log.
func (c Config) String() string {
	if !c.Enabled {
		return "OTEL_TRACES=off"
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = "default"
	}
	return "OTEL_TRACES=otlp OTEL_EXPORTER_OTLP_PROTOCOL=" + c.Protocol + " OTEL_EXPORTER_OTLP_ENDPOINT=" + endpoint
}

// Start installs the tracer provider c describes for the service called
// service, exporting in batches over OTLP (HTTP or gRPC), and returns the function
// that flushes and stops it (call it at exit). When c is not Enabled it
// installs nothing and returns a no-op.
func (c Config) Start(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	if !c.Enabled {
		return func(context.Context) error { return nil }, nil
	}
	var exp sdktrace.SpanExporter
	if c.Protocol == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	name := c.ServiceName
	if name == "" {
		name = service
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(semconv.ServiceName(name)))
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	Install(tp)
	return func(ctx context.Context) error {
		enabled.Store(false)
		return tp.Shutdown(ctx)
	}, nil
}

// enabled is set by Install: the instrumented code asks Enabled before it
// does any tracing work, so that a process without tracing pays nothing.
var enabled atomic.Bool

// Install makes tp the process's tracer provider (otel's global one), W3C
// trace context its propagator, and turns the instrumentation on. Start
// calls it; a test calls it with a provider of its own (see tracetest).
func Install(tp trace.TracerProvider) {
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	enabled.Store(true)
}

// Uninstall turns the instrumentation off again (for tests).
func Uninstall() { enabled.Store(false) }

// Enabled reports whether tracing is on in this process.
func Enabled() bool { return enabled.Load() }

// Tracer returns hookstream's tracer from the installed provider.
func Tracer() trace.Tracer { return otel.Tracer(ScopeName) }

// Start starts a span named name as a child of the span in ctx (when
// tracing is on; otherwise it returns ctx and a no-op span).
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !Enabled() {
		return ctx, noopSpan
	}
	return Tracer().Start(ctx, name, opts...)
}

// noopSpan is what Start returns when tracing is off: it records nothing.
var noopSpan = trace.SpanFromContext(context.Background())

// End ends span, recording err (when not nil) as its status.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, firstLine(err.Error()))
	}
	span.End()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
