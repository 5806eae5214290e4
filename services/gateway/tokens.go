package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/provider/snipcart"
)

// BucketSnipcartTokens is the KV bucket where every gateway replica
// remembers the Snipcart request tokens it validated, for an hour (a
// token's life): key the token (a named account's "<account>.<token>"),
// value the hex SHA-256 of the body it was validated for.
const BucketSnipcartTokens = "snipcart_tokens"

// tokenCallTimeout bounds one read or write of the token bucket, so that a
// JetStream that does not answer costs a request its 503 quickly.
const tokenCallTimeout = 2 * time.Second

// snipcartTokensBucket is the definition of BucketSnipcartTokens: file
// storage, the latest value only, entries expiring after the token's life.
func snipcartTokensBucket(replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      BucketSnipcartTokens,
		Description: "Snipcart request tokens validated by a gateway replica, with the SHA-256 of their body (see snipcart.SharedTokens)",
		History:     1,
		TTL:         snipcart.DefaultTokenTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	}
}

// kvTokens is snipcart.SharedTokens in BucketSnipcartTokens. The bucket is
// opened on first use (EnsureStreams creates it).
type kvTokens struct {
	js  jetstream.JetStream
	log *zap.Logger

	mu       sync.Mutex
	kv       jetstream.KeyValue
	failures prometheus.Counter // set once the gateway's metrics exist
}

// reportError logs and counts an error of the shared memory
// (snipcart.Config.OnSharedError).
func (t *kvTokens) reportError(err error) {
	t.log.Warn("shared memory of validated Snipcart tokens failed", zap.Error(err))
	t.mu.Lock()
	failures := t.failures
	t.mu.Unlock()
	if failures != nil {
		failures.Inc()
	}
}

var _ snipcart.SharedTokens = (*kvTokens)(nil)

func (t *kvTokens) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.kv != nil {
		return t.kv, nil
	}
	kv, err := t.js.KeyValue(ctx, BucketSnipcartTokens)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", BucketSnipcartTokens, err)
	}
	t.kv = kv
	return kv, nil
}

// Lookup implements snipcart.SharedTokens.
func (t *kvTokens) Lookup(ctx context.Context, token string) (sum [sha256.Size]byte, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, tokenCallTimeout)
	defer cancel()
	kv, err := t.bucket(ctx)
	if err != nil {
		return sum, false, err
	}
	entry, err := kv.Get(ctx, token)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return sum, false, nil
	}
	if err != nil {
		return sum, false, fmt.Errorf("read a validated token: %w", err)
	}
	if n, err := hex.Decode(sum[:], entry.Value()); err != nil || n != sha256.Size {
		return sum, false, fmt.Errorf("validated token's value is not a SHA-256")
	}
	return sum, true, nil
}

// Remember implements snipcart.SharedTokens. A token already there (the
// same request, validated by two replicas at once) is left as it is.
func (t *kvTokens) Remember(ctx context.Context, token string, sum [sha256.Size]byte) error {
	ctx, cancel := context.WithTimeout(ctx, tokenCallTimeout)
	defer cancel()
	kv, err := t.bucket(ctx)
	if err != nil {
		return err
	}
	if _, err := kv.Create(ctx, token, []byte(hex.EncodeToString(sum[:]))); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("remember a validated token: %w", err)
	}
	return nil
}

// forAccount is the shared memory of a named account's validated tokens:
// the same bucket, its keys "<account>.<token>" (a token has no dot), so
// that a token one account validated is unknown to every other.
func (t *kvTokens) forAccount(account string) snipcart.SharedTokens {
	return accountTokens{kv: t, prefix: account + "."}
}

// accountTokens is one named account's part of kvTokens.
type accountTokens struct {
	kv     *kvTokens
	prefix string
}

// Lookup implements snipcart.SharedTokens.
func (t accountTokens) Lookup(ctx context.Context, token string) ([sha256.Size]byte, bool, error) {
	return t.kv.Lookup(ctx, t.prefix+token)
}

// Remember implements snipcart.SharedTokens.
func (t accountTokens) Remember(ctx context.Context, token string, sum [sha256.Size]byte) error {
	return t.kv.Remember(ctx, t.prefix+token, sum)
}
