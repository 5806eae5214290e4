package shipstation

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rate-limit headers ShipStation sends with every V1 answer.
const (
	HeaderRateLimit     = "X-Rate-Limit-Limit"
	HeaderRateRemaining = "X-Rate-Limit-Remaining"
	// HeaderRateReset is the number of seconds until the window resets.
	HeaderRateReset = "X-Rate-Limit-Reset"
)

const (
	// rateWindow is ShipStation's budget window: 40 requests a minute.
	rateWindow = time.Minute
	// default429Wait is how long to wait out a 429 that does not say.
	default429Wait = time.Minute
	// maxServerWait bounds a wait a server asks for, so that a broken or
	// hostile header cannot park a key for days.
	maxServerWait = time.Hour
)

// keyLimiter keeps one API key within its budget. Two rules combine:
//
//   - Client side, a sliding window: at most len(sent) requests are sent in
//     any window. Unlike a token bucket with a full burst, this never
//     exceeds the budget in any minute, so it cannot collide with
//     ShipStation's fixed windows however they are aligned, and a short
//     batch is still fetched without delay.
//   - Server side, notBefore: when ShipStation says the budget is spent
//     (X-Rate-Limit-Remaining: 0, or a 429), nothing is sent before the
//     window resets. This covers other processes using the same key.
//
// Slots are booked when a request is scheduled, not when it is sent, so
// concurrent callers queue up in order.
type keyLimiter struct {
	mu        sync.Mutex
	sent      []time.Time // booked send times, a ring; sent[next] is the oldest once full
	next      int
	full      bool
	last      time.Time // the latest booking, to keep the ring in order
	notBefore time.Time
	window    time.Duration
}

// newKeyLimiter returns a limiter of perWindow requests in any window.
func newKeyLimiter(perWindow int, window time.Duration) *keyLimiter {
	return &keyLimiter{sent: make([]time.Time, max(perWindow, 1)), window: window}
}

// reserve returns how long after now the next request may be sent. When
// that is at most maxWait it books the slot and returns true; otherwise it
// books nothing and returns false, and the caller should come back after
// the returned delay.
func (l *keyLimiter) reserve(now time.Time, maxWait time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := now
	if l.notBefore.After(at) {
		at = l.notBefore
	}
	if l.full {
		if free := l.sent[l.next].Add(l.window); free.After(at) {
			at = free
		}
	}
	if l.last.After(at) {
		at = l.last
	}
	wait := at.Sub(now)
	if wait > maxWait {
		return wait, false
	}
	l.sent[l.next] = at
	l.next++
	if l.next == len(l.sent) {
		l.next, l.full = 0, true
	}
	l.last = at
	return wait, true
}

// pause holds every request back until t.
func (l *keyLimiter) pause(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.notBefore) {
		l.notBefore = t
	}
}

// spentFor reads the rate-limit headers of an answer that was not a 429:
// when X-Rate-Limit-Remaining is 0 it returns how long until the window
// resets (X-Rate-Limit-Reset, at least one second, a minute when missing)
// and true.
func spentFor(h http.Header) (time.Duration, bool) {
	remaining, err := strconv.Atoi(h.Get(HeaderRateRemaining))
	if err != nil || remaining > 0 {
		return 0, false
	}
	return max(resetDelay(h, rateWindow), time.Second), true
}

// resetDelay is the wait an answer asks for: X-Rate-Limit-Reset seconds,
// else Retry-After seconds, else def; never more than maxServerWait.
func resetDelay(h http.Header, def time.Duration) time.Duration {
	for _, name := range []string{HeaderRateReset, "Retry-After"} {
		v := h.Get(name)
		if v == "" {
			continue
		}
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs != secs { // unparsable or NaN
			continue
		}
		switch {
		case secs <= 0:
			return 0
		case secs >= maxServerWait.Seconds():
			return maxServerWait
		default:
			return time.Duration(secs * float64(time.Second))
		}
	}
	return def
}

// readRateHeaders reads the rate-limit headers of an answer that was not a
// 429, for the request granted at granted and answered at at. Remaining
// counts only with a reset time (known); a spent budget always does
// (spentFor's default reset).
func readRateHeaders(h http.Header, granted, at time.Time) serverSaid {
	a := serverSaid{granted: granted, at: at}
	if d, spent := spentFor(h); spent {
		a.known, a.reset = true, d
		return a
	}
	remaining, err := strconv.Atoi(h.Get(HeaderRateRemaining))
	if err != nil || h.Get(HeaderRateReset) == "" {
		return a
	}
	a.known, a.remaining, a.reset = true, remaining, resetDelay(h, rateWindow)
	return a
}
