package shipmenttracker

import (
	"fmt"

	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/pkg/streams"
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
	// Settings are HEALTH_ADDR (default :8082), the CONSUMER_* runner
	// settings, STREAM_REPLICAS and the SHIPSTATION_* API settings. Without
	// ShipStation credentials, ShipStation events go to the DLQ naming the
	// variables; Snipcart tracking changes need none.
	consumer.Settings
	// Shipments tunes the SHIPMENTS stream (SHIPMENTS_MAX_AGE, default
	// 720h).
	Shipments streams.Options
}

// Load reads the Config from environment variables through lookup (nil:
// the process environment). The error names every bad variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := envconf.New(lookup)
	c := Config{
		Env:       process.LoadEnv(l),
		Settings:  consumer.LoadSettings(l, DefaultHealthAddr),
		Shipments: streams.Options{MaxAge: l.Duration("SHIPMENTS_MAX_AGE", streams.DefaultCanonicalMaxAge)},
	}
	return c, l.Err()
}

// String renders the configuration for the start-up log, secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("%s LOG_LEVEL=%s %s SHIPMENTS_MAX_AGE=%s", c.NATS, c.Log.Level, c.Settings, c.Shipments.MaxAge)
}
