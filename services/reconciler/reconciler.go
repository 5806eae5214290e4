package reconciler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/obs"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/state"
)

// Source is the ce-source of a reconciled ShipStation resource whose store
// is not known; one whose store is known has /shipstation/stores/<storeID>,
// as a V1 webhook naming it. A Snipcart order's is /snipcart/<mode>, a
// SHOPLINE order's /shopline/shops/<shop id>, as their webhooks'.
const Source = "/shipstation"

// MaxRateLimitWait is the longest rate-limit wait the reconciler's
// ShipStation client sits out before a request (ShipStation's reset, or the
// shared budget's next free slot): a background job can wait, and with a
// small budget every request of a run waits for its turn.
const MaxRateLimitWait = 2 * time.Minute

// Service is a running reconciler. Build it with New; Run blocks.
type Service struct {
	cfg      Config
	nc       *nats.Conn
	js       jetstream.JetStream
	log      *zap.Logger
	registry *prometheus.Registry
	metrics  *metrics
	health   *obs.Health
	kinds    []kind
	holder   string
	now      func() time.Time

	mu sync.Mutex
	kv jetstream.KeyValue // the checkpoint bucket, once ensured
}

// New builds the service on nc. It does not touch the network.
func New(cfg Config, nc *nats.Conn, log *zap.Logger) (*Service, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("reconciler: jetstream: %w", err)
	}
	s := &Service{cfg: cfg, nc: nc, js: js, log: log, registry: obs.NewRegistry(), now: time.Now}
	if cfg.ShipStation.Primary.Key != "" {
		c, err := s.shipStationClient(cfg.ShipStation, "")
		if err != nil {
			return nil, fmt.Errorf("reconciler: %w", err)
		}
		s.kinds = append(s.kinds, shipStationKinds(c)...)
	}
	if cfg.Snipcart.SecretKey != "" {
		c, err := snipcart.NewOrdersClient(snipcart.OrdersConfig{SecretKey: cfg.Snipcart.SecretKey, APIURL: cfg.Snipcart.APIURL})
		if err != nil {
			return nil, fmt.Errorf("reconciler: %w", err)
		}
		s.kinds = append(s.kinds, snipcartKinds(c, cfg.Snipcart.Mode, cfg.Snipcart.Reread)...)
	}
	if cfg.Shopline.Enabled() {
		c, err := shopline.NewOrdersClient(shopline.OrdersConfig{
			APIURL: shopline.APIURL(cfg.Shopline.StoreURL, cfg.Shopline.APIVersion), AccessToken: cfg.Shopline.AccessToken})
		if err != nil {
			return nil, fmt.Errorf("reconciler: %w", err)
		}
		s.kinds = append(s.kinds, shoplineKinds(c)...)
	} else {
		log.Info("SHOPLINE orders are not reconciled: set SHOPLINE_ACCESS_TOKEN and SHOPLINE_SHOP_HANDLE (or SHOPLINE_API_URL) to list them")
	}
	named, err := s.accountKinds(cfg.Accounts)
	if err != nil {
		return nil, fmt.Errorf("reconciler: %w", err)
	}
	s.kinds = append(s.kinds, named...)
	if len(s.kinds) == 0 {
		return nil, errors.New("reconciler: no provider to reconcile: set SHIPSTATION_API_KEY, SNIPCART_SECRET_KEY or SHOPLINE_ACCESS_TOKEN, or name accounts with API credentials in " + accounts.FileVar)
	}
	names := make([]string, len(s.kinds))
	for i, k := range s.kinds {
		names[i] = k.checkpointKey()
	}
	log.Info("reconciling", zap.Strings("kinds", names))
	s.metrics = newMetrics(s.registry)
	s.holder = holderID()
	s.health = &obs.Health{Checks: map[string]obs.Check{
		"nats": func(context.Context) error {
			if !nc.IsConnected() {
				return errors.New("not connected")
			}
			return nil
		},
	}}
	return s, nil
}

// shipStationClient is a ShipStation client of settings' key pair for
// account ("" the default): one budget per key pair for the whole
// deployment, of which the reconciler takes only what the consumers leave
// (a background caller).
func (s *Service) shipStationClient(settings shipstation.Settings, account string) (*shipstation.Client, error) {
	log := s.log.Named("shipstation")
	if account != "" {
		log = log.With(zap.String("account", account))
	}
	cc := settings.ClientConfig(s.js, s.cfg.Replicas, log, s.registry)
	cc.Background, cc.Account = true, account
	cc.MaxInProcessWait = MaxRateLimitWait
	return settings.NewClient(cc)
}

