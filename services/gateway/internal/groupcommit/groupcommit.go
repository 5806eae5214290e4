// Package groupcommit is the gateway's JetStream publisher: concurrent
// publishes that meet in time go out as one JetStream batch and share one
// acknowledgement, a group commit as databases do with their log.
package groupcommit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// DefaultMaxBatch is the most messages a Publisher puts in one batch.
const DefaultMaxBatch = 256

// MaxAtomicBatch is the most messages an atomic batch may hold: JetStream's
// default limit (jetstream.limits.batch.max_msgs).
const MaxAtomicBatch = 1000

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("groupcommit: publisher closed")

// errPublishAlone marks a message whose batch JetStream refused as a
// whole, not for anything wrong with the message: the stream does not allow
// batches, or an atomic batch held a Nats-Msg-Id JetStream already had.
// Publish then publishes the message on its own.
var errPublishAlone = errors.New("groupcommit: publish the message on its own")

// ErrRepliesDropped fails every message of a batch during which the
// connection dropped an answer meant for the publisher (its reply channel
// was full: nats.ErrSlowConsumer). The answers that did arrive may be
// incomplete, so none of them is trusted; the callers answer 503 and the
// providers send again (de-duplication keeps one copy).
var ErrRepliesDropped = errors.New("groupcommit: answers from JetStream were dropped during the batch")

// dropCheckInterval is how often a batch waiting for its answers checks
// whether the connection dropped one, so that it fails at once rather than
// at its timeout.
const dropCheckInterval = 20 * time.Millisecond

// Fast-ingest batch operations, the second-to-last token of a batch
// message's reply subject (nats-server 2.14, ADR-50).
const (
	batchOpStart  = 0
	batchOpAppend = 1
	batchOpCommit = 2
)

// JetStream's error codes for batches sent to a stream without
// allow_batched or allow_atomic, and for an atomic batch with a message id
// it already had.
const (
	jsBatchPublishDisabled          = 10205
	jsAtomicPublishDisabled         = 10174
	jsAtomicPublishDuplicateMessage = 10201
)

// Atomic batch headers (nats-server 2.12, ADR-50).
const (
	headerBatchID     = "Nats-Batch-Id"
	headerBatchSeq    = "Nats-Batch-Sequence"
	headerBatchCommit = "Nats-Batch-Commit"
)

// Publisher publishes messages for many concurrent callers, each of
// which waits until JetStream has stored its own message: a group commit.
// While one batch is on its way, the messages of the callers that arrive
// meanwhile are queued; they then go out together as one JetStream
// fast-ingest batch (nats-server 2.14 or later, allow_batched on the
// stream), which JetStream answers with a single acknowledgement instead of
// one per message. Under load the batches grow by themselves; a lone caller
// waits no longer than with a plain synchronous publish.
//
// The batches use the "gap: fail" mode: JetStream stores a batch's messages
// in order and stops at the first it cannot store, and its acknowledgement
// counts the messages it stored. Publish reports success only for a message
// inside that count; everything else is an error, so a caller never
// confirms a message that is not stored. De-duplication by Nats-Msg-Id works
// as for single publishes.
//
// With Atomic set, batches are atomic instead (allow_atomic on the stream):
// all of a batch is stored or none. JetStream then writes a batch with one
// disk sync, which matters only on a server with sync_interval: always,
// where fast-ingest batches sync every message; at the default interval
// atomic batches cost JetStream more. An atomic batch that holds a
// Nats-Msg-Id JetStream already has is refused whole, and its messages are
// then published one by one.
//
// If the stream refuses batches, the publisher falls back to one
// synchronous publish per message, and stays so.
type Publisher struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	atomic   bool
	maxBatch int
	timeout  time.Duration
	onBatch  func(size int, took time.Duration)

	requests  chan *groupRequest
	responses chan *nats.Msg
	unbatched atomic.Bool

	startOnce sync.Once
	startErr  error
	inbox     string
	sub       *nats.Subscription

	closeOnce sync.Once
	closing   chan struct{}
	stopped   chan struct{}

	// beforeWait, set by tests only, runs after a batch is sent and before
	// its answers are read.
	beforeWait func()
}

