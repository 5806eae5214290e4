package shipstation

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/tracing"
	"github.com/prometheus/client_golang/prometheus"
)

// Settings are the ShipStation API settings every consumer service reads
// from its environment. LoadSettings reads them; NewClient builds the
// shared Client.
type Settings struct {
	// Primary is SHIPSTATION_API_KEY and SHIPSTATION_API_SECRET (or their
	// _FILE variants). Without it the service has no Client and sends
	// ShipStation events to the DLQ naming these variables.
	Primary Credentials
	// Secondary is SHIPSTATION_API_KEY_SECONDARY and
	// SHIPSTATION_API_SECRET_SECONDARY, the rotation pair, optional.
	Secondary Credentials
	// APIURL is SHIPSTATION_API_URL (default https://ssapi.shipstation.com).
	// Set to a sandbox, its host:port and scheme become the only ones
	// resource URLs may name.
	APIURL string
	// ResourceHosts overrides the resource_url host pattern
	// (SHIPSTATION_RESOURCE_HOSTS), as in the gateway. For sandboxes only.
	ResourceHosts *regexp.Regexp
	// RateLimit is each key pair's budget per window
	// (SHIPSTATION_RATE_LIMIT, default 40), shared by every process that
	// uses the pair unless SharedBudget is off.
	RateLimit int
	// RateWindow is the rate-limit window (SHIPSTATION_RATE_WINDOW,
	// default 1m, ShipStation's); another value is for sandboxes.
	RateWindow time.Duration
	// SharedBudget keeps the budget in the JetStream KV bucket
	// shipstation_budget, for every process at once
	// (SHIPSTATION_SHARED_BUDGET, default true). Off, each process has
	// RateLimit to itself: for a single process only.
	SharedBudget bool
	// FallbackRateLimit is a process's own budget per window while the
	// shared bucket cannot be used (SHIPSTATION_FALLBACK_RATE_LIMIT,
	// default 5).
	FallbackRateLimit int
	// BackgroundReservePercent is the share of RateLimit background
	// callers (a reconciler) leave to webhook-driven ones
	// (SHIPSTATION_BACKGROUND_RESERVE_PERCENT, default 25).
	BackgroundReservePercent int
}

// removedRequestsPerMinute is the per-process budget the shared one
// replaced; a deployment that still sets it is told what to set instead.
const removedRequestsPerMinute = "SHIPSTATION_REQUESTS_PER_MINUTE"

// LoadSettings reads the SHIPSTATION_* API variables, recording problems
// in l.
func LoadSettings(l *envconf.Loader) Settings {
	s := Settings{
		Primary:                  Credentials{Key: l.Secret("SHIPSTATION_API_KEY"), Secret: l.Secret("SHIPSTATION_API_SECRET")},
		Secondary:                Credentials{Key: l.Secret("SHIPSTATION_API_KEY_SECONDARY"), Secret: l.Secret("SHIPSTATION_API_SECRET_SECONDARY")},
		APIURL:                   l.URL("SHIPSTATION_API_URL", DefaultBaseURL),
		ResourceHosts:            l.Regexp("SHIPSTATION_RESOURCE_HOSTS"),
		RateLimit:                int(l.Int("SHIPSTATION_RATE_LIMIT", DefaultRateLimit, 1)),
		RateWindow:               l.Duration("SHIPSTATION_RATE_WINDOW", DefaultRateWindow),
		SharedBudget:             l.Bool("SHIPSTATION_SHARED_BUDGET", true),
		FallbackRateLimit:        int(l.Int("SHIPSTATION_FALLBACK_RATE_LIMIT", DefaultFallbackRateLimit, 1)),
		BackgroundReservePercent: int(l.Int("SHIPSTATION_BACKGROUND_RESERVE_PERCENT", DefaultBackgroundReservePercent, 1)),
	}
	if l.String(removedRequestsPerMinute, "") != "" {
		l.Fail(removedRequestsPerMinute, "no longer read: every process now shares one budget per key pair (SHIPSTATION_RATE_LIMIT, default 40); SHIPSTATION_FALLBACK_RATE_LIMIT is a process's own limit while the shared bucket is unavailable")
	}
	switch {
	case s.RateWindow <= 0:
		l.Fail("SHIPSTATION_RATE_WINDOW", "must be positive")
	case s.FallbackRateLimit > s.RateLimit:
		l.Fail("SHIPSTATION_FALLBACK_RATE_LIMIT", "must not exceed SHIPSTATION_RATE_LIMIT")
	case s.BackgroundReservePercent > 99:
		l.Fail("SHIPSTATION_BACKGROUND_RESERVE_PERCENT", "must be between 1 and 99")
	}
	for name, cred := range map[string]Credentials{"SHIPSTATION_API_KEY": s.Primary, "SHIPSTATION_API_KEY_SECONDARY": s.Secondary} {
		if (cred.Key == "") != (cred.Secret == "") {
			l.Fail(name, "set the key and its secret together")
		}
	}
	if s.Primary.Key == "" && s.Secondary.Key != "" {
		l.Fail("SHIPSTATION_API_KEY", "a secondary pair is set without a primary one")
	}
	return s
}

