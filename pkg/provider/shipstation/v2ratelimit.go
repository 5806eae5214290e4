package shipstation

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// v2Default429Wait is how long to wait out a V2 429 without a usable
	// Retry-After.
	v2Default429Wait = 10 * time.Second
	// v2MaxServerWait bounds a Retry-After, so that a broken header cannot
	// park the key for days.
	v2MaxServerWait = time.Hour
	// v2MaxBurst is the most requests the V2 limiter sends back to back.
	v2MaxBurst = 10
)

// v2Limiter keeps the V2 API key within its budget with the generic cell
// rate algorithm (a token bucket kept as one "theoretical arrival time"):
// requests are spaced by interval, with up to burst of them at once. The
// interval is chosen so that burst plus the spaced requests never exceed
// the budget within a minute. A 429 pauses every request until its
// Retry-After has passed (notBefore), which also covers other processes
// spending the same key.
type v2Limiter struct {
	mu        sync.Mutex
	interval  time.Duration
	tolerance time.Duration // interval × (burst-1)
	tat       time.Time     // theoretical arrival time of the next request
	notBefore time.Time
}

func newV2Limiter(perMinute int) *v2Limiter {
	burst := min(v2MaxBurst, max(1, perMinute/20))
	// After a burst of b the spaced requests may fill only the rest of
	// the minute: perMinute - b of them (one burst request is the first
	// of the spaced ones when b is 1).
	spaced := perMinute - burst
	if burst == 1 {
		spaced = perMinute
	}
	interval := time.Minute / time.Duration(max(1, spaced))
	return &v2Limiter{interval: interval, tolerance: interval * time.Duration(burst-1)}
}

// reserve returns how long after now the next request may be sent; when
// that is at most maxWait it books the request and returns true, otherwise
// it books nothing and returns false.
func (l *v2Limiter) reserve(now time.Time, maxWait time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	at := tat.Add(-l.tolerance)
	if at.Before(now) {
		at = now
	}
	if l.notBefore.After(at) {
		at = l.notBefore
	}
	wait := at.Sub(now)
	if wait > maxWait {
		return wait, false
	}
	if at.After(tat) {
		tat = at
	}
	l.tat = tat.Add(l.interval)
	return wait, true
}

// pause holds every request back until t.
func (l *v2Limiter) pause(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.notBefore) {
		l.notBefore = t
	}
}

// retryAfter reads a Retry-After header: seconds (a fraction is allowed) or
// an HTTP date, relative to now; def when absent or unreadable; never more
// than v2MaxServerWait nor less than zero.
func retryAfter(h http.Header, now time.Time, def time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return def
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs == secs { // not NaN
		if secs >= v2MaxServerWait.Seconds() {
			return v2MaxServerWait
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return def
	}
	return min(max(d, 0), v2MaxServerWait)
}
