package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/tracing"
)

// CallTimeout bounds each JetStream call Apply makes. A request that
// reached a server that then died is never answered; without a bound the
// handler would wait for its own deadline (minutes) before the message is
// retried on a live server.
const CallTimeout = 10 * time.Second

// maxConflicts bounds how often Apply starts again after losing a
// compare-and-set race before it gives up (the message is then retried).
const maxConflicts = 16

// Kind names the canonical events of the entities a [Store] keeps.
type Kind struct {
	// Root is the first token of their subjects and the catalog root:
	// "orders", "shipments", "fulfillment".
	Root string
	// Stream is the canonical stream those subjects belong to.
	Stream string
	// Source is the ce-source of the events: the publishing service.
	Source string
}

// Change is what a [Decide] function wants done to a record.
type Change struct {
	// State is the new state, stored as its JSON.
	State any
	// Event, when not nil, is the canonical event announcing the new state
	// (its data is State's JSON). It is published only when its content
	// differs from the entity's newest event (see Event.Fingerprint).
	Event *Event
}

// Decide looks at the current state (nil when there is none) and returns
// the change to make, or nil when the incoming data is not newer and
// nothing is to be done. It may be called more than once for one Apply
// (after a lost race, with the newer state), so it must not have effects.
type Decide func(current json.RawMessage) (*Change, error)

// Result says what an Apply did.
type Result struct {
	// Stored is true when a new state was written.
	Stored bool
	// Published is the entity version of the event Apply published, 0
	// when it published none of its own (a pending event of another
	// handler that it published first does not count).
	Published uint64
}

// KV is the part of a KV bucket a Store uses.
type KV interface {
	Getter
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
}

// JetStream is the part of jetstream.JetStream a Store uses.
type JetStream interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
}

// step names the points between the JetStream calls of Apply, where a
// test injects a crash.
type step string

const (
	stepWritten   step = "state written with its pending event"
	stepPublished step = "pending event published"
)

// Store keeps the records of one bucket and publishes the canonical events
// of its entities in the order the package comment describes. It is safe
// for concurrent use; any number of Stores (in any number of processes) may
// share a bucket.
type Store struct {
	js   JetStream
	kv   KV
	kind Kind

	mu     sync.Mutex
	stream jetstream.Stream // cached handle of kind.Stream

	// crash, set by tests only, is called at each step; an error stops
	// Apply there as a crash would.
	crash func(step) error
}

// New returns a Store for the records in kv whose events are of kind. A
// Store whose records publish no events (an index) takes a zero Kind.
func New(js JetStream, kv KV, kind Kind) *Store {
	return &Store{js: js, kv: kv, kind: kind}
}

// Apply changes the record under key as decide says, publishing its event
// (if any) so that the package's invariant holds: it first publishes an
// event left pending under key, then decides on the current state, writes
// the new state with its event pending, publishes the event and clears the
// mark. cause is the event being handled (nil when none); its trace context
// is carried onto the published event.
//
// An error from decide is returned as it is. Any other error is a failed
// JetStream call (retry the message: what was written is repaired by the
// next Apply on the key).
//
// With tracing on, Apply is a span (its KV reads and writes and its
// publishes are children), and the event carries the trace context of the
// span in ctx (the consumer's) instead of cause's: one trace goes from the
// webhook to the event.
func (s *Store) Apply(ctx context.Context, cause *event.Event, key string, decide Decide) (res Result, err error) {
	origin := ctx // the span the event's traceparent names
	ctx, span := tracing.Start(ctx, "state apply", trace.WithAttributes(attribute.String("hookstream.key", key), attribute.String("hookstream.stream", s.kind.Stream)))
	defer func() {
		span.SetAttributes(attribute.Bool("hookstream.stored", res.Stored), attribute.Int64("hookstream.published_version", int64(res.Published)))
		tracing.End(span, err)
	}()
	return s.apply(ctx, origin, cause, key, decide)
}

func (s *Store) apply(ctx, origin context.Context, cause *event.Event, key string, decide Decide) (Result, error) {
	for range maxConflicts {
		rec, rev, err := s.read(ctx, key)
		if err != nil {
			return Result{}, err
		}
		if rec.Pending != nil {
			if _, err := s.flush(ctx, key, rec, rev); err != nil {
				if isConflict(err) {
					continue
				}
				return Result{}, err
			}
			continue // read again: the record changed
		}
		var current json.RawMessage
		if rev > 0 {
			current = rec.State
		}
		change, err := decide(current)
		if err != nil || change == nil {
			return Result{}, err
		}
		next, err := s.next(origin, cause, key, rec, change)
		if err != nil {
			return Result{}, err
		}
		if next == nil {
			return Result{}, nil // the same state again
		}
		rev, err = s.write(ctx, key, *next, rev)
		if isConflict(err) {
			continue
		}
		if err != nil {
			return Result{}, err
		}
		res := Result{Stored: true}
		if next.Pending == nil {
			return res, nil
		}
		if err := s.crashAt(stepWritten); err != nil {
			return res, err
		}
		published, err := s.flush(ctx, key, *next, rev)
		if published {
			res.Published = next.Version
		}
		if isConflict(err) {
			// Another handler cleared the mark (after publishing our event
			// itself, or finding it published); the event is out either way.
			err = nil
		}
		return res, err
	}
	return Result{}, fmt.Errorf("state: %s changed under us %d times in a row", key, maxConflicts)
}