// holderID names this replica in the lease: host name and a random suffix,
// so two processes on one host differ.
func holderID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

// Registry returns the service's metrics registry (served on /metrics).
func (s *Service) Registry() *prometheus.Registry { return s.registry }

// Provision creates or updates the checkpoint bucket; Run does it first.
func (s *Service) Provision(ctx context.Context) error {
	_, err := s.checkpoints(ctx)
	return err
}

// checkpoints returns the checkpoint bucket, creating or updating it the
// first time (and again after a failure).
func (s *Service) checkpoints(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv != nil {
		return s.kv, nil
	}
	kv, err := state.EnsureBucket(ctx, s.js, state.Bucket(BucketCheckpoints,
		"The reconciler's checkpoint per provider and kind (key <provider>.<kind>) and its lease (key lease)",
		state.BucketOptions{Replicas: s.cfg.Replicas}))
	if err != nil {
		return nil, err
	}
	s.kv = kv
	return kv, nil
}

// Run serves the health endpoints and reconciles every RECONCILE_INTERVAL,
// first at once, while this replica holds the lease, until ctx is
// cancelled. A failed run is logged and counted; the next one retries.
func (s *Service) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return obs.ServeHealth(ctx, s.cfg.HealthAddr, s.health, s.registry, s.log) })
	g.Go(func() error {
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		for {
			s.tick(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
	return g.Wait()
}

// tick runs once if this replica holds (or takes) the lease.
func (s *Service) tick(ctx context.Context) {
	kv, err := s.checkpoints(ctx)
	if err != nil {
		s.log.Warn("reconciliation skipped: no checkpoint bucket", zap.Error(err))
		return
	}
	held, err := acquireLease(ctx, kv, s.holder, s.now(), s.cfg.Lease)
	if err != nil {
		s.log.Warn("reconciliation skipped: lease", zap.Error(err))
		return
	}
	if !held {
		s.metrics.leaseHeld.Set(0)
		s.log.Debug("another replica holds the reconciliation lease")
		return
	}
	s.metrics.leaseHeld.Set(1)
	if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("reconciliation failed; the next run retries", zap.Error(err))
	}
}

// Window is what one run did for one kind.
type Window struct {
	// Provider and Kind name the list: shipstation, orders.
	Provider, Kind string
	// Account is the named account whose list it is, "" for the default.
	Account string
	// Start and End are the window listed; zero when the run skipped the
	// kind (its window was empty).
	Start, End time.Time
	// Listed is how many resources the list returned; Found how many of
	// them the canonical state lacked and were published.
	Listed, Found int
}

// RunOnce reconciles every kind once, whatever the lease (Run takes it
// first), and reports what it did. Kinds are independent: one failing does
// not stop the others, and the errors are joined.
func (s *Service) RunOnce(ctx context.Context) ([]Window, error) {
	kv, err := s.checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	var (
		out  []Window
		errs []error
	)
	for _, k := range s.kinds {
		w, err := s.reconcile(ctx, kv, k)
		out = append(out, w)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k.checkpointKey(), err))
		}
	}
	return out, errors.Join(errs...)
}

// reconcile lists one kind's window, from RECONCILE_OVERLAP before its
// checkpoint (RECONCILE_LOOKBACK before now without one) to
// RECONCILE_SETTLE before now, publishes every resource the canonical state
// lacks, and then advances the checkpoint to the window's end.
func (s *Service) reconcile(ctx context.Context, kv jetstream.KeyValue, k kind) (Window, error) {
	w := Window{Provider: k.provider, Kind: k.name, Account: k.account}
	labels := prometheus.Labels{"provider": k.provider, "kind": k.name}
	key := k.checkpointKey()
	cp, ok, err := loadCheckpoint(ctx, kv, key)
	if err != nil {
		s.metrics.errors.With(labels).Inc()
		return w, err
	}
	now := s.now().UTC()
	start, end := now.Add(-s.cfg.Lookback), now.Add(-s.cfg.Settle)
	if ok {
		start = cp.End.Add(-s.cfg.Overlap)
	}
	if k.reread > 0 {
		start = minTime(start, now.Add(-k.reread))
	}
	if !end.After(start) {
		return w, nil
	}
	w.Start, w.End = start, end
	s.metrics.runs.With(labels).Inc()
	buckets := map[string]jetstream.KeyValue{}
	err = k.list(ctx, start, end, func(page []resource) error {
		w.Listed += len(page)
		s.metrics.listed.With(labels).Add(float64(len(page)))
		for _, r := range page {
			found, err := s.offer(ctx, buckets, k, r)
			if err != nil {
				return err
			}
			if found {
				w.Found++
				s.metrics.found.With(labels).Inc()
			}
		}
		return nil
	})
	if err == nil {
		err = saveCheckpoint(ctx, kv, key, Checkpoint{End: end, Found: w.Found})
	}
	if err != nil {
		s.metrics.errors.With(labels).Inc()
		return w, err
	}
	s.metrics.lastSuccess.With(labels).Set(float64(end.Unix()))
	s.log.Info("reconciled", zap.String("provider", k.provider), zap.String("account", k.account), zap.String("kind", k.name),
		zap.Time("start", start), zap.Time("end", end), zap.Int("listed", w.Listed), zap.Int("found", w.Found))
	return w, nil
}

