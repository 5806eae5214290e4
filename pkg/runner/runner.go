// Package runner is hookstream's durable consumer runner: one durable pull
// consumer, a [Handler], and the ack contract every hookstream service (and
// every subscriber built on pkg/subscribe) relies on.
//
//	handler returns                          runner does
//	---------------------------------------  ------------------------------------------------
//	nil                                      DoubleAck (waits for the server's confirmation)
//	Retryable(err), or any unclassified err  NakWithDelay(BackOff step for this attempt)
//	RetryAfter(err, d)                       NakWithDelay(d)
//	Permanent(err)                           copy to DLQ (wait for PubAck), TermWithReason
//	retryable on attempt >= MaxDeliver       copy to DLQ (wait for PubAck), Term
//	anything, with the DLQ copy failing      NakWithDelay(BackOff step): nothing is lost
//	(undecodable CloudEvent: no handler)     copy to DLQ, TermWithReason
//	error after a drain cancelled it         NakWithDelay(1s), another replica takes it
//
// A bare Nak is never sent: it would redeliver at once, in a hot loop.
// While a handler runs the runner sends InProgress every AckWait/3, until
// the handler returns or its HandlerTimeout expires (a handler that ignores
// its ctx cannot pin a message forever). If the process dies during the
// last delivery, the max-deliveries advisory listener (advisory.go) copies
// the message to the DLQ.
//
// With tracing on (pkg/tracing), each delivery is a consumer span continued
// from the message's ce-traceparent, the handler's ctx carries it, and the
// runner's log lines about the delivery have its trace_id and span_id
// (tracing.go).
package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/streams"
	"github.com/hookstream/hookstream/pkg/tracing"
)

// Config defaults.
const (
	// DefaultMaxDeliver is the number of deliveries before a message that
	// keeps failing goes to the DLQ.
	DefaultMaxDeliver = 8
	// DefaultAckWait is how long the server waits for an ack (or an
	// InProgress) before it redelivers.
	DefaultAckWait = 30 * time.Second
	// DefaultMaxAckPending caps the messages delivered and not yet acked,
	// including those waiting out a NakWithDelay.
	DefaultMaxAckPending = 1000
	// DefaultConcurrency is the number of handlers running at once per
	// replica.
	DefaultConcurrency = 16
	// DefaultHandlerTimeout is the deadline of one handler call.
	DefaultHandlerTimeout = 2 * time.Minute
	// DefaultDrainTimeout is how long Run waits for in-flight handlers
	// once its ctx is cancelled.
	DefaultDrainTimeout = 30 * time.Second
)

// DefaultBackOff returns the default retry schedule: the delay before
// delivery 2, 3, … 8 (1s, 5s, 30s, 2m, 5m, 10m, 15m; about 33 minutes
// from the first failure to the DLQ with DefaultMaxDeliver).
func DefaultBackOff() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute}
}

const (
	// drainNakDelay is the delay of the nak for a message whose handler a
	// drain cancelled (or that arrived after the drain began): short, so
	// another replica picks it up soon.
	drainNakDelay = time.Second
	// settleTimeout bounds one ack, DLQ publish or stream read.
	settleTimeout = 10 * time.Second
	// fetchWait is how long one pull request waits for messages.
	fetchWait = 5 * time.Second
	// drainGrace is how long Run waits for cancelled handlers to return.
	drainGrace = 5 * time.Second
	// defaultInfoInterval is how often the ack-pending gauges are refreshed.
	defaultInfoInterval = 5 * time.Second
)

// ErrDrainTimeout is returned (wrapped) by Run when in-flight handlers did
// not finish within DrainTimeout and had to be cancelled. Their messages
// were nak'd (or will be redelivered after their ack deadline): nothing is
// lost, but the drain was not clean.
var ErrDrainTimeout = errors.New("runner: drain timed out")

