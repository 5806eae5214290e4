package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Lister is the part of a KV bucket Sweep needs besides a Store's.
type Lister interface {
	ListKeys(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyLister, error)
}

// Sweep publishes every event left pending in the bucket (by a process that
// died between writing a state and publishing its event) and returns how
// many it found. Services run it once at start-up, so that a pending event
// whose key is never touched again still reaches its stream; a key touched
// meanwhile is repaired by Apply anyway. It reads every key, so its cost
// grows with the bucket.
func (s *Store) Sweep(ctx context.Context, keys Lister) (int, error) {
	lister, err := keys.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("state: sweep: %w", err)
	}
	defer func() { _ = lister.Stop() }()
	found := 0
	var errs []error
	for key := range lister.Keys() {
		rec, _, err := s.read(ctx, key)
		if err != nil || rec.Pending == nil {
			errs = append(errs, err)
			continue
		}
		found++
		// Apply publishes what is pending before it decides; deciding
		// nothing leaves the state as it is.
		_, err = s.Apply(ctx, nil, key, func(json.RawMessage) (*Change, error) { return nil, nil })
		errs = append(errs, err)
	}
	return found, errors.Join(errs...)
}
