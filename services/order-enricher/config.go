package orderenricher

import (
	"fmt"

	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/pkg/streams"
)

// Durable is the consumer name every replica shares; it is also the second
// token of this service's DLQ subjects.
const Durable = "order-enricher"

// DefaultHealthAddr is where /healthz, /readyz and /metrics listen.
const DefaultHealthAddr = ":8081"

// Config is the order-enricher's configuration; Load reads it from the
// environment.
type Config struct {
	// Env is NATS_URL, NATS_CREDS, NATS_USER, NATS_PASSWORD, LOG_LEVEL and
	// LOG_FORMAT.
	process.Env
	// Settings are HEALTH_ADDR (default :8081), the CONSUMER_* runner
	// settings, STREAM_REPLICAS and the SHIPSTATION_* API settings. Without
	// SHIPSTATION_API_KEY and SHIPSTATION_API_SECRET, ShipStation events go
	// to the DLQ with an error naming them, to be redriven once set.
	consumer.Settings
	// Orders tunes the ORDERS stream (ORDERS_MAX_AGE, default 720h).
	Orders streams.Options
}

// Load reads the Config from environment variables through lookup (nil:
// the process environment). The error names every bad variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := envconf.New(lookup)
	c := Config{
		Env:      process.LoadEnv(l),
		Settings: consumer.LoadSettings(l, DefaultHealthAddr),
		Orders:   streams.Options{MaxAge: l.Duration("ORDERS_MAX_AGE", streams.DefaultCanonicalMaxAge)},
	}
	return c, l.Err()
}

// String renders the configuration for the start-up log, secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("%s LOG_LEVEL=%s %s ORDERS_MAX_AGE=%s", c.NATS, c.Log.Level, c.Settings, c.Orders.MaxAge)
}