// Config configures a [Runner] and its durable pull consumer.
// Zero values take the defaults named on each field.
type Config struct {
	// Stream is the stream to consume, e.g. catalog.StreamWebhooks.
	// Required.
	Stream string
	// Durable is the durable consumer's name, shared by every replica of a
	// service (use the service name, e.g. "order-enricher"). It is also the
	// second token of the service's DLQ subjects. Required; no dots,
	// wildcards or whitespace.
	Durable string
	// FilterSubjects restricts the consumer to these subjects (wildcards
	// allowed, no overlaps). Empty means every subject of the stream.
	FilterSubjects []string
	// MaxDeliver is the number of deliveries of one message; a retryable
	// error on delivery MaxDeliver sends it to the DLQ. Default
	// DefaultMaxDeliver (8).
	MaxDeliver int
	// BackOff is the delay before each redelivery after a retryable error:
	// BackOff[i] follows attempt i+1, the last step repeating. Default
	// DefaultBackOff(), cut to MaxDeliver-1 steps; at most MaxDeliver-1
	// steps (a later step would never be used).
	//
	// It is also set on the consumer server-side, as the redelivery
	// schedule for deliveries that are never settled (a crashed process),
	// with every step raised to at least AckWait: the server takes
	// BackOff[0] as the ack wait, so an unraised 1s step would redeliver a
	// running message after one second.
	BackOff []time.Duration
	// AckWait is the server's ack deadline for a delivery (at least; see
	// BackOff). The runner sends InProgress every AckWait/3 while a handler
	// runs. Default DefaultAckWait (30s).
	AckWait time.Duration
	// MaxAckPending caps the consumer's unacknowledged messages. When it is
	// reached the server silently stops delivering; watch
	// hookstream_consumer_ack_pending against
	// hookstream_consumer_max_ack_pending. Default DefaultMaxAckPending
	// (1000); at least Concurrency.
	MaxAckPending int
	// Concurrency bounds the handlers running at once in this replica; the
	// runner never fetches more messages than it has free slots. Default
	// DefaultConcurrency (16).
	Concurrency int
	// HandlerTimeout is the deadline of the ctx given to one handler call.
	// Default DefaultHandlerTimeout (2m).
	HandlerTimeout time.Duration
	// DrainTimeout is how long Run waits for in-flight handlers after its
	// ctx is cancelled before cancelling theirs. Default
	// DefaultDrainTimeout (30s).
	DrainTimeout time.Duration
	// DLQ sets the limits of the DLQ stream when the runner has to create
	// it. An existing DLQ stream is never changed by the runner (apply
	// dlq.Stream with streams.Ensure at start-up for that).
	DLQ streams.Options
}

