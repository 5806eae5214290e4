package runner

import (
	"github.com/hookstream/hookstream/pkg/envconf"
)

// LoadConfig reads the consumer settings every consumer service
// shares: CONSUMER_CONCURRENCY, CONSUMER_MAX_DELIVER, CONSUMER_ACK_WAIT,
// CONSUMER_MAX_ACK_PENDING and CONSUMER_HANDLER_TIMEOUT. Unset variables
// leave the runner's defaults. The caller fills in Stream, Durable and
// FilterSubjects.
func LoadConfig(l *envconf.Loader) Config {
	return Config{
		Concurrency:    int(l.Int("CONSUMER_CONCURRENCY", 0, 1)),
		MaxDeliver:     int(l.Int("CONSUMER_MAX_DELIVER", 0, 2)),
		AckWait:        l.Duration("CONSUMER_ACK_WAIT", 0),
		MaxAckPending:  int(l.Int("CONSUMER_MAX_ACK_PENDING", 0, 1)),
		HandlerTimeout: l.Duration("CONSUMER_HANDLER_TIMEOUT", 0),
	}
}
