// Package consumertest is the test bench the consumer services share: a
// real embedded JetStream server with the WEBHOOKS stream, webhooks
// published to it as the gateway would, a service's Run started and stopped
// with the test, and the readings tests assert on (messages on a subject,
// DLQ entries, state records, a consumer that has settled). Each service's
// tests keep what is theirs (its Config, the provider APIs it talks to) in
// a harness that embeds Env.
package consumertest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
)

// Env is a JetStream server for one test, holding the WEBHOOKS stream.
// Its methods fail the test (t.Fatal) on an error they do not expect, so
// they must be called from the test's goroutine.
type Env struct {
	// JS is a JetStream context on the server, for what Env does not
	// cover (redrives, other streams, direct KV access).
	JS  jetstream.JetStream
	t   testing.TB
	seq atomic.Int64 // the last default webhook id

	mu   sync.Mutex
	last published // the last webhook Webhook published, for Idle
}

// published is a webhook's subject and stream sequence.
type published struct {
	subject string
	seq     uint64
}

// New starts an embedded JetStream server (natstest.Run, stopped when the
// test ends) and creates WEBHOOKS on it with the default stream options.
func New(t testing.TB) *Env {
	t.Helper()
	env := &Env{t: t, JS: natstest.Run(t).JetStream()}
	if err := streams.Ensure(context.Background(), env.JS, streams.Webhooks(streams.Options{})); err != nil {
		t.Fatalf("consumertest: WEBHOOKS: %v", err)
	}
	return env
}

// Service is what Start runs: a consumer service, whose Run blocks until
// its context is cancelled and returns nil after a clean drain.
type Service interface {
	Run(ctx context.Context) error
}

// Start runs svc.Run in a goroutine until the test ends or the returned
// stop is called, whichever comes first. stop cancels Run's context, waits
// for Run to return and reports a non-nil error with t.Errorf; calling it
// again does nothing. Several services may be started, one after another
// (a restart) or side by side.
func (env *Env) Start(svc Service) (stop func()) {
	env.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	var stopped atomic.Bool
	stop = func() {
		if stopped.Swap(true) {
			return
		}
		cancel()
		if err := <-done; err != nil {
			env.t.Errorf("Run: %v", err)
		}
	}
	env.t.Cleanup(stop)
	return stop
}

// WebhookOpt changes the CloudEvent of a webhook before it is published,
// for the attributes the gateway derives from a provider's delivery.
type WebhookOpt func(e *event.Event)

// WithID sets the event id, which ce.ToMsg also makes the Nats-Msg-Id: two
// webhooks with one id are one message to JetStream. The default is a new
// id per webhook ("test-1", "test-2", ...), so the same body twice is two
// deliveries.
func WithID(id string) WebhookOpt { return func(e *event.Event) { e.SetID(id) } }

// WithSource sets the event source; the default is "/<provider>".
func WithSource(source string) WebhookOpt { return func(e *event.Event) { e.SetSource(source) } }

// WithSubject sets the event subject; by default there is none.
func WithSubject(subject string) WebhookOpt { return func(e *event.Event) { e.SetSubject(subject) } }

// WithTime sets the event time; the default is the time the event is made.
func WithTime(t time.Time) WebhookOpt { return func(e *event.Event) { e.SetTime(t) } }

// WithExtension sets a CloudEvents extension attribute, such as shopid or
// traceparent.
func WithExtension(name string, value any) WebhookOpt {
	return func(e *event.Event) { e.SetExtension(name, value) }
}

// Message returns the first delivery (Attempt 1) of a webhook as the
// gateway would publish it, without publishing it: for calling a
// service's Handle directly. provider and name must be a catalog row
// (catalog.Webhook); body becomes the event's JSON data.
func (env *Env) Message(provider, name string, body []byte, opts ...WebhookOpt) *runner.Message {
	env.t.Helper()
	et, err := catalog.Webhook(provider, name)
	if err != nil {
		env.t.Fatal(err)
	}
	e := event.New()
	e.SetID(fmt.Sprintf("test-%d", env.seq.Add(1)))
	e.SetSource("/" + provider)
	e.SetType(et.Type)
	e.SetTime(time.Now())
	for _, opt := range opts {
		opt(&e)
	}
	if err := e.SetData(event.ApplicationJSON, body); err != nil {
		env.t.Fatal(err)
	}
	return &runner.Message{Event: &e, Subject: et.Subject, Attempt: 1}
}

