package shipstation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// BudgetBucket is the JetStream KV bucket that holds every API key pair's
// shared budget, under a hash of the pair (never the key itself). The
// client creates it when it is missing.
const BudgetBucket = "shipstation_budget"

const (
	// budgetOpTimeout bounds one bucket read or write; a slower bucket
	// counts as unavailable.
	budgetOpTimeout = 2 * time.Second
	// budgetRetry is how long a client stays on its local fallback after
	// the bucket failed, before it tries the bucket again.
	budgetRetry = 5 * time.Second
	// maxCASAttempts bounds one take or report against a bucket that keeps
	// changing under it; beyond it the bucket counts as unavailable.
	maxCASAttempts = 50
)

// errBudgetUnavailable says the shared budget could not be used; the
// caller falls back to its local limiter.
var errBudgetUnavailable = errors.New("shared ShipStation budget unavailable")

// budgetBucket opens (creating when missing) the BudgetBucket once, for
// every key of a client.
type budgetBucket struct {
	js       jetstream.JetStream
	replicas int

	mu sync.Mutex
	kv jetstream.KeyValue
}

func (b *budgetBucket) open(ctx context.Context) (jetstream.KeyValue, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.kv != nil {
		return b.kv, nil
	}
	ctx, cancel := context.WithTimeout(ctx, budgetOpTimeout)
	defer cancel()
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      BudgetBucket,
		Description: "ShipStation API budgets shared by every process, by hash of the key pair",
		History:     1,
		Replicas:    b.replicas,
	})
	if err != nil {
		return nil, err
	}
	b.kv = kv
	return kv, nil
}

// budgetKey is the bucket key of a key pair: a hash of both, so that the
// bucket never holds a credential and a rotated secret starts afresh.
func budgetKey(c Credentials) string {
	h := sha256.New()
	h.Write([]byte("hookstream shipstation budget\x00"))
	h.Write([]byte(c.Key))
	h.Write([]byte{0})
	h.Write([]byte(c.Secret))
	return "k" + hex.EncodeToString(h.Sum(nil)[:16])
}

// sharedKey is one key pair's budget in the bucket, as one process uses
// it. Its goroutines take turns at the bucket (mu), and remember how long
// nothing can be granted (notBefore) so that waiters do not poll it.
type sharedKey struct {
	bucket *budgetBucket
	key    string
	name   string // "primary" or "secondary"
	log    *zap.Logger
	onFail func(down bool) // reports entering (true) and leaving the fallback

	mu        sync.Mutex
	notBefore time.Time // nothing can be granted before (as of the last look)
	downUntil time.Time // the bucket failed: use the fallback until then
	down      bool
}

// take grants one request at now under r. It returns ok, or the wait
// before trying again, and the requests left in the window; or
// errBudgetUnavailable when the bucket cannot be used (now or recently).
func (k *sharedKey) take(ctx context.Context, now time.Time, r budgetRule) (ok bool, wait time.Duration, left int, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down && now.Before(k.downUntil) {
		return false, 0, 0, errBudgetUnavailable
	}
	if now.Before(k.notBefore) {
		return false, k.notBefore.Sub(now), 0, nil
	}
	err = k.update(ctx, func(s *budgetState) bool {
		ok, wait, left = s.take(now, r)
		return ok
	})
	if err != nil {
		k.fail(now, err)
		return false, 0, 0, errBudgetUnavailable
	}
	k.recovered()
	if !ok {
		k.notBefore = now.Add(wait)
	}
	return ok, wait, left, nil
}

// report records an answer's rate-limit headers for every process. A
// failure only logs: the local limiter has the pause too.
func (k *sharedKey) report(ctx context.Context, a serverSaid) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down && a.at.Before(k.downUntil) {
		return
	}
	if err := k.update(ctx, func(s *budgetState) bool { return s.report(a) }); err != nil {
		k.fail(a.at, err)
		return
	}
	k.recovered()
	if a.limited || (a.known && a.remaining <= 0) {
		k.notBefore = time.Time{} // look again: the pause is in the bucket
	}
}

// update applies change to the key's state with compare-and-set, retrying
// when another process wrote first; change reports whether it changed
// anything (nothing is written otherwise).
func (k *sharedKey) update(ctx context.Context, change func(*budgetState) bool) error {
	kv, err := k.bucket.open(ctx)
	if err != nil {
		return fmt.Errorf("open bucket %s: %w", BudgetBucket, err)
	}
	for range maxCASAttempts {
		if err := ctx.Err(); err != nil {
			return err
		}
		var s budgetState
		var rev uint64
		octx, cancel := context.WithTimeout(ctx, budgetOpTimeout)
		entry, err := kv.Get(octx, k.key)
		cancel()
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("get: %w", err)
		default:
			rev = entry.Revision()
			if err := json.Unmarshal(entry.Value(), &s); err != nil {
				// A value no process could have written: start afresh
				// rather than stay stuck on it.
				k.log.Warn("unreadable ShipStation budget state; starting afresh", zap.String("key", k.name), zap.Error(err))
				s = budgetState{}
			}
		}
		if !change(&s) {
			return nil
		}
		data, err := json.Marshal(&s)
		if err != nil {
			return err
		}
		octx, cancel = context.WithTimeout(ctx, budgetOpTimeout)
		if rev == 0 {
			_, err = kv.Create(octx, k.key, data)
		} else {
			_, err = kv.Update(octx, k.key, data, rev)
		}
		cancel()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			continue // another process wrote first: decide again
		default:
			return fmt.Errorf("write: %w", err)
		}
	}
	return fmt.Errorf("still contended after %d attempts", maxCASAttempts)
}

func (k *sharedKey) fail(now time.Time, err error) {
	k.downUntil = now.Add(budgetRetry)
	k.notBefore = time.Time{}
	if !k.down {
		k.down = true
		k.log.Warn("the shared ShipStation budget is unavailable; keeping to the local fallback limit",
			zap.String("bucket", BudgetBucket), zap.String("key", k.name), zap.Error(err))
		k.onFail(true)
	}
}

func (k *sharedKey) recovered() {
	if k.down {
		k.down = false
		k.log.Info("the shared ShipStation budget is available again", zap.String("key", k.name))
		k.onFail(false)
	}
}
