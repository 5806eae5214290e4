package gateway

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/streams"
	"github.com/hookstream/hookstream/services/gateway/internal/groupcommit"
)

// Defaults.
const (
	DefaultAddr           = ":8080"
	DefaultMaxBodyBytes   = 1 << 20
	DefaultPublishTimeout = 3 * time.Second
	DefaultRetryAfter     = 5 * time.Second
	// DefaultMaxConns is GATEWAY_MAX_CONNS: ample for providers' webhook
	// traffic (the benchmark's 64 clients use 64), small enough that a
	// flood of idle connections cannot exhaust the process.
	DefaultMaxConns      = 4096
	DefaultVerifyTimeout = 3 * time.Second
	DefaultJWKSURL       = "https://api.shipengine.com/jwks"
)

// Config is the gateway's configuration. Load reads it from the
// environment; the variable for each field is in its comment.
type Config struct {
	// Env is NATS_URL, NATS_CREDS, NATS_USER, NATS_PASSWORD, LOG_LEVEL and
	// LOG_FORMAT.
	process.Env

	// Addr is the HTTP listen address (GATEWAY_ADDR, default ":8080").
	Addr string
	// MaxBodyBytes bounds a webhook body; larger ones get 413
	// (GATEWAY_MAX_BODY_BYTES, default 1 MiB).
	MaxBodyBytes int64
	// PublishTimeout bounds the wait for JetStream's PubAck; after it the
	// answer is 503 (GATEWAY_PUBLISH_TIMEOUT, default 3s, below SHOPLINE's
	// 5 s answer budget).
	PublishTimeout time.Duration
	// VerifyTimeout bounds a provider call made to authenticate a request
	// (Snipcart's token validation, ShipStation V2's JWKS fetch); after it
	// the answer is 503 (GATEWAY_VERIFY_TIMEOUT, default 3s).
	VerifyTimeout time.Duration
	// RetryAfter is sent with every 503 (GATEWAY_RETRY_AFTER, default 5s).
	RetryAfter time.Duration
	// PublishBatch caps how many concurrent requests share one JetStream
	// acknowledgement (GATEWAY_PUBLISH_BATCH, default 256; 1 publishes
	// each message on its own). See groupcommit.Publisher.
	PublishBatch int
	// PublishAtomic makes the batches atomic (GATEWAY_PUBLISH_ATOMIC,
	// default false): one disk sync per batch on a server with
	// sync_interval: always, slower at the default interval.
	PublishAtomic bool
	// MaxConns caps the connections served at once (GATEWAY_MAX_CONNS,
	// default DefaultMaxConns); one more is answered 503 and closed.
	MaxConns int
	// MaxConnsPerIP caps the connections from one address
	// (GATEWAY_MAX_CONNS_PER_IP, default 0: no cap, since behind a load
	// balancer every connection comes from the balancer); one more is
	// answered 429 and closed.
	MaxConnsPerIP int

	// ShipStationToken is the secret in the ShipStation V1 target URL's
	// "token" query parameter (SHIPSTATION_WEBHOOK_TOKEN[_FILE]).
	ShipStationToken string
	// ShipStationResourceHosts replaces the resource_url host pattern
	// ^ssapi\d*\.shipstation\.com$; it is then matched against host:port
	// (SHIPSTATION_RESOURCE_HOSTS). For sandboxes only.
	ShipStationResourceHosts *regexp.Regexp
	// ShipStationResourceAllowHTTP allows http resource URLs
	// (SHIPSTATION_RESOURCE_ALLOW_HTTP, default false). For sandboxes only.
	ShipStationResourceAllowHTTP bool
	// ShipStationV2JWKSURL is where ShipStation V2's signing keys are
	// (SHIPSTATION_V2_JWKS_URL, default https://api.shipengine.com/jwks).
	ShipStationV2JWKSURL string
	// SnipcartSecretKey is the secret API key used to validate request
	// tokens (SNIPCART_SECRET_KEY[_FILE]).
	SnipcartSecretKey string
	// SnipcartAPIURL is Snipcart's API base (SNIPCART_API_URL, default
	// https://app.snipcart.com/api).
	SnipcartAPIURL string
	// ShoplineAppSecrets are the app secrets, several during a rotation
	// (SHOPLINE_APP_SECRET[_FILE], comma-separated).
	ShoplineAppSecrets []string

	// Accounts are the named accounts of the accounts file
	// (HOOKSTREAM_ACCOUNTS_FILE, see package accounts): each has routes of
	// its own, /webhooks/<provider>/<account>, beside the default
	// account's, which the variables above configure.
	Accounts accounts.Set

	// Webhooks tunes the WEBHOOKS stream (WEBHOOKS_DUPLICATE_WINDOW default
	// 1h, WEBHOOKS_MAX_AGE default 168h, WEBHOOKS_MAX_BYTES default
	// unlimited, STREAM_REPLICAS default 1).
	Webhooks streams.Options
}

