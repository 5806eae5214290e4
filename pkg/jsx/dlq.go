package jsx

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The dead-letter queue: one stream, DLQ, holding full copies of messages
// that failed for good, on dlq.<consumer>.<original subject>. An entry is
// the original data byte for byte and all original headers (ce-* and the
// rest) plus the Hookstream-Dlq-* headers below, so it can be read with
// `nats stream get DLQ <seq>` and redriven to where it came from.

// DLQ stream defaults.
const (
	// DLQStreamName is the dead-letter stream.
	DLQStreamName = "DLQ"
	// DLQSubjectPrefix is the first token of every DLQ subject.
	DLQSubjectPrefix = "dlq"
	// DefaultDLQMaxAge keeps entries 30 days, so an operator can browse
	// and redrive them after a holiday.
	DefaultDLQMaxAge = 30 * 24 * time.Hour
	// DefaultDLQDuplicateWindow is how long a DLQ copy's Nats-Msg-Id is
	// remembered: a message copied by the runner and then again by the
	// advisory listener (or by a redelivery whose Term was lost) within
	// this window is stored once. It outlasts the longest server-side
	// redelivery step (15 minutes by default), so that after a process dies
	// between the copy and its Term, the advisory listener's copy, made
	// when the server gives up, is still recognised as the same entry.
	DefaultDLQDuplicateWindow = 20 * time.Minute
	// MaxDLQErrorLen caps the Hookstream-Dlq-Error header (bytes).
	MaxDLQErrorLen = 1024
)

// Headers a DLQ entry carries on top of the original message's headers.
const (
	// HeaderDLQSubject is the subject the message was published on; a
	// redrive publishes there.
	HeaderDLQSubject = "Hookstream-Dlq-Subject"
	// HeaderDLQStream is the stream the message was stored in.
	HeaderDLQStream = "Hookstream-Dlq-Stream"
	// HeaderDLQSequence is the message's sequence in that stream.
	HeaderDLQSequence = "Hookstream-Dlq-Sequence"
	// HeaderDLQConsumer is the durable consumer that gave up on it.
	HeaderDLQConsumer = "Hookstream-Dlq-Consumer"
	// HeaderDLQAttempts is the number of deliveries made.
	HeaderDLQAttempts = "Hookstream-Dlq-Attempts"
	// HeaderDLQFirstFailure is an RFC 3339 time: the original message's
	// publish time (when its first attempt could begin).
	HeaderDLQFirstFailure = "Hookstream-Dlq-First-Failure"
	// HeaderDLQLastFailure is an RFC 3339 time: when it was given up on.
	HeaderDLQLastFailure = "Hookstream-Dlq-Last-Failure"
	// HeaderDLQError is the last error's text, at most MaxDLQErrorLen
	// bytes, on one line.
	HeaderDLQError = "Hookstream-Dlq-Error"

	headerDLQPrefix = "Hookstream-Dlq-"
)

// ErrNotDLQEntry is returned by [Redrive] for a message in the DLQ stream
// that was not written by the runner (it has no Hookstream-Dlq-Subject).
var ErrNotDLQEntry = errors.New("jsx: not a DLQ entry")

// DLQStream returns the definition of the DLQ stream: subjects dlq.>,
// file storage, limits retention, Discard: new (a full DLQ refuses copies,
// and the runner then naks instead of terminating, so nothing is lost),
// MaxAge DefaultDLQMaxAge and duplicate window DefaultDLQDuplicateWindow
// unless o says otherwise.
func DLQStream(o StreamOptions) jetstream.StreamConfig {
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultDLQMaxAge
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = DefaultDLQDuplicateWindow
	}
	return canonicalStream(DLQStreamName, DLQSubjectPrefix+".>",
		"Dead letters: full copies of messages a consumer gave up on, on dlq.<consumer>.<original subject>", o)
}

