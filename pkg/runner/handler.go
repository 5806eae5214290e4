package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
)

// Message is one delivery handed to a [Handler].
//
// The runner owns the acknowledgement: a handler must not call Ack, Nak,
// Term or InProgress on Msg; it says what should happen by the error it
// returns (see the table in runner.go). Msg is there for headers and
// metadata only.
type Message struct {
	// Event is the CloudEvent decoded from the message with ce.FromMsg;
	// never nil (an undecodable message goes to the DLQ without reaching a
	// handler). Event.Data() is the payload byte for byte.
	Event *event.Event
	// Msg is the underlying JetStream message.
	Msg jetstream.Msg
	// Subject is the subject the message was published on, e.g.
	// webhooks.shipstation.order_notify.
	Subject string
	// Attempt is the delivery count (NumDelivered), starting at 1. The
	// runner sends the message to the DLQ when a retryable error is
	// returned on attempt MaxDeliver.
	Attempt uint64
	// StreamSeq is the message's sequence number in its stream: a stable
	// identity for logs (field stream_seq) and for the DLQ.
	StreamSeq uint64

	// outcome is what the runner did with the delivery (OutcomeAck, …),
	// for its span.
	outcome string
}

// Handler processes one message. It returns nil when the message is done,
// an error made with [Retryable] or [RetryAfter] to have it redelivered
// later, or one made with [Permanent] to send it to the DLQ at once. Any
// other error counts as retryable; a panic is recovered and counts as a
// retryable error too.
//
// ctx carries the runner's HandlerTimeout (default 2m) and is cancelled
// when a drain runs out of time; a handler must return promptly when it is
// done. Handlers run concurrently (Config.Concurrency) and must be
// idempotent: a message can be delivered more than once.
type Handler func(ctx context.Context, m *Message) error

// RetryableError asks for a redelivery: after Delay when it is positive,
// otherwise after the consumer's next BackOff step for the attempt.
// Create it with [Retryable] or [RetryAfter].
type RetryableError struct {
	Err   error
	Delay time.Duration
}

// Error implements error.
func (e *RetryableError) Error() string {
	if e.Delay > 0 {
		return fmt.Sprintf("retryable (after %s): %v", e.Delay, e.Err)
	}
	return "retryable: " + e.Err.Error()
}

// Unwrap returns the error being retried.
func (e *RetryableError) Unwrap() error { return e.Err }
func (e *RetryableError) outcome() kind { return kindRetry }

// PermanentError says the message can never succeed: it is copied to the
// DLQ and terminated without further deliveries. Create it with
// [Permanent].
type PermanentError struct {
	Err error
}

// Error implements error.
func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

// Unwrap returns the error that cannot be retried.
func (e *PermanentError) Unwrap() error { return e.Err }
func (e *PermanentError) outcome() kind { return kindPermanent }

// Retryable marks err as retryable with the consumer's backoff (a 5xx, a
// timeout, a connection refused). Unclassified errors are already treated
// this way; Retryable makes the intent explicit. Retryable(nil) is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &RetryableError{Err: err}
}

// RetryAfter marks err as retryable no sooner than d, e.g. the reset time
// of a 429. d <= 0 means the consumer's backoff. RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetryableError{Err: err, Delay: d}
}

// Permanent marks err as permanent (malformed data, an unknown order, a
// 4xx other than 429): the message goes to the DLQ now. Permanent(nil) is
// nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether the runner treats err as permanent: the
// outermost classification in err's chain is a [PermanentError].
func IsPermanent(err error) bool {
	k, _ := classify(err)
	return k == kindPermanent
}

// RetryDelay returns the delay requested with [RetryAfter], if the
// outermost classification in err's chain is retryable with a delay.
func RetryDelay(err error) (time.Duration, bool) {
	k, d := classify(err)
	return d, k == kindRetry && d > 0
}

type kind int

const (
	kindNone kind = iota
	kindRetry
	kindPermanent
)

// classified is implemented by both error types so that errors.As finds
// whichever is outermost: Permanent(RetryAfter(err, d)) is permanent, and
// a handler that wraps a permanent error from a library with Retryable
// overrides it.
type classified interface {
	error
	outcome() kind
}

// classify maps an error to what the runner does with it. nil is kindNone;
// an unclassified error is retryable with the backoff.
func classify(err error) (kind, time.Duration) {
	if err == nil {
		return kindNone, 0
	}
	var c classified
	if !errors.As(err, &c) {
		return kindRetry, 0
	}
	if r, ok := c.(*RetryableError); ok {
		return kindRetry, r.Delay
	}
	return c.outcome(), 0
}