// Options tune a Publisher. The zero value is usable.
type Options struct {
	// MaxBatch caps the messages in one batch (default DefaultMaxBatch);
	// 1 turns batching off: each Publish is a plain synchronous publish.
	MaxBatch int
	// Timeout bounds the wait for a batch's acknowledgement (default 5s).
	Timeout time.Duration
	// Atomic makes every batch atomic: see Publisher.
	Atomic bool
	// OnBatch, if set, is called after each batch with its size and how
	// long JetStream took to acknowledge it. It runs on the publishing
	// goroutine and must be quick.
	OnBatch func(size int, took time.Duration)
}

type groupRequest struct {
	msg    *nats.Msg
	result chan groupResult
}

type groupResult struct {
	duplicate bool
	err       error
}

// New returns a publisher on nc. It subscribes and starts its
// goroutine at the first Publish; Close stops it.
func New(nc *nats.Conn, js jetstream.JetStream, o Options) *Publisher {
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.Atomic && o.MaxBatch > MaxAtomicBatch {
		o.MaxBatch = MaxAtomicBatch
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	p := &Publisher{
		nc:       nc,
		js:       js,
		atomic:   o.Atomic,
		maxBatch: o.MaxBatch,
		timeout:  o.Timeout,
		onBatch:  o.OnBatch,
		requests: make(chan *groupRequest, 4*o.MaxBatch),
		// A batch has at most three answers, and only the answers to a
		// batch given up on wait here longer; a full channel would drop
		// answers (nats.ErrSlowConsumer), so it is generous.
		responses: make(chan *nats.Msg, 1024),
		closing:   make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	p.unbatched.Store(o.MaxBatch == 1)
	return p
}

// Publish stores msg in JetStream and returns once it is stored, reporting
// whether JetStream said it already had a message with the same
// Nats-Msg-Id. JetStream says so only when the message travels alone (a
// duplicate inside a larger batch is skipped silently), so false means
// "stored" and not "new". msg, its header and its data must not change
// after the call, even after Publish returns: when ctx ends first, the
// message may still be sent. An error means the message may or may not be
// stored: publish it again, with the same Nats-Msg-Id.
func (p *Publisher) Publish(ctx context.Context, msg *nats.Msg) (duplicate bool, err error) {
	if !p.unbatched.Load() {
		r, err := p.publishBatched(ctx, msg)
		if !errors.Is(err, errPublishAlone) {
			return r.duplicate, err
		}
	}
	// Without its batch headers, or JetStream would take it for one.
	delete(msg.Header, headerBatchID)
	delete(msg.Header, headerBatchSeq)
	delete(msg.Header, headerBatchCommit)
	msg.Reply = ""
	ack, err := p.js.PublishMsg(ctx, msg)
	if err != nil {
		return false, err
	}
	return ack.Duplicate, nil
}

func (p *Publisher) publishBatched(ctx context.Context, msg *nats.Msg) (groupResult, error) {
	p.startOnce.Do(p.start)
	if p.startErr != nil {
		return groupResult{}, p.startErr
	}
	req := &groupRequest{msg: msg, result: make(chan groupResult, 1)}
	select {
	case p.requests <- req:
	case <-ctx.Done():
		return groupResult{}, ctx.Err()
	case <-p.stopped:
		return groupResult{}, ErrClosed
	}
	select {
	case r := <-req.result:
		return r, r.err
	case <-ctx.Done():
		return groupResult{}, ctx.Err()
	case <-p.stopped:
		select {
		case r := <-req.result:
			return r, r.err
		default:
			return groupResult{}, ErrClosed
		}
	}
}

// start subscribes to the publisher's reply subjects and starts the
// batching goroutine.
func (p *Publisher) start() {
	p.inbox = p.nc.NewInbox()
	// The connection's reader hands the answers straight to the channel:
	// no goroutine in between, on a path every request waits on.
	p.sub, p.startErr = p.nc.ChanSubscribe(p.inbox+".>", p.responses)
	if p.startErr != nil {
		p.startErr = fmt.Errorf("groupcommit: subscribing to publish acknowledgements: %w", p.startErr)
		close(p.stopped)
		return
	}
	go p.run()
}

// Close stops the publisher: queued messages fail with ErrClosed;
// a batch on its way is waited for. Call it after the last Publish.
func (p *Publisher) Close() {
	p.closeOnce.Do(func() {
		close(p.closing)
		p.startOnce.Do(func() { close(p.stopped) }) // never started
		<-p.stopped
		if p.sub != nil {
			_ = p.sub.Unsubscribe()
		}
	})
}

// run is the batching goroutine: it takes the first waiting request and
// every other already queued, sends them as one batch and waits for its
// acknowledgement, then starts over.
func (p *Publisher) run() {
	defer close(p.stopped)
	batch := make([]*groupRequest, 0, p.maxBatch)
	timer := time.NewTimer(p.timeout)
	timer.Stop()
	for {
		select {
		case r := <-p.requests:
			batch = append(batch[:0], r)
		case <-p.closing:
			for {
				select {
				case r := <-p.requests:
					r.result <- groupResult{err: ErrClosed}
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < p.maxBatch {
			select {
			case r := <-p.requests:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		start := time.Now()
		results := p.commit(batch, timer)
		if p.onBatch != nil {
			p.onBatch(len(batch), time.Since(start))
		}
		for i, r := range batch {
			r.result <- results[i]
			batch[i] = nil
		}
	}
}

// commit sends one batch and returns each message's outcome.
func (p *Publisher) commit(batch []*groupRequest, timer *time.Timer) []groupResult {
	b := &pendingBatch{id: nuid.Next(), results: make([]groupResult, len(batch)), settled: make([]bool, len(batch))}
	dropped := p.dropped()
	// Fast-ingest batches carry their place in the reply subject; the flow
	// value (the 500 token) asks for flow acknowledgements every 500
	// messages at most, and batches are smaller, so there are none to wait
	// for. Atomic batches carry it in headers, and only the commit has a
	// reply subject.
	prefix := p.inbox + "." + b.id + ".500.fail."
	seq := make([]string, 0, len(batch))
	for i, r := range batch {
		last := i == len(batch)-1
		if p.atomic {
			if r.msg.Header == nil {
				r.msg.Header = nats.Header{}
			}
			seq = append(seq, strconv.Itoa(i+1))
			r.msg.Header[headerBatchID] = []string{b.id}
			r.msg.Header[headerBatchSeq] = seq[i : i+1 : i+1]
			r.msg.Reply = ""
			if last {
				r.msg.Header[headerBatchCommit] = []string{"1"}
				r.msg.Reply = p.inbox + "." + b.id + ".atomic"
			}
		} else {
			op := batchOpAppend
			switch {
			case last:
				op = batchOpCommit
			case i == 0:
				op = batchOpStart
			}
			r.msg.Reply = prefix + strconv.Itoa(i+1) + "." + strconv.Itoa(op) + ".$FI"
		}
		if err := p.nc.PublishMsg(r.msg); err != nil {
			// The messages already sent may be stored; the callers will
			// publish them again and de-duplication keeps one.
			b.failPending(fmt.Errorf("groupcommit: publish: %w", err))
			return b.results
		}
	}
	if p.beforeWait != nil {
		p.beforeWait()
	}
	timer.Reset(p.timeout)
	defer timer.Stop()
	check := time.NewTicker(dropCheckInterval)
	defer check.Stop()
	for b.settledCount < len(batch) {
		select {
		case m := <-p.responses:
			p.apply(b, m)
		case <-check.C:
			if p.dropped() > dropped {
				b.failPending(ErrRepliesDropped)
			}
		case <-timer.C:
			b.failPending(fmt.Errorf("groupcommit: no acknowledgement from JetStream within %s: %w", p.timeout, context.DeadlineExceeded))
		}
	}
	if p.dropped() > dropped {
		// An answer was lost while the others settled the batch: do not
		// trust the count.
		for i := range b.results {
			b.results[i] = groupResult{err: ErrRepliesDropped}
		}
	}
	return b.results
}

// dropped is how many answers the connection has dropped on the way to the
// publisher since it started.
func (p *Publisher) dropped() int {
	n, err := p.sub.Dropped()
	if err != nil {
		return 0 // the subscription is closed: the publisher is stopping
	}
	return n
}

// pendingBatch is the state of the batch on its way.
type pendingBatch struct {
	id           string
	results      []groupResult
	settled      []bool
	settledCount int
}

func (b *pendingBatch) settle(i int, r groupResult) {
	if i < 0 || i >= len(b.settled) || b.settled[i] {
		return
	}
	b.settled[i], b.results[i] = true, r
	b.settledCount++
}

func (b *pendingBatch) failPending(err error) {
	for i := range b.settled {
		b.settle(i, groupResult{err: err})
	}
}

// batchResponse is any of the answers JetStream sends to a batch message's
// reply subject: a flow acknowledgement ("type":"ack"), a gap or error
// report ("gap", "err"), or a PubAck, which ends the batch when it carries
// "batch" and "count".
type batchResponse struct {
	Type      string              `json:"type"`
	Seq       uint64              `json:"seq"` // batch sequence in flow acks; stream sequence in PubAcks
	Batch     string              `json:"batch"`
	Count     int                 `json:"count"`
	Duplicate bool                `json:"duplicate"`
	Error     *jetstream.APIError `json:"error"`
}

// apply settles what one response tells about the batch b.
func (p *Publisher) apply(b *pendingBatch, m *nats.Msg) {
	// The reply subject is <inbox>.<batch id>.<flow>.<gap>.<seq>.<op>.$FI
	// for a fast-ingest batch, <inbox>.<batch id>.atomic for an atomic one.
	tokens := strings.Split(strings.TrimPrefix(m.Subject, p.inbox+"."), ".")
	if tokens[0] != b.id {
		return // a late answer to an earlier batch
	}
	seq := len(b.results) // an atomic batch's answer is its commit's
	if len(tokens) == 2 {
		// All or nothing: whatever the answer did not confirm failed.
		defer b.failPending(errors.New("groupcommit: JetStream did not store the atomic batch"))
	}
	if len(tokens) == 6 {
		var err error
		if seq, err = strconv.Atoi(tokens[3]); err != nil || seq < 1 || seq > len(b.results) {
			return
		}
	} else if len(tokens) != 2 {
		return
	}
	i := seq - 1
	if m.Header.Get("Status") == "503" { // no responders: no stream on the subject
		b.settle(i, groupResult{err: jetstream.ErrNoStreamResponse})
		return
	}
	var r batchResponse
	if err := json.Unmarshal(m.Data, &r); err != nil {
		b.settle(i, groupResult{err: fmt.Errorf("groupcommit: unreadable acknowledgement %q: %w", m.Data, err)})
		return
	}
	switch {
	case r.Type == "ack": // with gap: fail, messages 1..Seq are stored
		for j := 0; j < int(min(r.Seq, uint64(len(b.results)))); j++ {
			b.settle(j, groupResult{})
		}
	case r.Type == "err":
		b.settle(i, groupResult{err: fmt.Errorf("groupcommit: batch message %d: %w", seq, r.Error)})
	case r.Type != "": // "gap": informational; the PubAck that follows counts what was stored
	case r.Error != nil:
		switch r.Error.ErrorCode {
		case jsBatchPublishDisabled, jsAtomicPublishDisabled:
			p.unbatched.Store(true)
			b.failPending(errPublishAlone)
		case jsAtomicPublishDuplicateMessage:
			b.failPending(errPublishAlone)
		default:
			b.settle(i, groupResult{err: r.Error})
			if p.atomic { // all or nothing
				b.failPending(r.Error)
			}
		}
	case r.Batch != "": // the batch's end: 1..Count stored, the rest not
		for j := range b.results {
			if j < r.Count {
				b.settle(j, groupResult{duplicate: r.Duplicate && len(b.results) == 1})
			}
		}
		b.failPending(fmt.Errorf("groupcommit: JetStream stored %d of the batch's %d messages", r.Count, len(b.results)))
	default: // a PubAck for this message alone (a server that does not batch)
		b.settle(i, groupResult{duplicate: r.Duplicate})
	}
}
