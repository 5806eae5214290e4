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
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
