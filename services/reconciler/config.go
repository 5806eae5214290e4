package reconciler

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/provider/subscriptions"
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
	// ShipStation are the SHIPSTATION_* API settings. With a key and
	// secret, ShipStation's orders, labels, voids and fulfillments are
	// reconciled.
	ShipStation shipstation.Settings
	// Snipcart are the SNIPCART_* settings. With a secret key, Snipcart's
	// orders are reconciled.
	Snipcart SnipcartSettings
	// Shopline are the SHOPLINE_* settings. With an access token and the
	// store (a handle or an API URL), SHOPLINE's orders are reconciled. At
	// least one provider is required.
	Shopline ShoplineSettings
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
	// Accounts are the named accounts of HOOKSTREAM_ACCOUNTS_FILE: each
	// with API credentials is reconciled too, with its own checkpoints.
	Accounts accounts.Set
	// Lease is RECONCILE_LEASE: how long a replica's lease lasts unless
	// renewed (default three intervals); another replica takes over after
	// it lapses.
	Lease time.Duration
}

// SnipcartSettings are what the reconciler needs of Snipcart.
type SnipcartSettings struct {
	// SecretKey is SNIPCART_SECRET_KEY (or _FILE): the key whose orders are
	// listed.
	SecretKey string
	// APIURL is SNIPCART_API_URL (default https://app.snipcart.com/api).
	APIURL string
	// Mode is SNIPCART_MODE, the key's mode: "live" (default) or "test".
	Mode string
	// Reread is RECONCILE_SNIPCART_REREAD (default 72h): Snipcart lists by
	// placement date only, so every window reaches back this far, for the
	// later changes to recent orders.
	Reread time.Duration
}

// ShoplineSettings are what the reconciler needs of SHOPLINE's open API.
type ShoplineSettings struct {
	// AccessToken is SHOPLINE_ACCESS_TOKEN (or _FILE): the store's token,
	// with the scopes read_orders and read_store_information.
	AccessToken string
	// StoreURL is SHOPLINE_API_URL, else https://{SHOPLINE_SHOP_HANDLE}
	// .myshopline.com; "" when neither is set.
	StoreURL string
	// APIVersion is SHOPLINE_API_VERSION (default v20260301).
	APIVersion string
}

// Enabled reports whether SHOPLINE is reconciled: a token and a store.
func (s ShoplineSettings) Enabled() bool { return s.AccessToken != "" && s.StoreURL != "" }

// loadShopline reads the SHOPLINE_* settings through l.
func loadShopline(l *envconf.Loader) ShoplineSettings {
	s := ShoplineSettings{
		AccessToken: l.Secret("SHOPLINE_ACCESS_TOKEN"),
		APIVersion:  l.String("SHOPLINE_API_VERSION", shopline.DefaultAPIVersion),
	}
	if handle := l.String("SHOPLINE_SHOP_HANDLE", ""); handle != "" {
		s.StoreURL = subscriptions.ShoplineStoreURL(handle)
	}
	if l.String("SHOPLINE_API_URL", "") != "" {
		s.StoreURL = strings.TrimRight(l.URL("SHOPLINE_API_URL", ""), "/")
	}
	if !shopline.ValidAPIVersion(s.APIVersion) {
		l.Fail("SHOPLINE_API_VERSION", "want v and a date, like %s, got %q", shopline.DefaultAPIVersion, s.APIVersion)
	}
	if s.AccessToken != "" && s.StoreURL == "" {
		l.Fail("SHOPLINE_SHOP_HANDLE", "or SHOPLINE_API_URL is required with SHOPLINE_ACCESS_TOKEN: the store whose orders are listed")
	}
	return s
}

// DefaultSnipcartReread is RECONCILE_SNIPCART_REREAD's default.
const DefaultSnipcartReread = 72 * time.Hour

// Load reads the Config from environment variables through lookup (nil:
// the process environment). The error names every bad variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := envconf.New(lookup)
	c := Config{
		Env:         process.LoadEnv(l),
		HealthAddr:  l.String("HEALTH_ADDR", DefaultHealthAddr),
		Replicas:    int(l.Int("STREAM_REPLICAS", 1, 1)),
		ShipStation: shipstation.LoadSettings(l),
		Snipcart: SnipcartSettings{
			SecretKey: l.Secret("SNIPCART_SECRET_KEY"),
			APIURL:    l.URL("SNIPCART_API_URL", snipcart.DefaultAPIURL),
			Mode:      l.String("SNIPCART_MODE", "live"),
			Reread:    l.Duration("RECONCILE_SNIPCART_REREAD", DefaultSnipcartReread),
		},
		Shopline: loadShopline(l),
		Interval: l.Duration("RECONCILE_INTERVAL", DefaultInterval),
		Overlap:  l.Duration("RECONCILE_OVERLAP", DefaultOverlap),
		Settle:   l.Duration("RECONCILE_SETTLE", DefaultSettle),
		Lookback: l.Duration("RECONCILE_LOOKBACK", DefaultLookback),
	}
	c.Lease = l.Duration("RECONCILE_LEASE", 3*c.Interval)
	c.Accounts = accounts.Load(l)
	if c.HealthAddr == "-" {
		c.HealthAddr = ""
	}
	if c.ShipStation.Primary.Key == "" && c.Snipcart.SecretKey == "" && c.Shopline.AccessToken == "" && c.Accounts.Empty() {
		l.Fail("SHIPSTATION_API_KEY", "or SNIPCART_SECRET_KEY or SHOPLINE_ACCESS_TOKEN is required: the reconciler lists the providers whose keys it has")
	}
	if c.Snipcart.Mode != "live" && c.Snipcart.Mode != "test" {
		l.Fail("SNIPCART_MODE", "want live or test, got %q", c.Snipcart.Mode)
	}
	if c.Lease <= c.Interval {
		l.Fail("RECONCILE_LEASE", "must be longer than RECONCILE_INTERVAL (%s), or the lease lapses between runs", c.Interval)
	}
	return c, l.Err()
}

// String renders the configuration for the start-up log, secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("%s LOG_LEVEL=%s HEALTH_ADDR=%s STREAM_REPLICAS=%d %s SNIPCART_API_URL=%s SNIPCART_SECRET_KEY=%s SNIPCART_MODE=%s SHOPLINE_API_URL=%s SHOPLINE_ACCESS_TOKEN=%s SHOPLINE_API_VERSION=%s RECONCILE_INTERVAL=%s RECONCILE_OVERLAP=%s RECONCILE_SETTLE=%s RECONCILE_LOOKBACK=%s RECONCILE_LEASE=%s RECONCILE_SNIPCART_REREAD=%s %s",
		c.NATS, c.Log.Level, c.HealthAddr, c.Replicas, c.ShipStation, c.Snipcart.APIURL, envconf.Redact(c.Snipcart.SecretKey), c.Snipcart.Mode,
		orUnset(c.Shopline.StoreURL), envconf.Redact(c.Shopline.AccessToken), c.Shopline.APIVersion,
		c.Interval, c.Overlap, c.Settle, c.Lookback, c.Lease, c.Snipcart.Reread, c.Accounts)
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}
