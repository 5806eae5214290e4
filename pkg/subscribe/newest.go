package subscribe

import (
	"context"
	"sync"
)

// NewestOnly returns a Handler that calls h only for an event newer than
// every event h has already handled for the same entity: one whose
// EntityVersion is above the last version for which h returned nil. Other
// deliveries (a redelivery, or an older version overtaken by a newer one)
// are acked without calling h. Calls for one entity are serialised; calls
// for different entities run concurrently.
//
// Skipping an older version loses nothing: every canonical event carries
// its entity's whole record. The versions are kept in memory, one small
// entry per entity seen, and are gone after a restart; a subscriber that
// must never act twice across restarts stores the version it applied next
// to what it applied (same comparison, e.g. a column beside the row).
func NewestOnly(h Handler) Handler {
	n := &newest{entities: map[string]*entityVersion{}}
	return func(ctx context.Context, e Event) error {
		v := n.entity(e.EntityID)
		v.mu.Lock()
		defer v.mu.Unlock()
		if e.EntityVersion <= v.last {
			return nil
		}
		if err := h(ctx, e); err != nil {
			return err
		}
		v.last = e.EntityVersion
		return nil
	}
}

// newest holds the last version handled per entity.
type newest struct {
	mu       sync.Mutex
	entities map[string]*entityVersion
}

type entityVersion struct {
	mu   sync.Mutex // held while the entity's handler runs
	last uint64
}

func (n *newest) entity(id string) *entityVersion {
	n.mu.Lock()
	defer n.mu.Unlock()
	v, ok := n.entities[id]
	if !ok {
		v = &entityVersion{}
		n.entities[id] = v
	}
	return v
}