// Load reads the Config from environment variables through lookup (nil:
// the process environment) and validates it. The error names every bad
// variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := envconf.New(lookup)
	c := Config{
		Env:                          process.LoadEnv(l),
		Addr:                         l.String("GATEWAY_ADDR", DefaultAddr),
		MaxBodyBytes:                 l.Int("GATEWAY_MAX_BODY_BYTES", DefaultMaxBodyBytes, 1),
		PublishTimeout:               l.Duration("GATEWAY_PUBLISH_TIMEOUT", DefaultPublishTimeout),
		VerifyTimeout:                l.Duration("GATEWAY_VERIFY_TIMEOUT", DefaultVerifyTimeout),
		RetryAfter:                   l.Duration("GATEWAY_RETRY_AFTER", DefaultRetryAfter),
		PublishBatch:                 int(l.Int("GATEWAY_PUBLISH_BATCH", groupcommit.DefaultMaxBatch, 1)),
		PublishAtomic:                l.Bool("GATEWAY_PUBLISH_ATOMIC", false),
		MaxConns:                     int(l.Int("GATEWAY_MAX_CONNS", DefaultMaxConns, 1)),
		MaxConnsPerIP:                int(l.Int("GATEWAY_MAX_CONNS_PER_IP", 0, 0)),
		ShipStationToken:             l.Secret("SHIPSTATION_WEBHOOK_TOKEN"),
		ShipStationResourceHosts:     l.Regexp("SHIPSTATION_RESOURCE_HOSTS"),
		ShipStationResourceAllowHTTP: l.SandboxOnly("SHIPSTATION_RESOURCE_ALLOW_HTTP"),
		ShipStationV2JWKSURL:         l.URL("SHIPSTATION_V2_JWKS_URL", DefaultJWKSURL),
		SnipcartSecretKey:            l.Secret("SNIPCART_SECRET_KEY"),
		SnipcartAPIURL:               l.URL("SNIPCART_API_URL", snipcart.DefaultAPIURL),
		ShoplineAppSecrets:           shopline.ParseSecrets(l.Secret("SHOPLINE_APP_SECRET")),
		Accounts:                     accounts.Load(l),
		Webhooks: streams.Options{
			DuplicateWindow: l.Duration("WEBHOOKS_DUPLICATE_WINDOW", streams.DefaultDuplicateWindow),
			MaxAge:          l.Duration("WEBHOOKS_MAX_AGE", streams.DefaultWebhooksMaxAge),
			MaxBytes:        l.Int("WEBHOOKS_MAX_BYTES", 0, 0),
			Replicas:        int(l.Int("STREAM_REPLICAS", 1, 1)),
		},
	}
	return c, l.Err()
}

// String renders the configuration for the start-up log, secrets redacted
// and the named accounts by name only.
func (c Config) String() string {
	hosts := "(default ^ssapi\\d*\\.shipstation\\.com$)"
	if c.ShipStationResourceHosts != nil {
		hosts = c.ShipStationResourceHosts.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s LOG_LEVEL=%s LOG_FORMAT=%s ", c.NATS, c.Log.Level, c.Log.Format)
	fmt.Fprintf(&b, "GATEWAY_ADDR=%s GATEWAY_MAX_BODY_BYTES=%d GATEWAY_PUBLISH_TIMEOUT=%s GATEWAY_PUBLISH_BATCH=%d GATEWAY_PUBLISH_ATOMIC=%t GATEWAY_VERIFY_TIMEOUT=%s GATEWAY_RETRY_AFTER=%s GATEWAY_MAX_CONNS=%d GATEWAY_MAX_CONNS_PER_IP=%d ",
		c.Addr, c.MaxBodyBytes, c.PublishTimeout, c.PublishBatch, c.PublishAtomic, c.VerifyTimeout, c.RetryAfter, c.MaxConns, c.MaxConnsPerIP)
	fmt.Fprintf(&b, "SHIPSTATION_WEBHOOK_TOKEN=%s SHIPSTATION_RESOURCE_HOSTS=%s SHIPSTATION_RESOURCE_ALLOW_HTTP=%t SHIPSTATION_V2_JWKS_URL=%s ",
		envconf.Redact(c.ShipStationToken), hosts, c.ShipStationResourceAllowHTTP, c.ShipStationV2JWKSURL)
	fmt.Fprintf(&b, "SNIPCART_SECRET_KEY=%s SNIPCART_API_URL=%s SHOPLINE_APP_SECRET=%s ",
		envconf.Redact(c.SnipcartSecretKey), c.SnipcartAPIURL, envconf.Redact(strings.Join(c.ShoplineAppSecrets, ",")))
	fmt.Fprintf(&b, "WEBHOOKS_DUPLICATE_WINDOW=%s WEBHOOKS_MAX_AGE=%s WEBHOOKS_MAX_BYTES=%d STREAM_REPLICAS=%d %s",
		c.Webhooks.DuplicateWindow, c.Webhooks.MaxAge, c.Webhooks.MaxBytes, c.Webhooks.Replicas, c.Accounts)
	return b.String()
}
