// Package consumer is the frame every hookstream consumer service is built
// in: the settings they all read (health address, runner tuning, stream
// replicas, the ShipStation API), the durable runner on WEBHOOKS, the
// provisioning of their output streams, the DLQ and their state bucket, the
// /healthz, /readyz and /metrics endpoints, and Run. A service supplies its
// Spec, whose Routes table maps the webhooks it handles to its handlers
// (the filter subjects are derived from it); everything else is here, once.
package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/obs"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
)

// Settings are what every consumer service reads from its environment
// besides process.Env.
type Settings struct {
	// HealthAddr serves /healthz, /readyz and /metrics (HEALTH_ADDR; "-"
	// turns it off).
	HealthAddr string
	// Consumer is CONSUMER_CONCURRENCY, CONSUMER_MAX_DELIVER,
	// CONSUMER_ACK_WAIT, CONSUMER_MAX_ACK_PENDING, CONSUMER_HANDLER_TIMEOUT.
	Consumer runner.Config
	// Replicas is STREAM_REPLICAS (default 1): of the output streams, the
	// DLQ and the bucket.
	Replicas int
	// ShipStation are the SHIPSTATION_* API settings.
	ShipStation shipstation.Settings
	// ShipStationV2 are the SHIPSTATION_V2_* API settings.
	ShipStationV2 shipstation.V2Settings
	// Accounts are the named accounts of HOOKSTREAM_ACCOUNTS_FILE: each
	// ShipStation account's API keys make its own clients, with the
	// rate-limit settings above.
	Accounts accounts.Set
}

// LoadSettings reads Settings; healthAddr is the service's default
// HEALTH_ADDR.
func LoadSettings(l *envconf.Loader, healthAddr string) Settings {
	s := Settings{
		HealthAddr:  l.String("HEALTH_ADDR", healthAddr),
		Consumer:    runner.LoadConfig(l),
		Replicas:    int(l.Int("STREAM_REPLICAS", 1, 1)),
		ShipStation: shipstation.LoadSettings(l),
	}
	s.ShipStationV2 = shipstation.LoadV2Settings(l)
	s.Accounts = accounts.Load(l)
	if s.HealthAddr == "-" {
		s.HealthAddr = ""
	}
	return s
}

// String renders the settings for the start-up log, secrets redacted.
func (s Settings) String() string {
	return fmt.Sprintf("HEALTH_ADDR=%s STREAM_REPLICAS=%d %s %s %s CONSUMER=%+v", s.HealthAddr, s.Replicas, s.ShipStation, s.ShipStationV2, s.Accounts, s.Consumer)
}

// Spec describes a consumer service.
type Spec struct {
	// Name is the durable consumer's name on WEBHOOKS, shared by every
	// replica, and the second token of the service's DLQ subjects.
	Name string
	// Webhooks are the webhooks the service handles, and how: the durable
	// consumer's filter subjects and its handler both come from them.
	// Required.
	Webhooks *Routes
	// Streams are the streams the service publishes to; the DLQ is added.
	Streams []jetstream.StreamConfig
	// Bucket is the service's state bucket.
	Bucket jetstream.KeyValueConfig
	// Events names the canonical events of the entities in Bucket; see
	// Frame.State.
	Events state.Kind
}

// Frame is a consumer service's running machinery. Build it with New,
// give it more runners with AddRunner, and call Run.
type Frame struct {
	spec     Spec
	settings Settings
	log      *zap.Logger
	js       jetstream.JetStream
	clients  shipStationClients
	registry *prometheus.Registry
	health   *obs.Health
	runners  []*runner.Runner

	mu    sync.Mutex
	kv    jetstream.KeyValue // set by Provision
	store *state.Store       // set by Provision
}

// ReplayDurable is the name of a service's durable consumer on REPLAY.
func ReplayDurable(service string) string { return service + "-replay" }

// New builds the frame of the service spec describes on nc. It does not
// touch the network.
func New(nc *nats.Conn, settings Settings, spec Spec, log *zap.Logger) (*Frame, error) {
	if spec.Webhooks == nil {
		return nil, fmt.Errorf("%s: consumer.Spec.Webhooks is required", spec.Name)
	}
	h := spec.Webhooks.Handle
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("%s: jetstream: %w", spec.Name, err)
	}
	f := &Frame{spec: spec, settings: settings, log: log, js: js, registry: obs.NewRegistry()}
	// Every process using the same ShipStation key pair shares its budget
	// through JetStream (the bucket is created on first use).
	if f.clients, err = newShipStationClients(settings, js, log, f.registry); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	cfg := settings.Consumer
	cfg.Stream, cfg.Durable, cfg.FilterSubjects = catalog.StreamWebhooks, spec.Name, spec.Webhooks.FilterSubjects()
	if err := f.AddRunner(cfg, h); err != nil {
		return nil, err
	}
	// Webhooks `hookstream replay` sends this service again arrive on
	// REPLAY and take the same handler.
	replay := settings.Consumer
	replay.Stream, replay.Durable = streams.ReplayName, ReplayDurable(spec.Name)
	replay.FilterSubjects = []string{streams.ReplaySubject(spec.Name, ">")}
	if err := f.AddRunner(replay, h); err != nil {
		return nil, err
	}
	f.health = &obs.Health{Checks: map[string]obs.Check{
		"nats": func(context.Context) error {
			if st := nc.Status(); st != nats.CONNECTED {
				return fmt.Errorf("nats connection is %s", st)
			}
			return nil
		},
		"state": func(context.Context) error {
			if f.Bucket() == nil {
				return errors.New("streams and bucket not provisioned yet")
			}
			return nil
		},
	}}
	return f, nil
}

