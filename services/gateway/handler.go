package gateway

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"net/http"
	"regexp"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/tracing"
)

// errPublish marks a message JetStream did not acknowledge.
var errPublish = errors.New("not stored")

// errTooLarge marks a body over the limit.
var errTooLarge = errors.New("body too large")

// errContentType marks a declared content type that is not JSON.
var errContentType = errors.New("unsupported content type")

// traceparentRE is the W3C trace-context traceparent header (version 00).
var traceparentRE = regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`)

// serveWebhook runs one request through the pipeline: method and
// content-type checks, bounded read, provider authentication and envelope
// check, catalog lookup, CloudEvent, JetStream publish, answer.
func (g *Gateway) serveWebhook(c *fasthttp.RequestCtx, rt *route) {
	start := time.Now()
	// Provider calls are bounded by VerifyTimeout in their clients. The
	// request's own context ends when the server shuts down, which must not
	// cut short a request in flight.
	ctx := context.Background()
	var span trace.Span
	if tracing.Enabled() {
		ctx, span = startSpan(c, rt)
	}
	code, res := g.receive(ctx, c, rt)
	g.metrics.observe(rt, code, time.Since(start))
	if span != nil {
		endSpan(span, code, res)
	}
	if res.err != nil {
		g.answerError(ctx, c, rt, code, res)
		return
	}
	writeJSON(c, code, accepted{Status: res.status, ID: res.id, Subject: res.subject})
}

// accountName is how logs name an account: the default account as
// "default", a name no account can take.
func accountName(account string) string {
	if account == "" {
		return "default"
	}
	return account
}

// request is the provider.Request of a fasthttp request.
type request fasthttp.RequestCtx

func (r *request) Header(name string) string {
	return string((*fasthttp.RequestCtx)(r).Request.Header.Peek(name))
}

func (r *request) Query(name string) string {
	return string((*fasthttp.RequestCtx)(r).QueryArgs().Peek(name))
}

// result is the outcome of one request.
type result struct {
	err     error
	status  string // "stored" or "duplicate"
	id      string
	subject string
}

// accepted is the body of a 200 answer.
type accepted struct {
	Status  string `json:"status"`
	ID      string `json:"id"`
	Subject string `json:"subject"`
}

func (g *Gateway) receive(ctx context.Context, c *fasthttp.RequestCtx, rt *route) (int, result) {
	if !c.IsPost() {
		return http.StatusMethodNotAllowed, result{err: errors.New("method not allowed: use POST")}
	}
	if rt.verifier == nil {
		return http.StatusServiceUnavailable, result{err: provider.Errorf(provider.ErrNotConfigured, "%s", rt.notConfigured)}
	}
	if err := checkContentType(c.Request.Header.ContentType()); err != nil {
		return http.StatusUnsupportedMediaType, result{err: err}
	}
	// The server refuses longer bodies before the handler runs (see
	// transportError); the check here keeps the limit local. The copy
	// outlives the request: the publisher may hold it after a timeout.
	if int64(len(c.PostBody())) > g.cfg.MaxBodyBytes {
		return http.StatusRequestEntityTooLarge, result{err: errTooLarge}
	}
	body := bytes.Clone(c.PostBody())
	wh, err := g.authenticate(ctx, c, rt, body)
	if err != nil {
		return statusFor(err), result{err: err}
	}
	wh = wh.ForAccount(rt.account)
	et, err := catalog.Webhook(wh.Provider, wh.Event)
	if err != nil {
		return statusFor(err), result{err: err}
	}
	annotate(ctx, wh, et)
	if !et.Known {
		g.metrics.uncatalogued.WithLabelValues(wh.Provider).Inc()
		g.log.Warn("event not in the catalog; stored by rule", append(tracing.LogFields(ctx),
			zap.String("provider", wh.Provider), zap.String("account", accountName(rt.account)), zap.String("event", wh.Event), zap.String("subject", et.Subject))...)
	}
	res := result{id: wh.ID, subject: et.Subject}
	duplicate, err := g.publish(ctx, et, wh, rt.account, string(c.Request.Header.Peek("traceparent")), string(c.Request.Header.Peek("tracestate")))
	if err != nil {
		res.err = err
		return statusFor(err), res
	}
	res.status = "stored"
	if duplicate {
		res.status = "duplicate"
		g.metrics.duplicates.WithLabelValues(rt.label).Inc()
	}
	return http.StatusOK, res
}

// authenticate runs the route's provider check, a child span of the
// request's when tracing is on.
func (g *Gateway) authenticate(ctx context.Context, c *fasthttp.RequestCtx, rt *route, body []byte) (provider.Webhook, error) {
	if !tracing.Enabled() {
		return rt.verifier.Verify(ctx, (*request)(c), body)
	}
	ctx, span := tracing.Start(ctx, "authenticate "+rt.label)
	wh, err := rt.verifier.Verify(ctx, (*request)(c), body)
	tracing.End(span, err)
	return wh, err
}

// publish wraps the webhook of account ("" the default) in a CloudEvent and
// waits until JetStream has stored it. It reports whether JetStream already
// had the message.
func (g *Gateway) publish(ctx context.Context, et catalog.EventType, wh provider.Webhook, account, traceparent, tracestate string) (bool, error) {
	t := wh.Time
	if t.IsZero() {
		t = time.Now()
	}
	var extensions [8]ce.Extension
	a := ce.Attributes{
		ID: wh.ID, Source: wh.Source, Type: et.Type, Subject: wh.Subject, Time: t,
		DataContentType: event.ApplicationJSON,
		Extensions:      append(extensions[:0], ce.Extension{Name: "provider", Value: wh.Provider}),
	}
	if account != "" {
		a.Extensions = append(a.Extensions, ce.Extension{Name: accounts.Extension, Value: account})
	}
	for k, v := range wh.Extensions {
		a.Extensions = append(a.Extensions, ce.Extension{Name: k, Value: v})
	}
	if tp, ts := tracing.Traceparent(ctx); tp != "" {
		// Tracing is on: the request's span continues the inbound trace,
		// and the consumers continue from the span.
		traceparent, tracestate = tp, ts
	}
	if traceparent != "" && traceparentRE.MatchString(traceparent) {
		a.Extensions = append(a.Extensions, ce.Extension{Name: "traceparent", Value: traceparent})
		if tracestate != "" && len(tracestate) <= 512 {
			a.Extensions = append(a.Extensions, ce.Extension{Name: "tracestate", Value: tracestate})
		}
	}
	msg, err := ce.NewMsg(et.Subject, a, wh.Body)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.PublishTimeout)
	defer cancel()
	start := time.Now()
	duplicate, err := g.store(ctx, msg)
	g.metrics.publish.Observe(time.Since(start).Seconds())
	if err != nil {
		return false, errors.Join(errPublish, err)
	}
	return duplicate, nil
}

// store publishes msg, a child span of the request's when tracing is on.
func (g *Gateway) store(ctx context.Context, msg *nats.Msg) (bool, error) {
	if !tracing.Enabled() {
		return g.pub.Publish(ctx, msg)
	}
	ctx, span := tracing.Start(ctx, "publish "+catalog.StreamWebhooks, trace.WithSpanKind(trace.SpanKindProducer))
	duplicate, err := g.pub.Publish(ctx, msg)
	span.SetAttributes(attribute.Bool("hookstream.duplicate", duplicate))
	tracing.End(span, err)
	return duplicate, err
}

// checkContentType accepts a missing content type (the body must then be
// JSON, which the provider check enforces) and any JSON media type.
func checkContentType(v []byte) error {
	switch string(v) {
	case "", "application/json":
		return nil
	}
	mt, _, err := mime.ParseMediaType(string(v))
	if err != nil {
		return errContentType
	}
	switch {
	case mt == "application/json", mt == "text/json",
		len(mt) > len("+json") && mt[len(mt)-len("+json"):] == "+json":
		return nil
	}
	return errContentType
}
