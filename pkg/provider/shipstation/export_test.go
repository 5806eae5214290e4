package shipstation

import (
	"context"
	"time"
)

// WithSleep returns cfg with the function the client waits with replaced,
// so that rate-limit waits run on a fake clock.
func WithSleep(cfg ClientConfig, sleep func(ctx context.Context, d time.Duration) error) ClientConfig {
	cfg.sleep = sleep
	return cfg
}

// WithV2Sleep is WithSleep for a V2ClientConfig.
func WithV2Sleep(cfg V2ClientConfig, sleep func(ctx context.Context, d time.Duration) error) V2ClientConfig {
	cfg.sleep = sleep
	return cfg
}