// next returns the record change makes of rec, or nil when it changes
// nothing.
func (s *Store) next(origin context.Context, cause *event.Event, key string, rec Record, change *Change) (*Record, error) {
	data, err := json.Marshal(change.State)
	if err != nil {
		return nil, fmt.Errorf("state: encode %s: %w", key, err)
	}
	next := rec
	next.State = data
	if change.Event != nil {
		pending, fingerprint, err := s.event(origin, cause, key, rec.Version+1, change.Event, data)
		if err != nil {
			return nil, err
		}
		if fingerprint != rec.Fingerprint {
			next.Version, next.Fingerprint, next.Pending = rec.Version+1, fingerprint, pending
		}
	}
	if next.Pending == nil && string(next.State) == string(rec.State) {
		return nil, nil
	}
	return &next, nil
}

// event builds the pending event of version for the state data. It
// carries the trace context of origin's span, else that of cause: fixed
// now, whoever publishes it later.
func (s *Store) event(origin context.Context, cause *event.Event, key string, version uint64, e *Event, data []byte) (*Pending, string, error) {
	et, err := catalog.Canonical(s.kind.Root, e.Provider, e.Name)
	if err != nil {
		return nil, "", fmt.Errorf("state: %w", err)
	}
	if et.Stream != s.kind.Stream {
		return nil, "", fmt.Errorf("state: %s is stored in %s, not %s", et.Subject, et.Stream, s.kind.Stream)
	}
	subject, err := EntitySubject(et, key)
	if err != nil {
		return nil, "", err
	}
	source := s.kind.Source
	if e.Account != "" {
		source += "/accounts/" + e.Account
	}
	msg, err := Outgoing(cause, et, subject, EventID(e.Subject, version), source, e.Subject, e.Time, data)
	if err != nil {
		return nil, "", fmt.Errorf("state: event of %s: %w", key, err)
	}
	if e.Account != "" {
		msg.Header.Set("ce-"+accounts.Extension, e.Account)
	}
	msg.Header.Set(HeaderEntityVersion, strconv.FormatUint(version, 10))
	tracing.ToHeader(origin, msg.Header)
	fingerprint := e.Fingerprint
	if fingerprint == "" {
		fingerprint = Fingerprint([]byte(et.Type), data)
	}
	return &Pending{Subject: msg.Subject, Header: msg.Header, Data: msg.Data}, fingerprint, nil
}

// flush publishes rec's pending event, unless it is found published
// already, and clears the mark with a compare-and-set on rev. It reports
// whether this call stored the event. A lost compare-and-set is returned as
// a conflict.
func (s *Store) flush(ctx context.Context, key string, rec Record, rev uint64) (bool, error) {
	seq, published, err := s.publish(ctx, key, rec)
	if err != nil {
		return false, err
	}
	if err := s.crashAt(stepPublished); err != nil {
		return published, err
	}
	rec.Pending, rec.StreamSeq = nil, seq
	_, err = s.write(ctx, key, rec, rev)
	return published, err
}

// publish stores rec's pending event on condition that the entity's last
// event in the stream is the one rec knows (StreamSeq). It returns the
// event's stream sequence and whether this call stored it.
func (s *Store) publish(ctx context.Context, key string, rec Record) (seq uint64, published bool, err error) {
	ctx, span := tracing.Start(ctx, "publish "+s.kind.Stream, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.String("messaging.destination.name", rec.Pending.Subject)))
	defer func() {
		span.SetAttributes(attribute.Bool("hookstream.published", published))
		tracing.End(span, err)
	}()
	p := rec.Pending
	msgID := p.Header.Get(nats.MsgIdHdr)
	filter, err := s.filter(key, p)
	if err != nil {
		return 0, false, err
	}
	expected := rec.StreamSeq
	for range 2 {
		msg := p.Msg()
		msg.Header.Set(jetstream.ExpectedLastSubjSeqSubjHeader, filter)
		ack, err := bounded(ctx, func(ctx context.Context) (*jetstream.PubAck, error) {
			return s.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(expected))
		})
		switch {
		case err == nil && ack.Duplicate:
			return ack.Sequence, false, nil
		case err == nil:
			return ack.Sequence, true, nil
		case !isWrongLastSequence(err):
			return 0, false, fmt.Errorf("state: publish %s: %w", p.Subject, err)
		}
		// The entity's last event is not the one rec knows: read it.
		last, err := s.lastEvent(ctx, filter)
		if err != nil {
			return 0, false, err
		}
		switch {
		case last == nil:
			expected = 0 // the entity's events have aged out of the stream
		case last.Header.Get(nats.MsgIdHdr) == msgID:
			return last.Sequence, false, nil // published by an earlier attempt
		case entityVersion(last.Header) >= entityVersion(p.Header):
			// The stream is ahead of rec: another handler published this
			// event (and newer ones) since rec was read. Never publish
			// behind it; the caller reads the record again.
			return 0, false, errStale
		default:
			expected = last.Sequence // the record missed an older event (a restored bucket)
		}
	}
	return 0, false, fmt.Errorf("state: publish %s: the entity's last event keeps changing", p.Subject)
}