// AddRunner adds another durable consumer to the service (for example on
// a stream of its own), run beside the first one by Run.
func (f *Frame) AddRunner(cfg runner.Config, h runner.Handler) error {
	if cfg.DLQ.Replicas == 0 {
		cfg.DLQ.Replicas = f.settings.Replicas // the DLQ and the owed bucket
	}
	r, err := runner.New(f.js, cfg, h, f.log, f.registry)
	if err != nil {
		return fmt.Errorf("%s: %w", f.spec.Name, err)
	}
	f.runners = append(f.runners, r)
	return nil
}

// JetStream is the service's JetStream context, for publishing.
func (f *Frame) JetStream() jetstream.JetStream { return f.js }

// ShipStation is the default account's ShipStation API client, nil when
// no credentials are configured.
func (f *Frame) ShipStation() *shipstation.Client { return f.clients.v1[""] }

// ShipStationResource reads a ShipStation V1 webhook for a handler that
// is about to fetch its resource: it returns the client of the webhook's
// account, the resource_url and the store it names ("" for all stores), or
// a permanent error when the account has no credentials configured (the
// message waits in the DLQ to be redriven once they are) or the body is
// not a ShipStation webhook.
func (f *Frame) ShipStationResource(e *event.Event) (client *shipstation.Client, resourceURL, storeID string, err error) {
	client, err = forAccount(f.clients.v1, Account(e), "ShipStation API credentials", "SHIPSTATION_API_KEY and SHIPSTATION_API_SECRET", "api_key and api_secret")
	if err != nil {
		return nil, "", "", runner.Permanent(err)
	}
	var hook struct {
		ResourceURL string `json:"resource_url"`
	}
	if err := json.Unmarshal(e.Data(), &hook); err != nil || hook.ResourceURL == "" {
		return nil, "", "", runner.Permanent(fmt.Errorf("not a ShipStation webhook body: %v", err))
	}
	return client, hook.ResourceURL, shipstation.StoreID(hook.ResourceURL), nil
}

// ShipStationV2Resource is ShipStationResource for a ShipStation V2
// webhook: the V2 client and the resource_url, or a permanent error when no
// V2 API key is configured (the message waits in the DLQ to be redriven
// once one is) or the body is not a ShipStation webhook.
func (f *Frame) ShipStationV2Resource(e *event.Event) (client *shipstation.V2Client, resourceURL string, err error) {
	client, err = forAccount(f.clients.v2, Account(e), "ShipStation V2 API key", "SHIPSTATION_V2_API_KEY", "v2_api_key")
	if err != nil {
		return nil, "", runner.Permanent(err)
	}
	var hook struct {
		ResourceURL string `json:"resource_url"`
	}
	if err := json.Unmarshal(e.Data(), &hook); err != nil || hook.ResourceURL == "" {
		return nil, "", runner.Permanent(fmt.Errorf("not a ShipStation V2 webhook body: %v", err))
	}
	return client, hook.ResourceURL, nil
}

// Log is the service's logger.
func (f *Frame) Log() *zap.Logger { return f.log }

// Bucket is the service's state bucket, nil until Provision succeeded.
func (f *Frame) Bucket() jetstream.KeyValue {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.kv
}

// Provision creates or updates the service's streams, the DLQ and its
// bucket, with the configured replicas.
func (f *Frame) Provision(ctx context.Context) error {
	all := append([]jetstream.StreamConfig{}, f.spec.Streams...)
	all = append(all, dlq.Stream(streams.Options{Replicas: f.settings.Replicas}), streams.Replay(streams.Options{Replicas: f.settings.Replicas}))
	for i := range all {
		all[i].Replicas = f.settings.Replicas
	}
	if err := streams.Ensure(ctx, f.js, all...); err != nil {
		return err
	}
	bucket := f.spec.Bucket
	bucket.Replicas = f.settings.Replicas
	kv, err := state.EnsureBucket(ctx, f.js, bucket)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.kv, f.store = kv, state.New(f.js, kv, f.spec.Events)
	f.mu.Unlock()
	return nil
}

// State is the order-safe store of the service's records, nil until
// Provision succeeded. Every change to a record goes through its Apply.
func (f *Frame) State() *state.Store {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.store
}

// Run provisions (waiting for NATS if need be), serves the health
// endpoints and runs every runner until ctx is cancelled, then drains.
func (f *Frame) Run(ctx context.Context) error {
	if err := streams.Provision(ctx, f.log, f.Provision); err != nil {
		return nil // cancelled before NATS was reachable: nothing in flight
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return obs.ServeHealth(ctx, f.settings.HealthAddr, f.health, f.registry, f.log) })
	g.Go(func() error { f.sweep(ctx); return nil })
	for _, r := range f.runners {
		g.Go(func() error {
			if err := r.Run(ctx); err != nil {
				return fmt.Errorf("%s: %w", f.spec.Name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// sweep publishes the events a process that died left pending in the
// bucket (state.Store.Sweep), once, beside the runners.
func (f *Frame) sweep(ctx context.Context) {
	found, err := f.State().Sweep(ctx, f.Bucket())
	switch {
	case err != nil && ctx.Err() == nil:
		f.log.Warn("sweep of pending events incomplete; the next change of each key repairs it", zap.Int("pending", found), zap.Error(err))
	case found > 0:
		f.log.Info("published events left pending", zap.Int("pending", found))
	}
}