// DLQSubject returns the subject of consumer's DLQ entry for a message
// published on subject: dlq.<consumer>.<subject>.
func DLQSubject(consumer, subject string) string {
	return DLQSubjectPrefix + "." + consumer + "." + subject
}

// dlqMsgID is the DLQ copy's Nats-Msg-Id: deterministic, so every copy of
// one failed message (runner, advisory, another replica) is stored once
// within the duplicate window.
func dlqMsgID(consumer, stream string, seq uint64) string {
	return "dlq-" + consumer + "-" + stream + "-" + strconv.FormatUint(seq, 10)
}

// deadLetter is what the runner and the advisory listener know about a
// message they give up on.
type deadLetter struct {
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
func (d deadLetter) msg() *nats.Msg {
	h := make(nats.Header, len(d.Header)+9)
	for k, vs := range d.Header {
		if isControlHeader(k) || hasPrefixFold(k, headerDLQPrefix) {
			continue
		}
		h[k] = append([]string(nil), vs...)
	}
	h.Set(HeaderDLQSubject, d.Subject)
	h.Set(HeaderDLQStream, d.Stream)
	h.Set(HeaderDLQSequence, strconv.FormatUint(d.StreamSeq, 10))
	h.Set(HeaderDLQConsumer, d.Consumer)
	h.Set(HeaderDLQAttempts, strconv.FormatUint(d.Attempts, 10))
	h.Set(HeaderDLQFirstFailure, d.First.UTC().Format(time.RFC3339))
	h.Set(HeaderDLQLastFailure, d.Last.UTC().Format(time.RFC3339))
	h.Set(HeaderDLQError, headerText(d.Err, MaxDLQErrorLen))
	h.Set(nats.MsgIdHdr, dlqMsgID(d.Consumer, d.Stream, d.StreamSeq))
	return &nats.Msg{Subject: DLQSubject(d.Consumer, d.Subject), Header: h, Data: d.Data}
}

// publisher is the part of jetstream.JetStream that publishes.
type publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// copyToDLQ stores d in the DLQ and waits for the PubAck. The ack's
// Duplicate is true when an identical copy was already there.
func copyToDLQ(ctx context.Context, js publisher, d deadLetter) (*jetstream.PubAck, error) {
	ack, err := js.PublishMsg(ctx, d.msg(), jetstream.WithExpectStream(DLQStreamName))
	if err != nil {
		return nil, fmt.Errorf("jsx: copy %s seq %d to DLQ: %w", d.Stream, d.StreamSeq, err)
	}
	return ack, nil
}

// DLQEntry is one message in the DLQ stream, as the operator commands
// show it.
type DLQEntry struct {
	// Seq is the entry's sequence in the DLQ stream (for GetDLQ, Redrive).
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

func entryFromRaw(raw *jetstream.RawStreamMsg) DLQEntry {
	h := make(nats.Header, len(raw.Header))
	for k, vs := range raw.Header {
		if !isDirectGetHeader(k) {
			h[k] = vs
		}
	}
	e := DLQEntry{
		Seq:             raw.Sequence,
		Subject:         raw.Subject,
		OriginalSubject: h.Get(HeaderDLQSubject),
		OriginalStream:  h.Get(HeaderDLQStream),
		Consumer:        h.Get(HeaderDLQConsumer),
		Error:           h.Get(HeaderDLQError),
		Stored:          raw.Time,
		Header:          h,
		Data:            raw.Data,
	}
	e.OriginalSeq, _ = strconv.ParseUint(h.Get(HeaderDLQSequence), 10, 64)
	e.Attempts, _ = strconv.Atoi(h.Get(HeaderDLQAttempts))
	e.FirstFailure, _ = time.Parse(time.RFC3339, h.Get(HeaderDLQFirstFailure))
	e.LastFailure, _ = time.Parse(time.RFC3339, h.Get(HeaderDLQLastFailure))
	return e
}

// DLQReader is the part of jetstream.JetStream that ListDLQ and GetDLQ
// need.
type DLQReader interface {
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
}

// DLQRedriver is the part of jetstream.JetStream that Redrive needs.
type DLQRedriver interface {
	DLQReader
	publisher
}

// ListDLQ returns the DLQ entries of consumer ("" for all consumers) in
// stream order. It reads message by message (one request each), which is
// fine for the thousands of entries a DLQ should never exceed. A missing
// DLQ stream is an empty list.
func ListDLQ(ctx context.Context, js DLQReader, consumer string) ([]DLQEntry, error) {
	filter := DLQSubjectPrefix + ".>"
	if consumer != "" {
		if !validToken(consumer) {
			return nil, fmt.Errorf("jsx: list DLQ: invalid consumer name %q", consumer)
		}
		filter = DLQSubjectPrefix + "." + consumer + ".>"
	}
	s, err := js.Stream(ctx, DLQStreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("jsx: list DLQ: %w", err)
	}
	var entries []DLQEntry
	for seq := uint64(1); ; {
		raw, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return entries, nil
		}
		if err != nil {
			return entries, fmt.Errorf("jsx: list DLQ from seq %d: %w", seq, err)
		}
		entries = append(entries, entryFromRaw(raw))
		seq = raw.Sequence + 1
	}
}

// GetDLQ returns the DLQ entry at seq; jetstream.ErrMsgNotFound (with
// errors.Is) when there is none.
func GetDLQ(ctx context.Context, js DLQReader, seq uint64) (DLQEntry, error) {
	s, err := js.Stream(ctx, DLQStreamName)
	if err != nil {
		return DLQEntry{}, fmt.Errorf("jsx: get DLQ entry %d: %w", seq, err)
	}
	raw, err := s.GetMsg(ctx, seq)
	if err != nil {
		return DLQEntry{}, fmt.Errorf("jsx: get DLQ entry %d: %w", seq, err)
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
func Redrive(ctx context.Context, js DLQRedriver, seq uint64) error {
	s, err := js.Stream(ctx, DLQStreamName)
	if err != nil {
		return fmt.Errorf("jsx: redrive DLQ entry %d: %w", seq, err)
	}
	raw, err := s.GetMsg(ctx, seq)
	if err != nil {
		return fmt.Errorf("jsx: redrive DLQ entry %d: %w", seq, err)
	}
	e := entryFromRaw(raw)
	if e.OriginalSubject == "" {
		return fmt.Errorf("jsx: redrive DLQ entry %d: %w", seq, ErrNotDLQEntry)
	}
	m := &nats.Msg{Subject: e.OriginalSubject, Header: make(nats.Header, len(e.Header)), Data: e.Data}
	for k, vs := range e.Header {
		if isControlHeader(k) || hasPrefixFold(k, headerDLQPrefix) {
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
		return fmt.Errorf("jsx: redrive DLQ entry %d to %s: %w", seq, e.OriginalSubject, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil {
		return fmt.Errorf("jsx: DLQ entry %d was redriven to %s but not deleted: %w", seq, e.OriginalSubject, err)
	}
	return nil
}

// RedriveAll redrives every DLQ entry of consumer ("" for all) in stream
// order and returns how many it redrove; it stops at the first error.
func RedriveAll(ctx context.Context, js DLQRedriver, consumer string) (int, error) {
	entries, err := ListDLQ(ctx, js, consumer)
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

// isControlHeader reports headers that steer a JetStream publish or come
// from a direct get; copying them would make the DLQ publish (or a
// redrive) fail or behave differently (Nats-Expected-Stream: WEBHOOKS on
// a copy bound for DLQ, a TTL, a rollup), so they are dropped from copies.
func isControlHeader(k string) bool {
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

// headerText makes s safe for one header value: control characters (a
// multi-line error, a stray CR/LF) become spaces, and it is cut to at most
// max bytes on a rune boundary.
func headerText(s string, max int) string {
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

// validToken reports whether s can be one subject token (and a durable
// name): not empty, no dot, wildcard or whitespace.
func validToken(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*> \t\r\n")
}
