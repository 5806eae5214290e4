package tracing

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The CloudEvents distributed-tracing extension's headers in binary mode
// on NATS: the W3C traceparent and tracestate, prefixed "ce-".
const (
	HeaderTraceparent = "ce-traceparent"
	HeaderTracestate  = "ce-tracestate"
)

// w3c is the W3C trace-context propagator; hookstream propagates nothing
// else across NATS.
var w3c = propagation.TraceContext{}

// ceCarrier maps the W3C keys onto a message's ce-* headers.
type ceCarrier nats.Header

func (c ceCarrier) Get(key string) string {
	return nats.Header(c).Get("ce-" + key)
}

func (c ceCarrier) Set(key, value string) {
	// ce.FromMsg reads the headers as written (lower-case), like the rest
	// of hookstream's ce-* headers; no canonicalisation.
	nats.Header(c)["ce-"+key] = []string{value}
}

func (c ceCarrier) Keys() []string { return w3c.Fields() }

// FromHeader returns ctx with the remote span context of a message's
// ce-traceparent (and ce-tracestate), when it has a valid one.
func FromHeader(ctx context.Context, h nats.Header) context.Context {
	if h == nil {
		return ctx
	}
	return w3c.Extract(ctx, ceCarrier(h))
}

// ToHeader writes the span context of ctx into a message's ce-traceparent
// and ce-tracestate, replacing what they held. It does nothing when ctx
// has no valid span context (tracing off), so the headers keep what they
// carried.
func ToHeader(ctx context.Context, h nats.Header) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	delete(h, HeaderTracestate)
	w3c.Inject(ctx, ceCarrier(h))
}

// HeaderCarrier adapts a lookup of request headers (fasthttp's Peek) to
// a TextMapCarrier for extracting an inbound traceparent.
type HeaderCarrier func(name string) string

// Get implements propagation.TextMapCarrier.
func (f HeaderCarrier) Get(key string) string { return f(key) }

// Set implements propagation.TextMapCarrier; a request's headers are
// read-only.
func (HeaderCarrier) Set(string, string) {}

// Keys implements propagation.TextMapCarrier.
func (HeaderCarrier) Keys() []string { return w3c.Fields() }

// FromRequest returns ctx with the remote span context of an inbound
// request's traceparent and tracestate headers, read with get.
func FromRequest(ctx context.Context, get func(name string) string) context.Context {
	return w3c.Extract(ctx, HeaderCarrier(get))
}

// Traceparent returns the W3C traceparent and tracestate of the span in
// ctx, "" when it has no valid span context.
func Traceparent(ctx context.Context) (traceparent, tracestate string) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return "", ""
	}
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	return c["traceparent"], c["tracestate"]
}
