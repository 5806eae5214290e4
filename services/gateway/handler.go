package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/provider"
)

// errPublish marks a message JetStream did not acknowledge.
var errPublish = errors.New("not stored")

// errTooLarge marks a body over the limit.
var errTooLarge = errors.New("body too large")

// errContentType marks a declared content type that is not JSON.
var errContentType = errors.New("unsupported content type")

// traceparentRE is the W3C trace-context traceparent header (version 00).
var traceparentRE = regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`)

// webhookHandler runs one request through the pipeline: method and
// content-type checks, bounded read, provider authentication and envelope
// check, catalog lookup, CloudEvent, JetStream publish, answer.
func (g *Gateway) webhookHandler(rt *route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		code, res := g.receive(r, rt)
		g.metrics.observe(rt.label, code, time.Since(start))
		if res.err != nil {
			g.answerError(w, r, rt, code, res)
			return
		}
		writeJSON(w, code, accepted{Status: res.status, ID: res.id, Subject: res.subject})
	}
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

func (g *Gateway) receive(r *http.Request, rt *route) (int, result) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, result{err: errors.New("method not allowed: use POST")}
	}
	if rt.verifier == nil {
		return http.StatusServiceUnavailable, result{err: provider.Errorf(provider.ErrNotConfigured, "%s webhooks are not configured: set %s", rt.label, rt.unset)}
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return http.StatusUnsupportedMediaType, result{err: err}
	}
	body, err := readBody(r, g.cfg.MaxBodyBytes)
	if err != nil {
		return statusFor(err), result{err: err}
	}
	wh, err := rt.verifier.Verify(r.Context(), r, body) // provider calls are bounded by VerifyTimeout in their clients
	if err != nil {
		return statusFor(err), result{err: err}
	}
	et, err := catalog.Webhook(wh.Provider, wh.Event)
	if err != nil {
		return statusFor(err), result{err: err}
	}
	if !et.Known {
		g.metrics.uncatalogued.WithLabelValues(wh.Provider, et.Subject).Inc()
		g.log.Warn("event not in the catalog; stored by rule",
			zap.String("provider", wh.Provider), zap.String("event", wh.Event), zap.String("subject", et.Subject))
	}
	res := result{id: wh.ID, subject: et.Subject}
	duplicate, err := g.publish(r.Context(), et, wh, r.Header.Get("traceparent"), r.Header.Get("tracestate"))
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

// publish wraps the webhook in a CloudEvent and waits for JetStream's
// PubAck. It reports whether JetStream already had the message.
func (g *Gateway) publish(ctx context.Context, et catalog.EventType, wh provider.Webhook, traceparent, tracestate string) (bool, error) {
	e := event.New()
	e.SetID(wh.ID)
	e.SetSource(wh.Source)
	e.SetType(et.Type)
	if wh.Subject != "" {
		e.SetSubject(wh.Subject)
	}
	t := wh.Time
	if t.IsZero() {
		t = time.Now()
	}
	e.SetTime(t.UTC())
	e.SetExtension("provider", wh.Provider)
	for k, v := range wh.Extensions {
		e.SetExtension(k, v)
	}
	if traceparentRE.MatchString(traceparent) {
		e.SetExtension("traceparent", traceparent)
		if tracestate != "" && len(tracestate) <= 512 {
			e.SetExtension("tracestate", tracestate)
		}
	}
	if err := e.SetData(event.ApplicationJSON, wh.Body); err != nil {
		return false, err
	}
	msg, err := ce.ToMsg(et.Subject, &e)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.PublishTimeout)
	defer cancel()
	start := time.Now()
	duplicate, err := g.pub.Publish(ctx, msg)
	g.metrics.publish.Observe(time.Since(start).Seconds())
	if err != nil {
		return false, errors.Join(errPublish, err)
	}
	return duplicate, nil
}

// checkContentType accepts a missing content type (the body must then be
// JSON, which the provider check enforces) and any JSON media type.
func checkContentType(v string) error {
	if v == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(v)
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

// readBody reads at most limit bytes; a longer body is errTooLarge.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, provider.Errorf(provider.ErrMalformed, "reading body: %v", err)
	}
	if n > limit {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}