// Webhook publishes a webhook to WEBHOOKS as the gateway would (see
// Message) and returns its event.
func (env *Env) Webhook(provider, name string, body []byte, opts ...WebhookOpt) *event.Event {
	env.t.Helper()
	m := env.Message(provider, name, body, opts...)
	msg, err := ce.ToMsg(m.Subject, m.Event)
	if err != nil {
		env.t.Fatal(err)
	}
	env.Publish(msg)
	return m.Event
}

// Publish publishes msg, a message for WEBHOOKS built by the test (a
// reconciled resource, say), and remembers it as the last one published,
// so that Settled waits until the consumers it is for have handled it.
func (env *Env) Publish(msg *nats.Msg) {
	env.t.Helper()
	ack, err := env.JS.PublishMsg(context.Background(), msg)
	if err != nil {
		env.t.Fatal(err)
	}
	env.mu.Lock()
	env.last = published{subject: msg.Subject, seq: ack.Sequence}
	env.mu.Unlock()
}

// Published is the number of messages in stream on subjects that match
// filter (wildcards allowed: canonical events are on per-entity subjects,
// so orders.shipstation.upserted.> counts them all); 0 while the stream does
// not exist (a service creates its output streams when it starts).
func (env *Env) Published(stream, filter string) uint64 {
	env.t.Helper()
	s, err := env.JS.Stream(context.Background(), stream)
	if err != nil {
		return 0
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(filter))
	if err != nil {
		env.t.Fatal(err)
	}
	var n uint64
	for _, count := range info.State.Subjects {
		n += count
	}
	return n
}

// StreamEvent is one CloudEvent read back from a stream.
type StreamEvent struct {
	// Subject is the message's subject.
	Subject string
	// MsgID is its Nats-Msg-Id header, the key JetStream de-duplicates on.
	MsgID string
	// Event is the message decoded by ce.FromMsg.
	Event *event.Event
}

// Events returns every message of stream, in stream order, decoded as
// CloudEvents; none while the stream does not exist. A message that is not
// a CloudEvent fails the test.
func (env *Env) Events(stream string) []StreamEvent {
	env.t.Helper()
	ctx := context.Background()
	s, err := env.JS.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		env.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		env.t.Fatal(err)
	}
	if info.State.Msgs == 0 {
		return nil
	}
	var out []StreamEvent
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			env.t.Fatalf("%s seq %d: %v", stream, seq, err)
		}
		e, err := ce.FromMsg(m.Header, m.Data)
		if err != nil {
			env.t.Fatalf("%s seq %d is not a CloudEvent: %v", stream, seq, err)
		}
		out = append(out, StreamEvent{Subject: m.Subject, MsgID: m.Header.Get(jetstream.MsgIDHeader), Event: e})
	}
	return out
}

// DLQ lists the dead letters of the durable consumer named durable
// (dlq.List), oldest first.
func (env *Env) DLQ(durable string) []dlq.Entry {
	env.t.Helper()
	entries, err := dlq.List(context.Background(), env.JS, durable)
	if err != nil {
		env.t.Fatal(err)
	}
	return entries
}

// Idle reports whether the durable consumer on stream exists and has
// nothing pending or awaiting an ack. Benchmarks poll it; tests call
// Settled.
func (env *Env) Idle(stream, durable string) bool {
	c, err := env.JS.Consumer(context.Background(), stream, durable)
	if err != nil {
		return false
	}
	info, err := c.Info(context.Background())
	if err != nil || info.NumPending != 0 || info.NumAckPending != 0 || info.AckFloor.Consumer != info.Delivered.Consumer {
		return false
	}
	// The server counts a new message as pending a moment after it
	// acknowledged the publish: until the consumer has delivered the last
	// webhook published for it, "nothing pending" may be stale.
	env.mu.Lock()
	last := env.last
	env.mu.Unlock()
	if stream == catalog.StreamWebhooks && last.seq > info.Delivered.Stream && filtered(info.Config, last.subject) {
		return false
	}
	return true
}

