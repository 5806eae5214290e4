package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketCheckpoints is the reconciler's KV bucket: a checkpoint per
// provider and kind (key <provider>.<kind>) and the lease (key lease).
const BucketCheckpoints = "reconcile_checkpoints"

// leaseKey is the lease's key in BucketCheckpoints.
const leaseKey = "lease"

// Checkpoint is what the bucket holds per provider and kind: the end of the
// last window whose resources were all published. The next window starts
// RECONCILE_OVERLAP before it.
type Checkpoint struct {
	// End is the end of the last complete window, UTC.
	End time.Time `json:"end"`
	// Found is how many resources that window published.
	Found int `json:"found"`
}

// loadCheckpoint reads the checkpoint under key; ok is false when there is
// none.
func loadCheckpoint(ctx context.Context, kv jetstream.KeyValue, key string) (cp Checkpoint, ok bool, err error) {
	entry, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("read checkpoint %s: %w", key, err)
	}
	if err := json.Unmarshal(entry.Value(), &cp); err != nil {
		return Checkpoint{}, false, fmt.Errorf("checkpoint %s is not readable: %w", key, err)
	}
	return cp, true, nil
}

// saveCheckpoint stores cp under key.
func saveCheckpoint(ctx context.Context, kv jetstream.KeyValue, key string, cp Checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, key, b); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", key, err)
	}
	return nil
}

// lease is the value under leaseKey: which replica works, and until when.
type lease struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// acquireLease makes holder the lease's holder until now+ttl when the lease
// is free, lapsed or already holder's, and reports whether it is. Every
// write is a compare-and-set on the revision read, so two replicas racing
// for a lapsed lease cannot both win.
func acquireLease(ctx context.Context, kv jetstream.KeyValue, holder string, now time.Time, ttl time.Duration) (bool, error) {
	next, err := json.Marshal(lease{Holder: holder, Until: now.Add(ttl).UTC()})
	if err != nil {
		return false, err
	}
	entry, err := kv.Get(ctx, leaseKey)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		_, err = kv.Create(ctx, leaseKey, next)
		return casResult(err)
	case err != nil:
		return false, fmt.Errorf("read lease: %w", err)
	}
	var cur lease
	if json.Unmarshal(entry.Value(), &cur) == nil && cur.Holder != holder && now.Before(cur.Until) {
		return false, nil // another replica works
	}
	_, err = kv.Update(ctx, leaseKey, next, entry.Revision())
	return casResult(err)
}

// casResult turns a lost compare-and-set into "not acquired".
func casResult(err error) (bool, error) {
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyExists), errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence:
		return false, nil
	}
	return false, fmt.Errorf("write lease: %w", err)
}
