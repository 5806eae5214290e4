package fulfillmentholds

import (
	"fmt"
	"time"

	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/pkg/streams"
)

// Durable is the name of the consumer on WEBHOOKS that every replica
// shares; it is also the second token of its DLQ subjects.
const Durable = "fulfillment-holds"

// TimersDurable is the name of the consumer on HOLD_TIMERS (the fired
// overdue timers) that every replica shares.
const TimersDurable = "fulfillment-holds-timers"

// DefaultHealthAddr is where /healthz, /readyz and /metrics listen.
const DefaultHealthAddr = ":8083"

// DefaultOverdueAfter is how long a hold stays open before hold_overdue.
const DefaultOverdueAfter = 24 * time.Hour

// timersMargin is how much longer than HOLD_OVERDUE_AFTER the timers stream
// keeps a message by default: room for an outage or a backlog between a
// hold's webhook and its processing.
const timersMargin = 7 * 24 * time.Hour

// Config is the fulfillment-holds configuration; Load reads it from the
// environment.
type Config struct {
	// Env is NATS_URL, NATS_CREDS, NATS_USER, NATS_PASSWORD, LOG_LEVEL and
	// LOG_FORMAT.
	process.Env
	// Settings are HEALTH_ADDR (default :8083), the CONSUMER_* runner
	// settings (both consumers, webhooks and timers, use them),
	// STREAM_REPLICAS and the SHIPSTATION_* API settings, used for
	// FULFILLMENT_REJECTED. Without ShipStation credentials, rejections go
	// to the DLQ with an error naming the variables.
	consumer.Settings
	// Fulfillment tunes the FULFILLMENT stream (FULFILLMENT_MAX_AGE,
	// default 720h).
	Fulfillment streams.Options
	// Timers tunes the HOLD_TIMERS stream: HOLD_TIMERS_MAX_AGE (default
	// HOLD_OVERDUE_AFTER plus 7 days; it must exceed HOLD_OVERDUE_AFTER,
	// or a timer would expire before it fires).
	Timers streams.Options
	// OverdueAfter is how long after its placement an open hold produces
	// hold_overdue (HOLD_OVERDUE_AFTER, default 24h, at least 1s).
	OverdueAfter time.Duration
}

// Load reads the Config from environment variables through lookup (nil:
// the process environment). The error names every bad variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := envconf.New(lookup)
	c := Config{
		Env:          process.LoadEnv(l),
		Settings:     consumer.LoadSettings(l, DefaultHealthAddr),
		Fulfillment:  streams.Options{MaxAge: l.Duration("FULFILLMENT_MAX_AGE", streams.DefaultCanonicalMaxAge)},
		OverdueAfter: l.Duration("HOLD_OVERDUE_AFTER", DefaultOverdueAfter),
	}
	c.Timers = streams.Options{MaxAge: l.Duration("HOLD_TIMERS_MAX_AGE", c.OverdueAfter+timersMargin)}
	if c.OverdueAfter < time.Second {
		l.Fail("HOLD_OVERDUE_AFTER", "want at least 1s (JetStream schedules have a resolution of a second), got %s", c.OverdueAfter)
	}
	if c.Timers.MaxAge <= c.OverdueAfter {
		l.Fail("HOLD_TIMERS_MAX_AGE", "must be longer than HOLD_OVERDUE_AFTER (%s), or timers expire before they fire; got %s", c.OverdueAfter, c.Timers.MaxAge)
	}
	if c.Timers.MaxAge <= DefaultHoldTimersDuplicateWindow {
		l.Fail("HOLD_TIMERS_MAX_AGE", "must be longer than the timers' duplicate window (%s)", DefaultHoldTimersDuplicateWindow)
	}
	return c, l.Err()
}

// String renders the configuration for the start-up log, secrets redacted.
func (c Config) String() string {
	return fmt.Sprintf("%s LOG_LEVEL=%s %s HOLD_OVERDUE_AFTER=%s HOLD_TIMERS_MAX_AGE=%s FULFILLMENT_MAX_AGE=%s",
		c.NATS, c.Log.Level, c.Settings, c.OverdueAfter, c.Timers.MaxAge, c.Fulfillment.MaxAge)
}
