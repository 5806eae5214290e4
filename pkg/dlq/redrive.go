package dlq

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/streams"
)

// ErrNotEntry is returned by [Redrive] for a message in the DLQ stream
// that was not written by the runner (it has no Hookstream-Dlq-Subject).
var ErrNotEntry = errors.New("dlq: not a DLQ entry")

// Entry is one message in the DLQ stream, as the operator commands
// show it.
type Entry struct {
	// Seq is the entry's sequence in the DLQ stream (for Get, Redrive).
	Seq uint64
	// Subject is the DLQ subject, dlq.<consumer>.<original subject>.
	Subject string
	// OriginalSubject, OriginalStream and OriginalSeq say where the message
	// came from.
	OriginalSubject string
	OriginalStream  string
	OriginalSeq     uint64
	// Consumer is the durable consumer that gave up on the message.
	Consumer string
	// Error is the last error (Hookstream-Dlq-Error).
	Error string
	// Attempts is the number of deliveries made.
	Attempts int
	// FirstFailure and LastFailure are the Hookstream-Dlq-*-Failure times
	// (zero when absent).
	FirstFailure, LastFailure time.Time
	// Stored is when the entry was written to the DLQ.
	Stored time.Time
	// Header is every header of the entry: the original ones and the
	// Hookstream-Dlq-* ones.
	Header nats.Header
	// Data is the original payload, byte for byte.
	Data []byte
}

func entryFromRaw(raw *jetstream.RawStreamMsg) Entry {
	h := make(nats.Header, len(raw.Header))
	for k, vs := range raw.Header {
		if !isDirectGetHeader(k) {
			h[k] = vs
		}
	}
	e := Entry{
		Seq:             raw.Sequence,
		Subject:         raw.Subject,
		OriginalSubject: h.Get(HeaderSubject),
		OriginalStream:  h.Get(HeaderStream),
		Consumer:        h.Get(HeaderConsumer),
		Error:           h.Get(HeaderError),
		Stored:          raw.Time,
		Header:          h,
		Data:            raw.Data,
	}
	e.OriginalSeq, _ = strconv.ParseUint(h.Get(HeaderSequence), 10, 64)
	e.Attempts, _ = strconv.Atoi(h.Get(HeaderAttempts))
	e.FirstFailure, _ = time.Parse(time.RFC3339, h.Get(HeaderFirstFailure))
	e.LastFailure, _ = time.Parse(time.RFC3339, h.Get(HeaderLastFailure))
	return e
}

// Reader is the part of jetstream.JetStream that List and Get
// need.
type Reader interface {
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
}

// Redriver is the part of jetstream.JetStream that Redrive needs.
type Redriver interface {
	Reader
	Publisher
	Consumer(ctx context.Context, stream, consumer string) (jetstream.Consumer, error)
}

// ErrCanonicalEntry is returned by [Redrive] for the dead letter of a
// canonical event (a subscriber's consumer gave up on it).
var ErrCanonicalEntry = errors.New("dlq: a canonical event's dead letter is not redriven")

// ErrForgedEntry is returned by [Redrive] for an entry whose headers do not
// agree with where it is stored: its Hookstream-Dlq-Subject is not the
// subject it was stored under less the dlq.<consumer>. prefix, or not a
// subject its consumer reads. Every service may write its own DLQ subjects,
// and a redrive publishes with the operator's rights, so an entry must not
// be able to send a message anywhere else.
var ErrForgedEntry = errors.New("dlq: entry does not match where it is stored")

// List returns the DLQ entries of consumer ("" for all consumers) in
// stream order. It reads message by message (one request each), which is
// fine for the thousands of entries a DLQ should never exceed. A missing
// DLQ stream is an empty list.
func List(ctx context.Context, js Reader, consumer string) ([]Entry, error) {
	filter := SubjectPrefix + ".>"
	if consumer != "" {
		if !ValidToken(consumer) {
			return nil, fmt.Errorf("dlq: list DLQ: invalid consumer name %q", consumer)
		}
		filter = SubjectPrefix + "." + consumer + ".>"
	}
	s, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dlq: list DLQ: %w", err)
	}
	var entries []Entry
	for seq := uint64(1); ; {
		raw, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return entries, nil
		}
		if err != nil {
			return entries, fmt.Errorf("dlq: list DLQ from seq %d: %w", seq, err)
		}
		entries = append(entries, entryFromRaw(raw))
		seq = raw.Sequence + 1
	}
}

