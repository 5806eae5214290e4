package runner

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// The max-deliveries advisory listener is the DLQ's safety net. The runner
// copies a message to the DLQ itself on its last delivery; but when the
// process dies (or a drain cancels the handler) during that delivery, the
// server gives up on the message after its ack deadline and only publishes
// an advisory naming the stream sequence. The listener copies the message
// from the stream into the DLQ. The copy's deterministic Nats-Msg-Id makes
// it a no-op when the runner (or another replica's listener) already
// copied the message within the DLQ's duplicate window.

// AdvisoryError is the Hookstream-Dlq-Error of a copy made by the
// advisory listener.
const AdvisoryError = "max deliveries reached (advisory)"

// advisoryRetryDelays are the waits between attempts to copy a message
// named by an advisory (the DLQ or the stream may be briefly unavailable).
var advisoryRetryDelays = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second}

// maxDeliveriesSubject is where the server announces that a message of
// the durable consumer hit MaxDeliver.
func maxDeliveriesSubject(stream, durable string) string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + stream + "." + durable
}

// maxDeliveriesAdvisory is io.nats.jetstream.advisory.v1.max_deliver.
type maxDeliveriesAdvisory struct {
	Timestamp  time.Time `json:"timestamp"`
	Stream     string    `json:"stream"`
	Consumer   string    `json:"consumer"`
	StreamSeq  uint64    `json:"stream_seq"`
	Deliveries uint64    `json:"deliveries"`
}

// msgGetter is the part of jetstream.Stream the listener needs.
type msgGetter interface {
	GetMsg(ctx context.Context, seq uint64, opts ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error)
}

// advisoryListener copies messages named by max-deliveries advisories
// into the DLQ.
type advisoryListener struct {
	js       dlq.Publisher
	stream   msgGetter
	consumer string
	owed     dlq.OwedKV // where a copy given up on is recorded; nil: nowhere
	log      *zap.Logger
	m        *metrics

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sub    *nats.Subscription
}

// listenAdvisories subscribes (core NATS) to the durable's max-deliveries
// advisories. stop unsubscribes and waits for copies in progress, which it
// cancels.
func listenAdvisories(ctx context.Context, nc *nats.Conn, js dlq.Publisher, stream msgGetter, streamName, durable string, owed dlq.OwedKV, log *zap.Logger, m *metrics) (stop func(), err error) {
	l := &advisoryListener{js: js, stream: stream, consumer: durable, owed: owed, log: log, m: m}
	l.ctx, l.cancel = context.WithCancel(ctx)
	l.sub, err = nc.Subscribe(maxDeliveriesSubject(streamName, durable), l.onAdvisory)
	if err != nil {
		l.cancel()
		return nil, err
	}
	// The subscription must be known to the server before the first
	// delivery, or an early advisory would be missed.
	if err := nc.Flush(); err != nil {
		log.Warn("flush after advisory subscription", zap.Error(err))
	}
	return func() {
		_ = l.sub.Unsubscribe()
		l.cancel()
		l.wg.Wait()
	}, nil
}

func (l *advisoryListener) onAdvisory(msg *nats.Msg) {
	var a maxDeliveriesAdvisory
	if err := json.Unmarshal(msg.Data, &a); err != nil || a.StreamSeq == 0 {
		l.log.Warn("unreadable max-deliveries advisory", zap.Error(err), zap.ByteString("advisory", msg.Data))
		return
	}
	if a.Timestamp.IsZero() {
		a.Timestamp = time.Now()
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.copy(a)
	}()
}

// copy fetches the message by stream sequence and stores it in the DLQ,
// retrying for about a minute.
func (l *advisoryListener) copy(a maxDeliveriesAdvisory) {
	log := l.log.With(zap.String("stream", a.Stream), zap.Uint64("stream_seq", a.StreamSeq), zap.Uint64("deliveries", a.Deliveries))
	for i := 0; ; i++ {
		err := l.tryCopy(a)
		if err == nil {
			return
		}
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			log.Error("max deliveries reached but the message is no longer in the stream; it cannot be copied to the DLQ", zap.Error(err))
			return
		}
		if i == len(advisoryRetryDelays) || l.ctx.Err() != nil {
			l.owe(log, a, err)
			return
		}
		log.Warn("DLQ copy after max-deliveries advisory failed; retrying", zap.Error(err))
		select {
		case <-time.After(advisoryRetryDelays[i]):
		case <-l.ctx.Done():
		}
	}
}

// owe records a message whose copy the listener gives up on as owed to the
// DLQ, so that the next start of a replica copies it.
func (l *advisoryListener) owe(log *zap.Logger, a maxDeliveriesAdvisory, err error) {
	if l.owed == nil {
		log.Error("max deliveries reached and the DLQ copy failed; the message is still in its stream at stream_seq, copy it by hand", zap.Error(err))
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(l.ctx), settleTimeout)
	defer cancel()
	letter := dlq.Letter{Consumer: l.consumer, Stream: a.Stream, StreamSeq: a.StreamSeq, Attempts: a.Deliveries, Last: a.Timestamp, Err: AdvisoryError}
	if oerr := dlq.Owe(ctx, l.owed, letter); oerr != nil {
		log.Error("max deliveries reached, the DLQ copy failed and the message could not be recorded as owed; it is still in its stream at stream_seq, copy it by hand",
			zap.Error(err), zap.NamedError("record_error", oerr))
		return
	}
	log.Error("max deliveries reached and the DLQ copy failed; recorded as owed, the next start copies it", zap.Error(err))
}

func (l *advisoryListener) tryCopy(a maxDeliveriesAdvisory) error {
	ctx, cancel := context.WithTimeout(l.ctx, settleTimeout)
	defer cancel()
	raw, err := l.stream.GetMsg(ctx, a.StreamSeq)
	if err != nil {
		return err
	}
	ack, err := dlq.Copy(ctx, l.js, dlq.Letter{
		Consumer:  l.consumer,
		Stream:    a.Stream,
		Subject:   raw.Subject,
		StreamSeq: a.StreamSeq,
		Attempts:  a.Deliveries,
		First:     raw.Time,
		Last:      a.Timestamp,
		Err:       AdvisoryError,
		Header:    raw.Header,
		Data:      raw.Data,
	})
	if err != nil {
		return err
	}
	if ack.Duplicate {
		l.log.Debug("max-deliveries advisory: message already in the DLQ", zap.Uint64("stream_seq", a.StreamSeq))
		return nil
	}
	l.m.dlqCopies.WithLabelValues(l.consumer, SourceAdvisory).Inc()
	l.log.Warn("message copied to the DLQ after max-deliveries advisory",
		zap.String("subject", raw.Subject), zap.Uint64("stream_seq", a.StreamSeq), zap.Uint64("dlq_seq", ack.Sequence))
	return nil
}