// Policy is the resource_url policy the client enforces before it sends
// credentials: ShipStation's own hosts by default, exactly the configured
// API host when SHIPSTATION_API_URL names another (a sandbox), or
// SHIPSTATION_RESOURCE_HOSTS.
func (s Settings) Policy() ResourcePolicy {
	allowHTTP := strings.HasPrefix(s.APIURL, "http:")
	switch {
	case s.ResourceHosts != nil:
		return ResourcePolicy{Hosts: s.ResourceHosts, AllowHTTP: allowHTTP}
	case s.APIURL == DefaultBaseURL || s.APIURL == "":
		return ResourcePolicy{}
	}
	u, err := url.Parse(s.APIURL)
	if err != nil {
		return ResourcePolicy{} // LoadSettings refused it already
	}
	return ResourcePolicy{Hosts: regexp.MustCompile("^" + regexp.QuoteMeta(strings.ToLower(u.Host)) + "$"), AllowHTTP: allowHTTP}
}

// ClientConfig is the ClientConfig these settings describe, with the
// shared budget in js's bucket (replicas as given) unless SharedBudget is
// off. A background caller sets Background on it.
func (s Settings) ClientConfig(js jetstream.JetStream, replicas int, log *zap.Logger, metrics prometheus.Registerer) ClientConfig {
	cfg := ClientConfig{
		Primary:                  s.Primary,
		Secondary:                s.Secondary,
		BaseURL:                  s.APIURL,
		Resources:                s.Policy(),
		RateLimit:                s.RateLimit,
		RateWindow:               s.RateWindow,
		FallbackRateLimit:        s.FallbackRateLimit,
		BackgroundReservePercent: s.BackgroundReservePercent,
		Logger:                   log,
		Metrics:                  metrics,
	}
	if s.SharedBudget {
		cfg.JetStream, cfg.BudgetReplicas = js, replicas
	}
	return cfg
}

// NewClient builds the Client cfg describes (see Settings.ClientConfig),
// or returns nil when no credentials are configured.
func (s Settings) NewClient(cfg ClientConfig) (*Client, error) {
	if s.Primary.Key == "" {
		return nil, nil
	}
	// A span per API call when tracing is on (a child of the consumer's
	// span); the client's internals stay as they are.
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: tracing.Transport(nil, "shipstation")}
	}
	c, err := NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("shipstation client: %w", err)
	}
	return c, nil
}

// String renders the settings with the keys redacted.
func (s Settings) String() string {
	return fmt.Sprintf("SHIPSTATION_API_URL=%s SHIPSTATION_API_KEY=%s SHIPSTATION_API_KEY_SECONDARY=%s SHIPSTATION_RATE_LIMIT=%d SHIPSTATION_RATE_WINDOW=%s SHIPSTATION_SHARED_BUDGET=%t SHIPSTATION_FALLBACK_RATE_LIMIT=%d SHIPSTATION_BACKGROUND_RESERVE_PERCENT=%d",
		s.APIURL, envconf.Redact(s.Primary.Key), envconf.Redact(s.Secondary.Key), s.RateLimit, s.RateWindow, s.SharedBudget, s.FallbackRateLimit, s.BackgroundReservePercent)
}
