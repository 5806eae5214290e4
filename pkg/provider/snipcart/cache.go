package snipcart

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// tokenCache remembers which body each validated token was validated for,
// and which tokens are being validated right now.
//
// Why: Snipcart tokens are single-use. When the gateway has validated a
// token but cannot store the message, it answers 503 and Snipcart (or an
// operator) resends the same request with the same token, which Snipcart
// would now refuse. Remembering token → SHA-256(body) accepts that resend,
// and only that resend: the same token with another body is refused.
//
// Entries are kept in insertion order; since every entry lives for the same
// TTL, the oldest is also the first to expire, so eviction by age and by
// size both take from the front.
type tokenCache struct {
	size int
	ttl  time.Duration
	now  func() time.Time

	mu       sync.Mutex
	entries  map[string]*list.Element // of *tokenEntry
	order    *list.List               // oldest first
	inflight map[string]chan struct{} // closed when the validation ends
}

type tokenEntry struct {
	token   string
	sum     [sha256.Size]byte
	expires time.Time
}

// tokenClaim is the outcome of tokenCache.claim: exactly one of cached
// (with sum), wait (not nil), or neither, meaning the caller now owns the
// validation of the token and must call release.
type tokenClaim struct {
	cached bool
	sum    [sha256.Size]byte
	wait   <-chan struct{}
}

func newTokenCache(size int, ttl time.Duration, now func() time.Time) *tokenCache {
	return &tokenCache{
		size:     size,
		ttl:      ttl,
		now:      now,
		entries:  make(map[string]*list.Element),
		order:    list.New(),
		inflight: make(map[string]chan struct{}),
	}
}

// claim looks token up. See tokenClaim.
func (c *tokenCache) claim(token string) tokenClaim {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[token]; ok {
		e := el.Value.(*tokenEntry)
		if now.Before(e.expires) {
			return tokenClaim{cached: true, sum: e.sum}
		}
		c.order.Remove(el)
		delete(c.entries, token)
	}
	if ch, ok := c.inflight[token]; ok {
		return tokenClaim{wait: ch}
	}
	c.inflight[token] = make(chan struct{})
	return tokenClaim{}
}

// release ends the validation the caller claimed, remembering token with
// the body's sum when it was genuine, and wakes any waiters.
func (c *tokenCache) release(token string, sum [sha256.Size]byte, genuine bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.inflight[token]; ok {
		close(ch)
		delete(c.inflight, token)
	}
	if !genuine {
		return
	}
	if el, ok := c.entries[token]; ok { // only after an expiry raced with claim
		c.order.Remove(el)
		delete(c.entries, token)
	}
	for front := c.order.Front(); front != nil; front = c.order.Front() {
		e := front.Value.(*tokenEntry)
		if now.Before(e.expires) && c.order.Len() < c.size {
			break
		}
		c.order.Remove(front)
		delete(c.entries, e.token)
	}
	c.entries[token] = c.order.PushBack(&tokenEntry{token: token, sum: sum, expires: now.Add(c.ttl)})
}

// len returns the number of remembered tokens, expired ones included until
// they are evicted.
func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// known reports whether token is remembered and not expired, claiming
// nothing.
func (c *tokenCache) known(token string) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[token]
	return ok && now.Before(el.Value.(*tokenEntry).expires)
}
