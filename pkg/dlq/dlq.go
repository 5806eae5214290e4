// Package dlq is hookstream's dead-letter queue: one stream, DLQ, holding full copies of messages
// that failed for good, on dlq.<consumer>.<original subject>. An entry is
// the original data byte for byte and all original headers (ce-* and the
// rest) plus the Hookstream-Dlq-* headers below, so it can be read with
// `nats stream get DLQ <seq>` and redriven to where it came from.
//
// The runner copies a message here with [Copy]; operators read entries
// with [List] and [Get] and send them back with [Redrive].
package dlq

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/streams"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DLQ stream defaults.
const (
	// StreamName is the dead-letter stream.
	StreamName = "DLQ"
	// SubjectPrefix is the first token of every DLQ subject.
	SubjectPrefix = "dlq"
	// DefaultMaxAge keeps entries 30 days, so an operator can browse
	// and redrive them after a holiday.
	DefaultMaxAge = 30 * 24 * time.Hour
	// DefaultDuplicateWindow is how long a DLQ copy's Nats-Msg-Id is
	// remembered: a message copied by the runner and then again by the
	// advisory listener (or by a redelivery whose Term was lost) within
	// this window is stored once. It outlasts the longest server-side
	// redelivery step (15 minutes by default), so that after a process dies
	// between the copy and its Term, the advisory listener's copy, made
	// when the server gives up, is still recognised as the same entry.
	DefaultDuplicateWindow = 20 * time.Minute
	// MaxErrorLen caps the Hookstream-Dlq-Error header (bytes).
	MaxErrorLen = 1024
)

// Headers a DLQ entry carries on top of the original message's headers.
const (
	// HeaderSubject is the subject the message was published on; a
	// redrive publishes there.
	HeaderSubject = "Hookstream-Dlq-Subject"
	// HeaderStream is the stream the message was stored in.
	HeaderStream = "Hookstream-Dlq-Stream"
	// HeaderSequence is the message's sequence in that stream.
	HeaderSequence = "Hookstream-Dlq-Sequence"
	// HeaderConsumer is the durable consumer that gave up on it.
	HeaderConsumer = "Hookstream-Dlq-Consumer"
	// HeaderAttempts is the number of deliveries made.
	HeaderAttempts = "Hookstream-Dlq-Attempts"
	// HeaderFirstFailure is an RFC 3339 time: the original message's
	// publish time (when its first attempt could begin).
	HeaderFirstFailure = "Hookstream-Dlq-First-Failure"
	// HeaderLastFailure is an RFC 3339 time: when it was given up on.
	HeaderLastFailure = "Hookstream-Dlq-Last-Failure"
	// HeaderError is the last error's text, at most MaxErrorLen
	// bytes, on one line.
	HeaderError = "Hookstream-Dlq-Error"

	headerPrefix = "Hookstream-Dlq-"
)

// ErrNotEntry is returned by [Redrive] for a message in the DLQ stream
// that was not written by the runner (it has no Hookstream-Dlq-Subject).
var ErrNotEntry = errors.New("dlq: not a DLQ entry")

// Stream returns the definition of the DLQ stream: subjects dlq.>,
// file storage, limits retention, Discard: new (a full DLQ refuses copies,
// and the runner then naks instead of terminating, so nothing is lost),
// MaxAge DefaultMaxAge and duplicate window DefaultDuplicateWindow
// unless o says otherwise.
func Stream(o streams.Options) jetstream.StreamConfig {
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = DefaultDuplicateWindow
	}
	return streams.DiscardNew(StreamName, SubjectPrefix+".>",
		"Dead letters: full copies of messages a consumer gave up on, on dlq.<consumer>.<original subject>", o)
}

// Subject returns the subject of consumer's DLQ entry for a message
// published on subject: dlq.<consumer>.<subject>.
func Subject(consumer, subject string) string {
	return SubjectPrefix + "." + consumer + "." + subject
}

