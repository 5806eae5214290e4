package shipstation

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
)

// initBudget gives each key its budget: the shared one in the bucket when
// cfg has JetStream (a key pair used twice shares it), with a local
// limiter as its fallback; the local limiter alone otherwise. A
// background client leaves the reserve in both.
func (c *Client) initBudget(cfg ClientConfig) {
	c.rule = budgetRule{limit: cfg.RateLimit, span: cfg.RateWindow + cfg.RateMargin}
	c.caller = "webhook"
	local := cfg.RateLimit
	if cfg.JetStream != nil {
		local = cfg.FallbackRateLimit
	}
	if cfg.Background {
		c.caller = "background"
		c.rule.keep = (cfg.RateLimit*cfg.BackgroundReservePercent + 99) / 100
		local = max(local*(100-cfg.BackgroundReservePercent)/100, 1)
	}
	var bucket *budgetBucket
	if cfg.JetStream != nil {
		bucket = &budgetBucket{js: cfg.JetStream, replicas: cfg.BudgetReplicas}
	}
	for _, k := range []struct {
		name  string
		creds Credentials
	}{{"primary", cfg.Primary}, {"secondary", cfg.Secondary}} {
		if !k.creds.set() {
			continue
		}
		if cfg.Account != "" {
			k.name = cfg.Account + "/" + k.name
		}
		key := apiKey{name: k.name, creds: k.creds}
		if len(c.keys) == 1 && c.keys[0].creds.Key == k.creds.Key {
			// The same key shares its budget.
			key.limit, key.shared = c.keys[0].limit, c.keys[0].shared
		} else {
			key.limit = newKeyLimiter(local, cfg.RateWindow)
			if bucket != nil {
				key.shared = &sharedKey{bucket: bucket, key: budgetKey(k.creds), name: k.name, log: c.log,
					onFail: func(down bool) { c.metrics.fallback(k.name, down) }}
			}
		}
		c.keys = append(c.keys, key)
	}
}

// wait blocks until key may send and returns when the request was granted,
// or returns a *RetryAfterError when that is further off than
// MaxInProcessWait or the context's deadline.
func (c *Client) wait(ctx context.Context, key apiKey) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	maxWait := c.maxWait
	if deadline, ok := ctx.Deadline(); ok {
		maxWait = min(maxWait, time.Until(deadline))
	}
	start := c.now()
	for {
		now := c.now()
		waited := now.Sub(start)
		d, booked, ok := c.turn(ctx, key, now, maxWait-waited)
		if !ok {
			c.metrics.budgetWait(c.caller, "deferred", waited)
			return time.Time{}, &RetryAfterError{Delay: d, Err: provider.Errorf(provider.ErrUnavailable,
				"ShipStation rate limit: the %s API key may send again in %s", key.name, d.Round(time.Millisecond))}
		}
		if d <= 0 {
			if waited > 0 {
				c.metrics.budgetWait(c.caller, "waited", waited)
			}
			return now, nil
		}
		if !booked {
			// Every process that waited for this moment asks the
			// bucket at once otherwise.
			d += rand.N(min(d/8, 100*time.Millisecond) + 1)
		}
		if err := c.sleep(ctx, d); err != nil {
			return time.Time{}, fmt.Errorf("%w: waiting for the rate limit: %w", provider.ErrUnavailable, err)
		}
		if booked {
			c.metrics.budgetWait(c.caller, "waited", c.now().Sub(start))
			return c.now(), nil
		}
	}
}

// turn asks key's budget for a request at now. It returns the wait before
// the request may go, and whether the slot is then the caller's (booked,
// the local limiter) or must be asked for again (the shared budget); ok is
// false when the wait is longer than maxWait.
func (c *Client) turn(ctx context.Context, key apiKey, now time.Time, maxWait time.Duration) (wait time.Duration, booked, ok bool) {
	if key.shared != nil {
		granted, wait, left, err := key.shared.take(ctx, now, c.rule)
		switch {
		case err == nil && granted:
			c.metrics.sharedLeft(key.name, left)
			return 0, false, true
		case err == nil:
			return wait, false, wait <= maxWait
		}
		// The bucket is unavailable: the local fallback decides.
	}
	wait, ok = key.limit.reserve(now, maxWait)
	return wait, true, ok
}

// heard records what an answer said about the budget: in the local
// limiter always (the fallback must honour it too), and for every process
// in the shared budget.
func (c *Client) heard(ctx context.Context, key apiKey, a serverSaid) {
	if a.limited || (a.known && a.remaining <= 0) {
		key.limit.pause(a.at.Add(max(a.reset, time.Second)))
	}
	if key.shared != nil {
		key.shared.report(context.WithoutCancel(ctx), a)
	}
}