// offer publishes r unless the canonical state holds it, and reports
// whether it was found: published, and new to JetStream (an overlap or a
// second replica publishing the same change again is a duplicate).
func (s *Service) offer(ctx context.Context, buckets map[string]jetstream.KeyValue, k kind, r resource) (bool, error) {
	if r.invalid != "" {
		s.log.Warn("a listed resource cannot be normalised; left out", zap.String("provider", k.provider),
			zap.String("kind", k.name), zap.String("id", r.id), zap.String("reason", r.invalid))
		return false, nil
	}
	held, err := s.held(ctx, buckets, r)
	if err != nil || held {
		return false, err
	}
	source := r.source
	if source == "" {
		source = Source
		if store := s.storeOf(ctx, buckets, r); store != "" {
			source = "/shipstation/stores/" + store
		}
	}
	source = provider.AccountSource(source, k.account)
	extensions := append([]ce.Extension{{Name: "provider", Value: k.provider}}, r.extensions...)
	if k.account != "" {
		extensions = append(extensions, ce.Extension{Name: accounts.Extension, Value: k.account})
	}
	data, err := jsonData(r.data)
	if err != nil {
		return false, err
	}
	id := provider.HashID(k.provider, "reconciled", k.row.Event, r.key, r.version.String())
	msg, err := ce.NewMsg(k.row.Subject, ce.Attributes{
		ID: id, Source: source, Type: k.row.Type, Subject: r.id, Time: r.version.Time,
		DataContentType: event.ApplicationJSON,
		Extensions:      extensions,
	}, data)
	if err != nil {
		return false, err
	}
	ack, err := s.js.PublishMsg(ctx, msg)
	if err != nil {
		return false, fmt.Errorf("publish %s %s: %w", k.row.Subject, r.id, err)
	}
	if ack.Duplicate {
		return false, nil
	}
	s.log.Info("found a change the provider did not deliver", zap.String("provider", k.provider), zap.String("account", k.account),
		zap.String("kind", k.name), zap.String("id", r.id), zap.String("key", r.key),
		zap.Time("version_time", r.version.Time), zap.String("event_id", id))
	return true, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// held reports whether the canonical state already holds r.
func (s *Service) held(ctx context.Context, buckets map[string]jetstream.KeyValue, r resource) (bool, error) {
	kv, err := s.bucket(ctx, buckets, r.bucket)
	if err != nil {
		return false, err
	}
	rec, err := state.Get(ctx, kv, r.key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	held, err := r.held(rec.State)
	if err != nil {
		return false, fmt.Errorf("canonical %s %s: %w", r.bucket, r.key, err)
	}
	return held, nil
}

// storeOf returns r's store: its own, or for a label or fulfillment the
// store of its order when the canonical state has the order.
func (s *Service) storeOf(ctx context.Context, buckets map[string]jetstream.KeyValue, r resource) string {
	if r.storeID != "" || r.orderKey == "" {
		return r.storeID
	}
	kv, err := s.bucket(ctx, buckets, state.BucketOrders)
	if err != nil {
		return ""
	}
	var o struct {
		Store string `json:"store"`
	}
	if state.GetState(ctx, kv, r.orderKey, &o) != nil {
		return ""
	}
	if _, err := strconv.ParseUint(o.Store, 10, 64); err != nil {
		return ""
	}
	return o.Store
}

// bucket opens a canonical state bucket once per run. The consumers own
// them: a missing one fails the run (is the consumer running?) rather than
// making everything look missed.
func (s *Service) bucket(ctx context.Context, buckets map[string]jetstream.KeyValue, name string) (jetstream.KeyValue, error) {
	if kv, ok := buckets[name]; ok {
		return kv, nil
	}
	kv, err := s.js.KeyValue(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("canonical state bucket %s (is its consumer running?): %w", name, err)
	}
	buckets[name] = kv
	return kv, nil
}
