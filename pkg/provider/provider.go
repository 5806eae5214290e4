// Package provider holds what the three webhook providers have in common:
// the authenticated, parsed [Webhook] a provider package hands to the
// gateway, and the error categories the gateway maps to HTTP answers.
//
// Each provider lives in a sub-package (shipstation, snipcart, shopline)
// with a Verifier whose Verify method authenticates a request and checks
// its envelope. A Verifier never publishes and never calls a provider API,
// except Snipcart's request-token check, which must happen on receipt.
package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error categories. Verifiers wrap one of these with %w and a short reason
// that is safe to show to the caller (never a secret); the gateway maps them
// to HTTP status codes in one place.
var (
	// ErrUnauthenticated: the request is not proven to come from the
	// provider (401).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrMalformed: the request is authentic or unauthenticatable but its
	// envelope is not what the provider sends (400).
	ErrMalformed = errors.New("malformed")
	// ErrUnavailable: authentication could not be completed now, e.g.
	// Snipcart's validation endpoint timed out; the provider should retry
	// (503).
	ErrUnavailable = errors.New("temporarily unavailable")
	// ErrNotConfigured: the provider's secret is not configured, so no
	// request can be authenticated (503, so nothing is acknowledged).
	ErrNotConfigured = errors.New("not configured")
)

// Webhook is an authenticated, well-formed webhook, ready to become a
// CloudEvent.
type Webhook struct {
	// Provider is catalog.ShipStation, catalog.Snipcart or catalog.Shopline.
	Provider string
	// Event is the provider's event name (resource_type, eventName, topic).
	Event string
	// ID is the de-duplication id, stable across the provider's retries of
	// the same delivery; it becomes ce-id and Nats-Msg-Id.
	ID string
	// Source names the account: /shipstation/stores/123456,
	// /shopline/shops/1610418123456, /snipcart/live.
	Source string
	// Subject is the order or fulfillment-order id, when the envelope has one.
	Subject string
	// Time is when the provider says the event happened; zero when it does
	// not say, and the gateway uses the time of receipt.
	Time time.Time
	// Extensions are extra CloudEvents attributes, lower-case alphanumeric
	// names (shopid, merchantid, apiversion).
	Extensions map[string]string
	// Body is the request body, unchanged.
	Body []byte
}

// Verifier authenticates one provider's webhook request and checks its
// envelope. body is the complete request body (the gateway bounds its size).
type Verifier interface {
	Verify(ctx context.Context, r Request, body []byte) (Webhook, error)
}

// Request is what a Verifier reads of a webhook request besides its body.
// The gateway implements it on its HTTP server's request type; RequestOf
// adapts a net/http request.
type Request interface {
	// Header returns the first value of the named header, "" if absent.
	// The name is case-insensitive.
	Header(name string) string
	// Query returns the first value of the named query parameter, "" if
	// absent.
	Query(name string) string
}

// RequestOf adapts a net/http request to Request.
func RequestOf(r *http.Request) Request { return stdRequest{r} }

type stdRequest struct{ r *http.Request }

func (s stdRequest) Header(name string) string { return s.r.Header.Get(name) }
func (s stdRequest) Query(name string) string  { return s.r.URL.Query().Get(name) }

// HashID returns a de-duplication id for providers that send none: the
// provider name and the first 128 bits of the SHA-256 of the parts, each
// length-prefixed so that ("ab","c") and ("a","bc") differ.
func HashID(provider string, parts ...string) string {
	buf := make([]byte, 0, 256)
	for _, p := range parts {
		buf = strconv.AppendInt(buf, int64(len(p)), 10)
		buf = append(append(append(buf, ':'), p...), ';')
	}
	sum := sha256.Sum256(buf)
	return provider + "-" + hex.EncodeToString(sum[:16])
}

// RetryAfterError is an ErrUnavailable-like error that knows when trying
// again can succeed: the gateway's 503 carries it as Retry-After (when
// longer than its default), and the consumer runner naks with it.
type RetryAfterError struct {
	Err   error
	Delay time.Duration
}

// Error implements error.
func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns the error that can be retried.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryDelay is how long to wait before trying again.
func (e *RetryAfterError) RetryDelay() time.Duration { return e.Delay }

// RetryAfter wraps err with the delay after which trying again can succeed.
func RetryAfter(err error, d time.Duration) error { return &RetryAfterError{Err: err, Delay: d} }

// Errorf returns an error in category cat with a caller-safe reason.
func Errorf(cat error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", cat, fmt.Sprintf(format, args...))
}
