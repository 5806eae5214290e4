package tracing

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Transport wraps base (nil: http.DefaultTransport) so that each request
// made with a context holding a span gets a client span of its own, named
// "<provider> <METHOD>", with the URL's host and path (never its query,
// which may hold ids or tokens) and the answer's status code. It sends no
// trace context to the provider: a provider's API is not part of
// hookstream's traces. With tracing off it is base, untouched.
func Transport(base http.RoundTripper, provider string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, provider: provider}
}

type transport struct {
	base     http.RoundTripper
	provider string
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !Enabled() || !trace.SpanContextFromContext(req.Context()).IsValid() {
		return t.base.RoundTrip(req)
	}
	_, span := Tracer().Start(req.Context(), t.provider+" "+req.Method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", req.Method),
			attribute.String("server.address", req.URL.Hostname()),
			attribute.String("url.path", req.URL.Path),
			attribute.String("hookstream.provider", t.provider),
		))
	defer span.End()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return resp, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, strconv.Itoa(resp.StatusCode))
	}
	return resp, nil
}
