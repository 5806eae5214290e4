package shipmenttracker

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/jsx"
	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// Durable is the consumer name every replica shares; it is also the second
// token of this service's DLQ subjects.
const Durable = "shipment-tracker"

// DefaultHealthAddr is where /healthz, /readyz and /metrics listen.
const DefaultHealthAddr = ":8082"

// Config is the shipment-tracker's configuration; Load reads it from the
// environment.
type Config struct {
	// Env is NATS_URL, NATS_CREDS, NATS_USER, NATS_PASSWORD, LOG_LEVEL and
	// LOG_FORMAT.
	process.Env
	// HealthAddr serves /healthz, /readyz and /metrics (HEALTH_ADDR,
	// default :8082; "-" turns it off).
	HealthAddr string
	// Consumer is CONSUMER_CONCURRENCY, CONSUMER_MAX_DELIVER,
	// CONSUMER_ACK_WAIT, CONSUMER_MAX_ACK_PENDING, CONSUMER_HANDLER_TIMEOUT.
	Consumer jsx.ConsumerConfig
	// Shipments tunes the SHIPMENTS stream (SHIPMENTS_MAX_AGE default
	// 720h, STREAM_REPLICAS default 1).
	Shipments jsx.StreamOptions

	// ShipStation are the API credentials: SHIPSTATION_API_KEY and
	// SHIPSTATION_API_SECRET (the _FILE variants too). Without them
	// ShipStation events go to the DLQ with an error naming the variables,
	// to be redriven once they are set; Snipcart events need none.
	ShipStation shipstation.Credentials
	// ShipStationSecondary is the rotation pair, optional:
	// SHIPSTATION_API_KEY_SECONDARY and SHIPSTATION_API_SECRET_SECONDARY.
	ShipStationSecondary shipstation.Credentials
	// ShipStationAPIURL is the API base (SHIPSTATION_API_URL, default
	// https://ssapi.shipstation.com). Set to a sandbox, its host:port and
	// scheme become the only ones resource URLs may name.
	ShipStationAPIURL string
	// ShipStationResourceHosts overrides the resource_url host pattern
	// (SHIPSTATION_RESOURCE_HOSTS), as in the gateway.
	ShipStationResourceHosts *regexp.Regexp
	// ShipStationRequestsPerMinute is the client-side budget per key
	// (SHIPSTATION_REQUESTS_PER_MINUTE, default 40). The order-enricher
	// spends the same keys' budget: give each a share when both run.
	ShipStationRequestsPerMinute int
}

// Load reads the Config from environment variables through lookup (nil:
// the process environment). The error names every bad variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := envconf.New(lookup)
	c := Config{
		Env:        process.LoadEnv(l),
		HealthAddr: l.String("HEALTH_ADDR", DefaultHealthAddr),
		Consumer:   jsx.LoadConsumerConfig(l),
		Shipments: jsx.StreamOptions{
			MaxAge:   l.Duration("SHIPMENTS_MAX_AGE", jsx.DefaultCanonicalMaxAge),
			Replicas: int(l.Int("STREAM_REPLICAS", 1, 1)),
		},
		ShipStation: shipstation.Credentials{
			Key: l.Secret("SHIPSTATION_API_KEY"), Secret: l.Secret("SHIPSTATION_API_SECRET"),
		},
		ShipStationSecondary: shipstation.Credentials{
			Key: l.Secret("SHIPSTATION_API_KEY_SECONDARY"), Secret: l.Secret("SHIPSTATION_API_SECRET_SECONDARY"),
		},
		ShipStationAPIURL:            l.String("SHIPSTATION_API_URL", shipstation.DefaultBaseURL),
		ShipStationResourceHosts:     l.Regexp("SHIPSTATION_RESOURCE_HOSTS"),
		ShipStationRequestsPerMinute: int(l.Int("SHIPSTATION_REQUESTS_PER_MINUTE", shipstation.DefaultRequestsPerMinute, 1)),
	}
	if c.HealthAddr == "-" {
		c.HealthAddr = ""
	}
	for _, pair := range []struct {
		name string
		cred shipstation.Credentials
	}{{"SHIPSTATION_API_KEY", c.ShipStation}, {"SHIPSTATION_API_KEY_SECONDARY", c.ShipStationSecondary}} {
		if (pair.cred.Key == "") != (pair.cred.Secret == "") {
			l.Fail(pair.name, "set the key and its secret together")
		}
	}
	if c.ShipStation.Key == "" && c.ShipStationSecondary.Key != "" {
		l.Fail("SHIPSTATION_API_KEY", "a secondary pair is set without a primary one")
	}
	if u, err := url.Parse(c.ShipStationAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		l.Fail("SHIPSTATION_API_URL", "want an absolute http(s) URL, got %q", c.ShipStationAPIURL)
	}
	return c, l.Err()
}

// resourcePolicy is the resource_url policy the client enforces before it
// sends credentials: the default ShipStation hosts, or exactly the
// configured API host, or SHIPSTATION_RESOURCE_HOSTS.
func (c Config) resourcePolicy() shipstation.ResourcePolicy {
	if c.ShipStationResourceHosts != nil {
		return shipstation.ResourcePolicy{Hosts: c.ShipStationResourceHosts, AllowHTTP: strings.HasPrefix(c.ShipStationAPIURL, "http:")}
	}
	if c.ShipStationAPIURL == shipstation.DefaultBaseURL {
		return shipstation.ResourcePolicy{}
	}
	u, _ := url.Parse(c.ShipStationAPIURL) // checked in Load
	return shipstation.ResourcePolicy{
		Hosts:     regexp.MustCompile("^" + regexp.QuoteMeta(strings.ToLower(u.Host)) + "$"),
		AllowHTTP: u.Scheme == "http",
	}
}

// String renders the configuration for the start-up log, secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("%s LOG_LEVEL=%s HEALTH_ADDR=%s SHIPMENTS_MAX_AGE=%s SHIPSTATION_API_URL=%s SHIPSTATION_API_KEY=%s SHIPSTATION_API_KEY_SECONDARY=%s SHIPSTATION_REQUESTS_PER_MINUTE=%d CONSUMER=%+v",
		c.NATS, c.Log.Level, c.HealthAddr, c.Shipments.MaxAge, c.ShipStationAPIURL, envconf.Redact(c.ShipStation.Key),
		envconf.Redact(c.ShipStationSecondary.Key), c.ShipStationRequestsPerMinute, c.Consumer)
}
