package gateway

import (
	"context"
	"net/http"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/tracing"
)

// startSpan starts the span of one webhook request (tracing on only): a
// server span continuing the request's W3C traceparent when it has a valid
// one. Its context goes into the CloudEvent (ce-traceparent), so the
// consumers' spans are its children.
func startSpan(c *fasthttp.RequestCtx, rt *route) (context.Context, trace.Span) {
	parent := tracing.FromRequest(context.Background(), func(name string) string { return string(c.Request.Header.Peek(name)) })
	return tracing.Tracer().Start(parent, "webhook "+rt.label, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", string(c.Method())),
			attribute.String("http.route", rt.pattern),
			attribute.String("hookstream.route", rt.label),
			attribute.String("hookstream.account", accountName(rt.account)),
		))
}

// endSpan ends the request's span with its outcome: "stored",
// "duplicate", or the error code of the answer (unauthenticated,
// unavailable, …). Only a 5xx, a failure on our side, is an error status;
// a refused request is the gateway doing its job (the OpenTelemetry
// convention for server spans).
func endSpan(span trace.Span, code int, res result) {
	outcome := res.status
	if res.err != nil {
		outcome = codeNames[code]
		span.SetAttributes(attribute.String("error.type", outcome))
	}
	span.SetAttributes(attribute.Int("http.response.status_code", code), attribute.String("hookstream.outcome", outcome))
	if code >= http.StatusInternalServerError {
		tracing.End(span, res.err)
		return
	}
	span.End()
}

// annotate puts what authentication found out on the request's span.
func annotate(ctx context.Context, wh provider.Webhook, et catalog.EventType) {
	if !tracing.Enabled() {
		return
	}
	trace.SpanFromContext(ctx).SetAttributes(
		attribute.String("hookstream.provider", wh.Provider),
		attribute.String("cloudevents.event_type", et.Type),
		attribute.String("cloudevents.event_id", wh.ID),
		attribute.String("cloudevents.event_subject", wh.Subject),
		attribute.String("messaging.destination.name", et.Subject),
	)
}