func (c *Config) setDefaults() {
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.BackOff == nil {
		c.BackOff = DefaultBackOff()
		if c.MaxDeliver >= 1 && len(c.BackOff) > c.MaxDeliver-1 {
			c.BackOff = c.BackOff[:c.MaxDeliver-1]
		}
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.HandlerTimeout == 0 {
		c.HandlerTimeout = DefaultHandlerTimeout
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
}

// Validate reports the first setting that cannot work. New calls it
// after filling in defaults.
func (c Config) Validate() error {
	switch {
	case c.Stream == "":
		return errors.New("runner: consumer config: Stream is required")
	case !dlq.ValidToken(c.Stream):
		return fmt.Errorf("runner: consumer config: invalid Stream %q", c.Stream)
	case c.Durable == "":
		return errors.New("runner: consumer config: Durable is required")
	case !dlq.ValidToken(c.Durable):
		return fmt.Errorf("runner: consumer config: invalid Durable %q: no dots, wildcards or whitespace", c.Durable)
	case c.MaxDeliver < 1:
		return fmt.Errorf("runner: consumer config: MaxDeliver must be at least 1, got %d", c.MaxDeliver)
	case len(c.BackOff) > c.MaxDeliver-1:
		return fmt.Errorf("runner: consumer config: BackOff has %d steps, at most MaxDeliver-1 = %d are used", len(c.BackOff), c.MaxDeliver-1)
	case c.AckWait < 0 || c.MaxAckPending < 0 || c.Concurrency < 0 || c.HandlerTimeout < 0 || c.DrainTimeout < 0:
		return errors.New("runner: consumer config: AckWait, MaxAckPending, Concurrency, HandlerTimeout and DrainTimeout must not be negative")
	case c.MaxAckPending < c.Concurrency:
		return fmt.Errorf("runner: consumer config: MaxAckPending (%d) is below Concurrency (%d)", c.MaxAckPending, c.Concurrency)
	}
	for i, d := range c.BackOff {
		if d <= 0 {
			return fmt.Errorf("runner: consumer config: BackOff[%d] must be positive, got %s", i, d)
		}
	}
	for _, s := range c.FilterSubjects {
		if s == "" {
			return errors.New("runner: consumer config: empty filter subject")
		}
	}
	return nil
}

// consumerConfig is the server-side definition of the durable consumer.
func (c Config) consumerConfig() jetstream.ConsumerConfig {
	cc := jetstream.ConsumerConfig{
		Durable:        c.Durable,
		Description:    "hookstream consumer runner",
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		FilterSubjects: c.FilterSubjects,
		MaxDeliver:     c.MaxDeliver,
		AckWait:        c.AckWait,
		MaxAckPending:  c.MaxAckPending,
	}
	if len(c.BackOff) > 0 {
		cc.BackOff = make([]time.Duration, len(c.BackOff))
		for i, d := range c.BackOff {
			cc.BackOff[i] = max(d, c.AckWait)
		}
		cc.AckWait = cc.BackOff[0] // what the server does anyway
	}
	return cc
}

// backoffFor is the delay before the delivery after attempt.
func (c Config) backoffFor(attempt uint64) time.Duration {
	if len(c.BackOff) == 0 {
		return c.AckWait
	}
	i := int(min(max(attempt, 1)-1, uint64(len(c.BackOff)-1)))
	return c.BackOff[i]
}

// Runner runs one Handler on one durable pull consumer. Every replica of a
// service runs one Runner per consumer with the same config; the server
// spreads the messages between them.
type Runner struct {
	js   jetstream.JetStream
	cfg  Config
	h    Handler
	log  *zap.Logger
	m    *metrics
	poll bool // a registry was given: refresh the ack-pending gauges

	infoInterval time.Duration
	running      atomic.Bool
	inflight     atomic.Int64
	owed         jetstream.KeyValue // dlq.OwedBucket, set by setup
	stopping     context.Context    // Run's ctx: done when the drain begins
}

// New checks cfg (after filling in defaults) and returns a runner
// for h. log may be nil (no logging); reg may be nil (no metrics). Several
// runners may share one registry.
func New(js jetstream.JetStream, cfg Config, h Handler, log *zap.Logger, reg prometheus.Registerer) (*Runner, error) {
	if js == nil || h == nil {
		return nil, errors.New("runner: New needs a JetStream and a Handler")
	}
	cfg.FilterSubjects = slices.Clone(cfg.FilterSubjects)
	cfg.BackOff = slices.Clone(cfg.BackOff)
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("runner: register metrics: %w", err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Runner{
		js:           js,
		cfg:          cfg,
		h:            h,
		log:          log.With(zap.String("consumer", cfg.Durable), zap.String("stream", cfg.Stream)),
		m:            m,
		poll:         reg != nil,
		infoInterval: defaultInfoInterval,
	}, nil
}

// Config returns the runner's configuration with defaults filled in.
func (r *Runner) Config() Config { return r.cfg }

// Run creates or updates the durable consumer, makes sure the DLQ stream
// exists, listens for max-deliveries advisories and handles messages until
// ctx is cancelled. Setup is retried while JetStream is unavailable; an
// invalid consumer definition (a 400 from the server) is returned at once.
//
// On cancellation Run drains: it stops fetching, naks (1s) messages that
// arrived but were not started, waits up to DrainTimeout for running
// handlers, then cancels the rest, whose messages are nak'd. It returns
// nil after a clean drain and an error wrapping ErrDrainTimeout otherwise.
// Run may be called once.
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("runner: Runner.Run called twice")
	}
	cons, stream, err := r.setup(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	base := context.WithoutCancel(ctx)
	stopAdvisories, err := listenAdvisories(base, r.js.Conn(), r.js, stream, r.cfg.Stream, r.cfg.Durable, r.owed, r.log, r.m)
	if err != nil {
		return fmt.Errorf("runner: subscribe to max-deliveries advisories: %w", err)
	}
	defer stopAdvisories()

	var pollers sync.WaitGroup
	if r.poll {
		pollers.Go(func() { r.pollInfo(ctx, cons) })
	}
	defer pollers.Wait()

	handlers, cancelHandlers := context.WithCancel(base)
	defer cancelHandlers()
	r.stopping = ctx
	r.payDebts(ctx, stream)
	var inflight sync.WaitGroup
	r.log.Info("consumer runner started", zap.Strings("filter_subjects", r.cfg.FilterSubjects),
		zap.Int("concurrency", r.cfg.Concurrency), zap.Int("max_deliver", r.cfg.MaxDeliver))
	r.fetchLoop(ctx, cons, handlers, &inflight)
	return r.drain(&inflight, cancelHandlers)
}

// setup applies the consumer definition, retrying while JetStream is away.
func (r *Runner) setup(ctx context.Context) (jetstream.Consumer, jetstream.Stream, error) {
	wait := 250 * time.Millisecond
	for {
		cons, stream, err := r.trySetup(ctx)
		if err == nil {
			return cons, stream, nil
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.Code == 400 {
			return nil, nil, err
		}
		r.log.Warn("consumer setup failed; retrying", zap.Error(err), zap.Duration("retry_in", wait))
		select {
		case <-ctx.Done():
			return nil, nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (r *Runner) trySetup(ctx context.Context) (jetstream.Consumer, jetstream.Stream, error) {
	if err := r.ensureDLQ(ctx); err != nil {
		return nil, nil, err
	}
	owed, err := r.owedBucket(ctx)
	if err != nil {
		return nil, nil, err
	}
	r.owed = owed
	stream, err := r.js.Stream(ctx, r.cfg.Stream)
	if err != nil {
		return nil, nil, fmt.Errorf("runner: stream %s: %w", r.cfg.Stream, err)
	}
	cons, err := r.js.CreateOrUpdateConsumer(ctx, r.cfg.Stream, r.cfg.consumerConfig())
	if err != nil {
		return nil, nil, fmt.Errorf("runner: create or update consumer %s on %s: %w", r.cfg.Durable, r.cfg.Stream, err)
	}
	return cons, stream, nil
}

// owedBucket binds dlq.OwedBucket, creating it when it is missing (a
// subscriber may bind it without the right to create or change it).
func (r *Runner) owedBucket(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := r.js.KeyValue(ctx, dlq.OwedBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = r.js.CreateKeyValue(ctx, dlq.OwedBucketConfig(r.cfg.DLQ.Replicas))
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = r.js.KeyValue(ctx, dlq.OwedBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("runner: bucket %s: %w", dlq.OwedBucket, err)
	}
	return kv, nil
}

// ensureDLQ creates the DLQ stream when it is missing, and leaves an
// existing one as it is: its replicas and limits belong to the deployment.
func (r *Runner) ensureDLQ(ctx context.Context) error {
	_, err := r.js.Stream(ctx, dlq.StreamName)
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("runner: DLQ stream: %w", err)
	}
	if _, err := r.js.CreateStream(ctx, dlq.Stream(r.cfg.DLQ)); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("runner: create DLQ stream: %w", err)
	}
	return nil
}

// fetchLoop pulls as many messages as there are free handler slots and
// starts a handler for each, until ctx is cancelled. Pulling only for free
// slots keeps messages from waiting in a client buffer while their ack
// deadline runs.
func (r *Runner) fetchLoop(ctx context.Context, cons jetstream.Consumer, handlers context.Context, inflight *sync.WaitGroup) {
	slots := make(chan struct{}, r.cfg.Concurrency)
	release := func(n int) {
		for range n {
			<-slots
		}
	}
	errWait := 250 * time.Millisecond
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < r.cfg.Concurrency {
			select {
			case slots <- struct{}{}:
				n++
			default:
				break more
			}
		}

		fctx, cancel := context.WithTimeout(ctx, fetchWait)
		batch, err := cons.Fetch(n, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			release(n)
			errWait = r.fetchFailed(ctx, &cons, err, errWait)
			continue
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			if ctx.Err() != nil {
				// Draining: this one was not started; let another replica have it.
				r.nak(msg, drainNakDelay)
				<-slots
				continue
			}
			inflight.Add(1)
			r.inflight.Add(1)
			go func() {
				defer func() {
					r.inflight.Add(-1)
					<-slots
					inflight.Done()
				}()
				r.process(handlers, msg)
			}()
		}
		cancel()
		release(n - got)
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			errWait = r.fetchFailed(ctx, &cons, err, errWait)
			continue
		}
		errWait = 250 * time.Millisecond
	}
}

// fetchFailed logs a failed pull, recreates the consumer when it has gone,
// and waits before the next pull. It returns the next wait.
func (r *Runner) fetchFailed(ctx context.Context, cons *jetstream.Consumer, err error, wait time.Duration) time.Duration {
	r.log.Warn("fetch failed", zap.Error(err), zap.Duration("retry_in", wait))
	if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, nats.ErrNoResponders) {
		sctx, cancel := context.WithTimeout(ctx, settleTimeout)
		c, cerr := r.js.CreateOrUpdateConsumer(sctx, r.cfg.Stream, r.cfg.consumerConfig())
		cancel()
		if cerr == nil {
			r.log.Warn("consumer was gone and has been recreated; it starts again from the beginning of the stream")
			*cons = c
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(wait):
	}
	return min(2*wait, 5*time.Second)
}

// process handles one delivery from decoding to settling.
func (r *Runner) process(handlers context.Context, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		r.log.Error("delivery without JetStream metadata", zap.Error(err), zap.String("subject", msg.Subject()))
		r.nak(msg, r.cfg.AckWait)
		return
	}
	m := &Message{Msg: msg, Subject: msg.Subject(), Attempt: meta.NumDelivered, StreamSeq: meta.Sequence.Stream}
	log := r.log.With(zap.String("subject", m.Subject), zap.Uint64("stream_seq", m.StreamSeq), zap.Uint64("attempt", m.Attempt))
	var herr error // the handler's, for the span
	if tracing.Enabled() {
		var end func(error)
		handlers, end = r.startSpan(handlers, m)
		log = log.With(tracing.LogFields(handlers)...)
		defer func() { end(herr) }()
	}

	ev, err := ce.FromMsg(msg.Headers(), msg.Data())
	if err != nil {
		herr = fmt.Errorf("undecodable CloudEvent: %w", err)
		r.deadLetter(handlers, log, m, meta, herr, true)
		return
	}
	m.Event = ev
	log = log.With(zap.String("event_id", ev.ID()))
	if t := ev.Time(); !t.IsZero() {
		r.m.age.WithLabelValues(r.cfg.Durable).Observe(max(time.Since(t), 0).Seconds())
	}

	herr = r.call(handlers, log, m)
	r.settle(handlers, log, m, meta, herr)
}

// call runs the handler with its timeout, InProgress heartbeats and panic
// recovery.
func (r *Runner) call(parent context.Context, log *zap.Logger, m *Message) (err error) {
	ctx, cancel := context.WithTimeout(parent, r.cfg.HandlerTimeout)
	defer cancel()

	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(max(r.cfg.AckWait/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if err := m.Msg.InProgress(); err != nil {
					log.Debug("in-progress heartbeat failed", zap.Error(err))
				}
			case <-ctx.Done():
				return
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-stopped
	}()

	start := time.Now()
	defer func() {
		r.m.duration.WithLabelValues(r.cfg.Durable).Observe(time.Since(start).Seconds())
		if p := recover(); p != nil {
			log.Error("handler panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			err = fmt.Errorf("runner: handler panicked: %v", p)
		}
	}()
	return r.h(ctx, m)
}

// settle maps the handler's result to the ack (the table at the top of
// this file).
func (r *Runner) settle(handlers context.Context, log *zap.Logger, m *Message, meta *jetstream.MsgMetadata, err error) {
	drained := handlers.Err() != nil
	k, delay := classify(err)
	switch {
	case k == kindNone:
		ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
		defer cancel()
		if aerr := m.Msg.DoubleAck(ctx); aerr != nil {
			log.Warn("ack not confirmed; the message may be redelivered", zap.Error(aerr))
			m.outcome = "ack_unconfirmed"
			return
		}
		r.settled(m, OutcomeAck)
	case drained:
		log.Info("handler cancelled by drain; message nak'd", zap.Error(err))
		r.nak(m.Msg, drainNakDelay)
		m.outcome = OutcomeRetry
	case k == kindPermanent:
		r.deadLetter(handlers, log, m, meta, err, true)
	case m.Attempt >= uint64(r.cfg.MaxDeliver):
		r.deadLetter(handlers, log, m, meta, err, false)
	default:
		if delay <= 0 {
			delay = r.cfg.backoffFor(m.Attempt)
		}
		log.Info("handler failed; will retry", zap.Error(err), zap.Duration("retry_in", delay))
		r.nak(m.Msg, delay)
		m.outcome = OutcomeRetry
	}
}

// deadLetter copies the message to the DLQ and terminates it. When the
// copy fails before the last delivery it naks, so the message comes back.
// On the last delivery the server will not redeliver, so it never gives up
// silently: it records the message as owed to the DLQ (dlq.OwedBucket),
// keeps it (InProgress) and retries the copy until it succeeds or the
// runner stops; a message still owed then is copied by the next start of
// any replica (payDebts).
func (r *Runner) deadLetter(handlers context.Context, log *zap.Logger, m *Message, meta *jetstream.MsgMetadata, cause error, permanent bool) {
	letter := dlq.Letter{
		Consumer:  r.cfg.Durable,
		Stream:    meta.Stream,
		Subject:   m.Subject,
		StreamSeq: m.StreamSeq,
		Attempts:  m.Attempt,
		First:     meta.Timestamp,
		Last:      time.Now(),
		Err:       cause.Error(),
		Header:    m.Msg.Headers(),
		Data:      m.Msg.Data(),
	}
	ack, err := r.copyToDLQ(letter)
	if err != nil && m.Attempt < uint64(r.cfg.MaxDeliver) {
		delay := r.cfg.backoffFor(m.Attempt)
		log.Error("DLQ copy failed; nak'd so the message is not lost", zap.Error(err), zap.NamedError("cause", cause), zap.Duration("retry_in", delay))
		r.nak(m.Msg, delay)
		m.outcome = OutcomeRetry
		return
	}
	if err != nil {
		if ack, err = r.holdUntilCopied(handlers, log, m, letter, err); err != nil {
			m.outcome = "owed_to_dlq"
			return // owed: the next start copies it
		}
	}
	if !ack.Duplicate {
		r.m.dlqCopies.WithLabelValues(r.cfg.Durable, SourceRunner).Inc()
	}
	log = log.With(zap.Uint64("dlq_seq", ack.Sequence), zap.Error(cause))
	if permanent {
		log.Warn("permanent failure; message copied to the DLQ and terminated")
		if err := m.Msg.TermWithReason(fmt.Sprintf("dlq seq %d: %s", ack.Sequence, dlq.OneLine(cause.Error(), 200))); err != nil {
			log.Warn("term failed; the redelivery will be copied again (deduplicated)", zap.NamedError("term_error", err))
		}
		r.settled(m, OutcomeDLQ)
		return
	}
	log.Warn("retries exhausted; message copied to the DLQ and terminated")
	if err := m.Msg.Term(); err != nil {
		log.Warn("term failed", zap.NamedError("term_error", err))
	}
	r.settled(m, OutcomeTerm)
}

// copyToDLQ stores letter in the DLQ, bounded by settleTimeout.
func (r *Runner) copyToDLQ(letter dlq.Letter) (*jetstream.PubAck, error) {
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	ack, err := dlq.Copy(ctx, r.js, letter)
	if err != nil {
		r.m.dlqCopyFailures.WithLabelValues(r.cfg.Durable).Inc()
	}
	return ack, err
}

// holdUntilCopied handles a failed DLQ copy on the last delivery: it
// records the message as owed, then keeps it with InProgress and retries
// the copy (holdRetryDelays, the last repeating) until it succeeds — then
// the record is dropped — or the runner begins to drain, when it returns
// the last error with the record in place (the message needs nothing more
// of this process: the record is durable).
func (r *Runner) holdUntilCopied(handlers context.Context, log *zap.Logger, m *Message, letter dlq.Letter, err error) (*jetstream.PubAck, error) {
	log.Error("DLQ copy failed on the last delivery; the message is kept and recorded as owed to the DLQ, and the copy retried",
		zap.Error(err), zap.String("cause", letter.Err))
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	if r.owed == nil {
		log.Error("no bucket for messages owed to the DLQ; the message is kept while this process runs")
	} else if oerr := dlq.Owe(ctx, r.owed, letter); oerr != nil {
		log.Error("could not record the message as owed to the DLQ; it is kept while this process runs", zap.Error(oerr))
	}
	cancel()
	heartbeat := time.NewTicker(max(r.cfg.AckWait/3, time.Millisecond))
	defer heartbeat.Stop()
	for i := 0; ; i++ {
		retry := time.NewTimer(holdRetryDelays[min(i, len(holdRetryDelays)-1)])
	wait:
		for {
			select {
			case <-heartbeat.C:
				_ = m.Msg.InProgress()
			case <-retry.C:
				break wait
			case <-handlers.Done():
				retry.Stop()
				log.Error("runner stopping with a message owed to the DLQ; the next start copies it", zap.Error(err))
				return nil, err
			case <-r.stoppingDone():
				retry.Stop()
				log.Error("runner stopping with a message owed to the DLQ; the next start copies it", zap.Error(err))
				return nil, err
			}
		}
		ack, cerr := r.copyToDLQ(letter)
		if cerr == nil && r.owed != nil {
			ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
			if serr := dlq.Settle(ctx, r.owed, letter.Consumer, letter.Stream, letter.StreamSeq); serr != nil {
				log.Warn("copied to the DLQ, but the owed record stays; the next start finds it copied", zap.Error(serr))
			}
			cancel()
		}
		if cerr == nil {
			return ack, nil
		}
		err = cerr
		log.Warn("DLQ copy still failing; retrying", zap.Error(err))
	}
}

// stoppingDone is closed when the runner begins to drain; never for a
// runner that is not running (the settle tests).
func (r *Runner) stoppingDone() <-chan struct{} {
	if r.stopping == nil {
		return nil
	}
	return r.stopping.Done()
}

// holdRetryDelays space the DLQ copies of a message held on its last
// delivery.
var holdRetryDelays = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second}

// payDebts copies to the DLQ the messages this consumer owes it (see
// holdUntilCopied), reading each from its stream by sequence. It runs at
// start-up; what it cannot copy now stays owed for the next start.
func (r *Runner) payDebts(ctx context.Context, stream jetstream.Stream) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	owed, err := dlq.OwedBy(ctx, r.owed, r.cfg.Durable)
	if err != nil {
		r.log.Error("could not read the messages owed to the DLQ", zap.Error(err))
	}
	for _, o := range owed {
		log := r.log.With(zap.String("subject", o.Subject), zap.Uint64("stream_seq", o.StreamSeq))
		raw, err := stream.GetMsg(ctx, o.StreamSeq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			log.Error("a message owed to the DLQ is no longer in its stream; it cannot be copied", zap.Error(err))
			_ = dlq.Settle(ctx, r.owed, o.Consumer, o.Stream, o.StreamSeq)
			continue
		}
		if err != nil {
			log.Error("could not read a message owed to the DLQ; it stays owed", zap.Error(err))
			continue
		}
		ack, err := r.copyToDLQ(dlq.Letter{Consumer: o.Consumer, Stream: o.Stream, Subject: raw.Subject, StreamSeq: o.StreamSeq,
			Attempts: o.Attempts, First: o.First, Last: time.Now(), Err: o.Error, Header: raw.Header, Data: raw.Data})
		if err != nil {
			log.Error("a message owed to the DLQ still cannot be copied; it stays owed", zap.Error(err))
			continue
		}
		if !ack.Duplicate {
			r.m.dlqCopies.WithLabelValues(r.cfg.Durable, SourceOwed).Inc()
		}
		_ = dlq.Settle(ctx, r.owed, o.Consumer, o.Stream, o.StreamSeq)
		log.Warn("message owed to the DLQ copied at start-up", zap.Uint64("dlq_seq", ack.Sequence))
	}
}

// nak naks with a delay; a bare Nak would redeliver at once.
func (r *Runner) nak(msg jetstream.Msg, delay time.Duration) {
	if err := msg.NakWithDelay(max(delay, time.Millisecond)); err != nil {
		r.log.Warn("nak failed; the message will be redelivered after its ack deadline", zap.Error(err), zap.String("subject", msg.Subject()))
	}
	r.count(OutcomeRetry)
}

// settled counts the outcome of m's delivery and records it on its span.
func (r *Runner) settled(m *Message, outcome string) {
	m.outcome = outcome
	r.count(outcome)
}

func (r *Runner) count(outcome string) {
	r.m.messages.WithLabelValues(r.cfg.Durable, outcome).Inc()
}

// drain waits for in-flight handlers, cancelling them after DrainTimeout.
func (r *Runner) drain(inflight *sync.WaitGroup, cancelHandlers context.CancelFunc) error {
	done := make(chan struct{})
	go func() {
		inflight.Wait()
		close(done)
	}()
	r.log.Info("draining", zap.Int64("in_flight", r.inflight.Load()))
	t := time.NewTimer(r.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case <-done:
		r.log.Info("consumer runner drained")
		return nil
	case <-t.C:
	}
	n := r.inflight.Load()
	r.log.Warn("drain timeout; cancelling in-flight handlers", zap.Int64("in_flight", n))
	cancelHandlers()
	select {
	case <-done:
		return fmt.Errorf("%w: %d handlers were cancelled and their messages nak'd", ErrDrainTimeout, n)
	case <-time.After(drainGrace):
		return fmt.Errorf("%w: %d handlers did not return after cancellation", ErrDrainTimeout, r.inflight.Load())
	}
}

// pollInfo refreshes the ack-pending gauges from the consumer's info.
func (r *Runner) pollInfo(ctx context.Context, cons jetstream.Consumer) {
	r.m.maxAckPending.WithLabelValues(r.cfg.Durable).Set(float64(r.cfg.MaxAckPending))
	t := time.NewTicker(r.infoInterval)
	defer t.Stop()
	for {
		ictx, cancel := context.WithTimeout(ctx, settleTimeout)
		info, err := cons.Info(ictx)
		cancel()
		if err == nil {
			r.m.ackPending.WithLabelValues(r.cfg.Durable).Set(float64(info.NumAckPending))
			r.m.maxAckPending.WithLabelValues(r.cfg.Durable).Set(float64(info.Config.MaxAckPending))
			r.m.pending.WithLabelValues(r.cfg.Durable).Set(float64(info.NumPending))
		} else if ctx.Err() == nil {
			r.log.Debug("consumer info failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
