package reconciler

import (
	"fmt"
	"time"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// DefaultHealthAddr is where /healthz, /readyz and /metrics listen.
const DefaultHealthAddr = ":8084"

// Defaults of the RECONCILE_* variables.
const (
	DefaultInterval = 5 * time.Minute
	DefaultOverlap  = 10 * time.Minute
	DefaultSettle   = 5 * time.Minute
	DefaultLookback = 24 * time.Hour
)

// Config is the reconciler's configuration; Load reads it from the
// environment.
type Config struct {
	// Env is NATS_URL, NATS_CREDS, NATS_USER, NATS_PASSWORD, LOG_LEVEL and
	// LOG_FORMAT.
	process.Env
	// HealthAddr serves /healthz, /readyz and /metrics (HEALTH_ADDR,
	// default :8084; "-" turns it off).
	HealthAddr string
	// Replicas is STREAM_REPLICAS (default 1), of the checkpoint bucket.
	Replicas int
	// ShipStation are the SHIPSTATION_* API settings; the key and secret
	// are required.
	ShipStation shipstation.Settings
	// Interval is RECONCILE_INTERVAL: how often a run starts (default 5m).
	Interval time.Duration
	// Overlap is RECONCILE_OVERLAP: how far each window reaches back before
	// the last checkpoint (default 10m), for clock skew, late writes at
	// ShipStation and its second-granular, possibly exclusive, filters.
	Overlap time.Duration
	// Settle is RECONCILE_SETTLE: a window ends this long before now
	// (default 5m), so that webhooks on their way ("within a few minutes",
	// says ShipStation) are not counted as missed.
	Settle time.Duration
	// Lookback is RECONCILE_LOOKBACK: where the first window starts when
	// there is no checkpoint (default 24h before now).
	Lookback time.Duration
	// Lease is RECONCILE_LEASE: how long a replica's lease lasts unless
	// renewed (default three intervals); another replica takes over after
	// it lapses.
	Lease time.Duration
}

// Load reads the Config from environment variables through lookup (nil:
// the process environment). The error names every bad variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := envconf.New(lookup)
	c := Config{
		Env:         process.LoadEnv(l),
		HealthAddr:  l.String("HEALTH_ADDR", DefaultHealthAddr),
		Replicas:    int(l.Int("STREAM_REPLICAS", 1, 1)),
		ShipStation: shipstation.LoadSettings(l),
		Interval:    l.Duration("RECONCILE_INTERVAL", DefaultInterval),
		Overlap:     l.Duration("RECONCILE_OVERLAP", DefaultOverlap),
		Settle:      l.Duration("RECONCILE_SETTLE", DefaultSettle),
		Lookback:    l.Duration("RECONCILE_LOOKBACK", DefaultLookback),
	}
	c.Lease = l.Duration("RECONCILE_LEASE", 3*c.Interval)
	if c.HealthAddr == "-" {
		c.HealthAddr = ""
	}
	if c.ShipStation.Primary.Key == "" {
		l.Fail("SHIPSTATION_API_KEY", "is required: the reconciler lists ShipStation's orders, labels and fulfillments")
	}
	if c.Lease <= c.Interval {
		l.Fail("RECONCILE_LEASE", "must be longer than RECONCILE_INTERVAL (%s), or the lease lapses between runs", c.Interval)
	}
	return c, l.Err()
}

// String renders the configuration for the start-up log, secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("%s LOG_LEVEL=%s HEALTH_ADDR=%s STREAM_REPLICAS=%d %s RECONCILE_INTERVAL=%s RECONCILE_OVERLAP=%s RECONCILE_SETTLE=%s RECONCILE_LOOKBACK=%s RECONCILE_LEASE=%s",
		c.NATS, c.Log.Level, c.HealthAddr, c.Replicas, c.ShipStation, c.Interval, c.Overlap, c.Settle, c.Lookback, c.Lease)
}
