// Package tracingtest turns hookstream's tracing on for a test, with every
// finished span kept in memory.
package tracingtest

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookstream/hookstream/pkg/tracing"
)

// Record installs a tracer provider that exports every span at once to the
// in-memory exporter it returns, and uninstalls it when the test ends.
func Record(t testing.TB) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tracing.Install(tp)
	t.Cleanup(func() { tracing.Uninstall(); _ = tp.Shutdown(context.Background()) })
	return exp
}