// Get returns the DLQ entry at seq; jetstream.ErrMsgNotFound (with
// errors.Is) when there is none.
func Get(ctx context.Context, js Reader, seq uint64) (Entry, error) {
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		return Entry{}, fmt.Errorf("dlq: get DLQ entry %d: %w", seq, err)
	}
	raw, err := s.GetMsg(ctx, seq)
	if err != nil {
		return Entry{}, fmt.Errorf("dlq: get DLQ entry %d: %w", seq, err)
	}
	return entryFromRaw(raw), nil
}

// Redrive publishes the DLQ entry at seq to its original subject and
// stream again — its data and original headers (ce-id included: consumers
// are idempotent on it), without the Hookstream-Dlq-* headers and with a
// fresh Nats-Msg-Id "redrive-<seq>-<random>" so the original stream's
// de-duplication does not swallow it — waits for the PubAck, and only then
// deletes the entry. If the delete fails the message has been redriven and
// the entry is still there; the error says so.
func Redrive(ctx context.Context, js Redriver, seq uint64) error {
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		return fmt.Errorf("dlq: redrive DLQ entry %d: %w", seq, err)
	}
	raw, err := s.GetMsg(ctx, seq)
	if err != nil {
		return fmt.Errorf("dlq: redrive DLQ entry %d: %w", seq, err)
	}
	e := entryFromRaw(raw)
	if e.OriginalSubject == "" {
		return fmt.Errorf("dlq: redrive DLQ entry %d: %w", seq, ErrNotEntry)
	}
	if err := checkOrigin(ctx, js, e); err != nil {
		return fmt.Errorf("dlq: redrive DLQ entry %d: %w", seq, err)
	}
	m := &nats.Msg{Subject: e.OriginalSubject, Header: make(nats.Header, len(e.Header)), Data: e.Data}
	for k, vs := range e.Header {
		if IsControlHeader(k) || hasPrefixFold(k, headerPrefix) {
			continue
		}
		m.Header[k] = vs
	}
	m.Header.Set(nats.MsgIdHdr, "redrive-"+strconv.FormatUint(seq, 10)+"-"+rand.Text())
	var opts []jetstream.PublishOpt
	if e.OriginalStream != "" {
		opts = append(opts, jetstream.WithExpectStream(e.OriginalStream))
	}
	if _, err := js.PublishMsg(ctx, m, opts...); err != nil {
		return fmt.Errorf("dlq: redrive DLQ entry %d to %s: %w", seq, e.OriginalSubject, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil {
		return fmt.Errorf("dlq: DLQ entry %d was redriven to %s but not deleted: %w", seq, e.OriginalSubject, err)
	}
	return nil
}

// checkOrigin refuses an entry whose original subject is not the one it
// is stored under, or that its consumer does not read.
func checkOrigin(ctx context.Context, js Redriver, e Entry) error {
	if et, ok := catalog.BySubject(e.OriginalSubject); ok && et.Canonical() {
		// A subscriber's dead letter: published again it would reach every
		// subscriber of the shared stream, not the one that failed.
		return fmt.Errorf("%w: %s is a canonical event; a subscriber's dead letter is not redriven onto the shared stream (handle the entry, or read %s again from stream sequence %d with a consumer of your own)",
			ErrCanonicalEntry, e.OriginalSubject, e.OriginalStream, e.OriginalSeq)
	}
	if e.Subject != Subject(e.Consumer, e.OriginalSubject) || !ValidToken(e.Consumer) || e.OriginalStream == "" {
		return fmt.Errorf("%w: stored on %s, says consumer %q, stream %q, subject %q",
			ErrForgedEntry, e.Subject, e.Consumer, e.OriginalStream, e.OriginalSubject)
	}
	c, err := js.Consumer(ctx, e.OriginalStream, e.Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("%w: no consumer %s on %s reads it (a deleted consumer's entries cannot be redriven)", ErrForgedEntry, e.Consumer, e.OriginalStream)
	}
	if err != nil {
		return fmt.Errorf("consumer %s on %s, whose filter the entry must match: %w", e.Consumer, e.OriginalStream, err)
	}
	cfg := c.CachedInfo().Config
	filters := cfg.FilterSubjects
	if cfg.FilterSubject != "" {
		filters = append(filters, cfg.FilterSubject)
	}
	if len(filters) == 0 {
		return nil // the consumer reads the whole stream
	}
	for _, f := range filters {
		if streams.SubjectMatches(f, e.OriginalSubject) {
			return nil
		}
	}
	return fmt.Errorf("%w: consumer %s does not read %s", ErrForgedEntry, e.Consumer, e.OriginalSubject)
}

// RedriveAll redrives every DLQ entry of consumer ("" for all) in stream
// order and returns how many it redrove; it stops at the first error.
func RedriveAll(ctx context.Context, js Redriver, consumer string) (int, error) {
	entries, err := List(ctx, js, consumer)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if err := Redrive(ctx, js, e.Seq); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