// filtered reports whether a consumer's filter takes subject.
func filtered(cfg jetstream.ConsumerConfig, subject string) bool {
	filters := cfg.FilterSubjects
	if cfg.FilterSubject != "" {
		filters = append(filters, cfg.FilterSubject)
	}
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if subjectMatches(f, subject) {
			return true
		}
	}
	return false
}

// subjectMatches is NATS subject matching: '*' is one token, '>' the rest.
func subjectMatches(filter, subject string) bool {
	ft, st := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range ft {
		switch {
		case tok == ">":
			return len(st) > i
		case i >= len(st):
			return false
		case tok != "*" && tok != st[i]:
			return false
		}
	}
	return len(ft) == len(st)
}

// Settled waits (natstest.Eventually) until the durable consumer on stream
// is Idle: everything published to it so far has been handled and
// acknowledged, or dead-lettered.
func (env *Env) Settled(stream, durable string) {
	env.t.Helper()
	natstest.Eventually(env.t, durable+" to settle", func() bool { return env.Idle(stream, durable) })
}

// Bucket opens the KV bucket name; a bucket that does not exist fails the
// test.
func (env *Env) Bucket(name string) jetstream.KeyValue {
	env.t.Helper()
	kv, err := env.JS.KeyValue(context.Background(), name)
	if err != nil {
		env.t.Fatalf("bucket %s: %v", name, err)
	}
	return kv
}

// Stored reads the state under key in bucket as a T; ok is false when
// there is no such key. A bucket that does not exist, or a state that does
// not decode into T, fails the test.
func Stored[T any](env *Env, bucket, key string) (rec T, ok bool) {
	env.t.Helper()
	err := state.GetState(context.Background(), env.Bucket(bucket), key, &rec)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return rec, false
	}
	if err != nil {
		env.t.Fatalf("%s %s: %v", bucket, key, err)
	}
	return rec, true
}

// Sandbox API keys the consumer services' tests use: a primary pair and a
// secondary one (a key rotation).
var (
	PrimaryKey   = sandbox.ShipStationKey{Key: "primary-key", Secret: "primary-secret"}
	SecondaryKey = sandbox.ShipStationKey{Key: "secondary-key", Secret: "secondary-secret"}
)

// FastBackOff is the redelivery back-off consumer tests set, so that a
// retry takes milliseconds.
var FastBackOff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}

// ShipStationSandbox serves a ShipStation V1 API sandbox that knows keys
// until the test ends, and returns it with its base URL: the default
// account's API, or a named account's own.
func ShipStationSandbox(t testing.TB, keys ...sandbox.ShipStationKey) (*sandbox.ShipStationAPI, string) {
	api := sandbox.NewShipStationAPI(keys...)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return api, srv.URL
}

// AccountsFile writes content, an accounts file (HOOKSTREAM_ACCOUNTS_FILE,
// see package accounts), to the test's temporary directory and returns
// its path.
func AccountsFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounts.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ServiceEnv is the environment of a consumer service under test: the
// ShipStation API at apiURL with keys (the first primary, the second, if
// any, secondary), no health server, three deliveries at most. env adds
// to it or overrides it; a "" value removes a variable.
func ServiceEnv(apiURL string, keys []sandbox.ShipStationKey, env map[string]string) map[string]string {
	vars := map[string]string{
		"SHIPSTATION_API_URL":  apiURL,
		"HEALTH_ADDR":          "-",
		"CONSUMER_MAX_DELIVER": "3",
	}
	names := [][2]string{{"SHIPSTATION_API_KEY", "SHIPSTATION_API_SECRET"}, {"SHIPSTATION_API_KEY_SECONDARY", "SHIPSTATION_API_SECRET_SECONDARY"}}
	for i, k := range keys[:min(len(keys), len(names))] {
		vars[names[i][0]], vars[names[i][1]] = k.Key, k.Secret
	}
	for k, v := range env {
		if v == "" {
			delete(vars, k)
			continue
		}
		vars[k] = v
	}
	return vars
}