// filter is the subject filter over every event of the entity under key:
// the pending event's subject, <root>.<provider>.<event>.<tail>, with the
// event token a wildcard.
func (s *Store) filter(key string, p *Pending) (string, error) {
	tokens := strings.SplitN(p.Subject, ".", 4)
	if len(tokens) != 4 {
		return "", fmt.Errorf("state: pending event of %s has subject %q, not <root>.<provider>.<event>.<entity>", key, p.Subject)
	}
	tokens[2] = "*"
	return strings.Join(tokens, "."), nil
}

// lastEvent reads the newest message on filter, nil when there is none.
func (s *Store) lastEvent(ctx context.Context, filter string) (*jetstream.RawStreamMsg, error) {
	stream, err := s.canonicalStream(ctx)
	if err != nil {
		return nil, err
	}
	msg, err := bounded(ctx, func(ctx context.Context) (*jetstream.RawStreamMsg, error) {
		return stream.GetLastMsgForSubject(ctx, filter)
	})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: last event on %s: %w", filter, err)
	}
	return msg, nil
}

// canonicalStream returns the handle of the kind's stream, looked up once.
func (s *Store) canonicalStream(ctx context.Context) (jetstream.Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream != nil {
		return s.stream, nil
	}
	stream, err := bounded(ctx, func(ctx context.Context) (jetstream.Stream, error) { return s.js.Stream(ctx, s.kind.Stream) })
	if err != nil {
		return nil, fmt.Errorf("state: stream %s: %w", s.kind.Stream, err)
	}
	s.stream = stream
	return stream, nil
}

// read returns the record under key and its revision; a missing key is a
// zero Record with revision 0.
func (s *Store) read(ctx context.Context, key string) (_ Record, _ uint64, err error) {
	ctx, span := tracing.Start(ctx, "kv get")
	defer func() { tracing.End(span, err) }()
	var (
		rec Record
		rev uint64
	)
	_, err = bounded(ctx, func(ctx context.Context) (struct{}, error) {
		var err error
		rec, rev, err = get(ctx, s.kv, key)
		return struct{}{}, err
	})
	if isNotFound(err) {
		return Record{}, 0, nil
	}
	return rec, rev, err
}

// write stores rec under key with compare-and-set on rev (0: the key must
// not exist) and returns the new revision.
func (s *Store) write(ctx context.Context, key string, rec Record, rev uint64) (_ uint64, err error) {
	ctx, span := tracing.Start(ctx, "kv update", trace.WithAttributes(attribute.Int64("hookstream.revision", int64(rev))))
	defer func() { tracing.End(span, err) }()
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("state: encode record %s: %w", key, err)
	}
	newRev, err := bounded(ctx, func(ctx context.Context) (uint64, error) {
		if rev == 0 {
			return s.kv.Create(ctx, key, b)
		}
		return s.kv.Update(ctx, key, b, rev)
	})
	if err != nil {
		return 0, fmt.Errorf("state: write %s: %w", key, err)
	}
	return newRev, nil
}

func (s *Store) crashAt(at step) error {
	if s.crash == nil {
		return nil
	}
	return s.crash(at)
}

// bounded runs one JetStream call with CallTimeout.
func bounded[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	return call(ctx)
}

// errStale is returned by publish when the stream already holds a newer
// event of the entity than the record being flushed.
var errStale = errors.New("state: the record is older than the entity's last event")

// isConflict reports a lost compare-and-set (the key was created or
// updated by someone else since it was read) or a stale record: either way,
// read the record again.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, errStale) || errors.Is(err, jetstream.ErrKeyExists) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence)
}

// isWrongLastSequence reports a publish refused because the expected last
// sequence did not match.
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// entityVersion reads the ce-entityversion header (0 when absent).
func entityVersion(h nats.Header) uint64 {
	v, _ := strconv.ParseUint(h.Get(HeaderEntityVersion), 10, 64)
	return v
}