// msgID is the DLQ copy's Nats-Msg-Id: deterministic, so every copy of
// one failed message (runner, advisory, another replica) is stored once
// within the duplicate window.
func msgID(consumer, stream string, seq uint64) string {
	return "dlq-" + consumer + "-" + stream + "-" + strconv.FormatUint(seq, 10)
}

// Letter is what the runner and the advisory listener know about a
// message they give up on.
type Letter struct {
	Consumer  string
	Stream    string
	Subject   string
	StreamSeq uint64
	Attempts  uint64
	First     time.Time
	Last      time.Time
	Err       string
	Header    nats.Header
	Data      []byte
}

// msg builds the DLQ copy.
func (d Letter) msg() *nats.Msg {
	h := make(nats.Header, len(d.Header)+9)
	for k, vs := range d.Header {
		if IsControlHeader(k) || hasPrefixFold(k, headerPrefix) {
			continue
		}
		h[k] = append([]string(nil), vs...)
	}
	h.Set(HeaderSubject, d.Subject)
	h.Set(HeaderStream, d.Stream)
	h.Set(HeaderSequence, strconv.FormatUint(d.StreamSeq, 10))
	h.Set(HeaderConsumer, d.Consumer)
	h.Set(HeaderAttempts, strconv.FormatUint(d.Attempts, 10))
	h.Set(HeaderFirstFailure, d.First.UTC().Format(time.RFC3339))
	h.Set(HeaderLastFailure, d.Last.UTC().Format(time.RFC3339))
	h.Set(HeaderError, OneLine(d.Err, MaxErrorLen))
	h.Set(nats.MsgIdHdr, msgID(d.Consumer, d.Stream, d.StreamSeq))
	return &nats.Msg{Subject: Subject(d.Consumer, d.Subject), Header: h, Data: d.Data}
}

// Publisher is the part of jetstream.JetStream that publishes.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Copy stores d in the DLQ and waits for the PubAck. The ack's
// Duplicate is true when an identical copy was already there.
func Copy(ctx context.Context, js Publisher, d Letter) (*jetstream.PubAck, error) {
	ack, err := js.PublishMsg(ctx, d.msg(), jetstream.WithExpectStream(StreamName))
	if err != nil {
		return nil, fmt.Errorf("dlq: copy %s seq %d to DLQ: %w", d.Stream, d.StreamSeq, err)
	}
	return ack, nil
}

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

// IsControlHeader reports headers that steer a JetStream publish or come
// from a direct get; copying them would make the DLQ publish (or a
// redrive) fail or behave differently (Nats-Expected-Stream: WEBHOOKS on
// a copy bound for DLQ, a TTL, a rollup), so they are dropped from copies.
func IsControlHeader(k string) bool {
	if !hasPrefixFold(k, "Nats-") {
		return false
	}
	for _, p := range []string{"Nats-Expected-", "Nats-Batch-", "Nats-Schedule"} {
		if hasPrefixFold(k, p) {
			return true
		}
	}
	for _, n := range []string{nats.MsgIdHdr, "Nats-Rollup", "Nats-TTL", "Nats-Incr", "Nats-Required-Api-Level"} {
		if strings.EqualFold(k, n) {
			return true
		}
	}
	return isDirectGetHeader(k)
}

// isDirectGetHeader reports the headers a direct get adds to a stored
// message.
func isDirectGetHeader(k string) bool {
	for _, n := range []string{"Nats-Stream", "Nats-Sequence", "Nats-Time-Stamp", "Nats-Subject", "Nats-Last-Sequence", "Nats-Num-Pending"} {
		if strings.EqualFold(k, n) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// OneLine makes s safe for one header value: control characters (a
// multi-line error, a stray CR/LF) become spaces, and it is cut to at most
// max bytes on a rune boundary.
func OneLine(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// ValidToken reports whether s can be one subject token (and a durable
// name): not empty, no dot, wildcard or whitespace.
func ValidToken(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*> \t\r\n")
}
