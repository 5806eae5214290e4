package shipstation

import (
	"slices"
	"time"
)

// budgetState is one API key pair's budget as every process sees it: the
// value of its key in the BudgetBucket, changed only by compare-and-set.
//
// It combines two rules, as keyLimiter does for one process:
//
//   - A sliding window: at most limit requests are granted in any span
//     (the rate window plus a margin for network jitter and clock skew).
//     Any of ShipStation's fixed windows, however aligned, then sees at
//     most limit of them.
//   - The server's word: a 429 or X-Rate-Limit-Remaining: 0 pauses every
//     process until the window resets (PausedUntil), and a lower
//     Remaining than the sliding window expects (someone else uses the
//     key, or the windows drifted) caps what is granted until the reset.
type budgetState struct {
	// Grants are the send times (Unix nanoseconds) of the requests granted
	// within the span, oldest first.
	Grants []int64 `json:"grants"`
	// PausedUntil holds every request back until then (Unix nanoseconds).
	PausedUntil int64 `json:"paused_until,omitempty"`
	// ServerRemaining is the X-Rate-Limit-Remaining of the freshest answer,
	// valid until ServerResetAt; it counted the requests granted up to
	// ServerAsOf (the grant of the request it answered), not necessarily
	// the later ones.
	ServerRemaining int   `json:"server_remaining,omitempty"`
	ServerResetAt   int64 `json:"server_reset_at,omitempty"`
	ServerAsOf      int64 `json:"server_as_of,omitempty"`
}

// budgetRule is what take checks a request against.
type budgetRule struct {
	limit int           // requests per span
	span  time.Duration // the rate window plus the margin
	keep  int           // requests of the window that must remain after this one (a background caller's reserve)
}

// take grants a request at now when the rule allows it, recording it, and
// returns how many requests remain in the window after it. Otherwise it
// changes nothing and returns how long until the rule may allow it (other
// callers may take that turn first).
func (s *budgetState) take(now time.Time, r budgetRule) (ok bool, wait time.Duration, left int) {
	n := now.UnixNano()
	s.prune(n, r.span)
	used := len(s.Grants)
	left = r.limit - used
	until := int64(0)
	if s.PausedUntil > n {
		until = s.PausedUntil
	}
	if allowed := r.limit - r.keep; used >= allowed {
		// The oldest used-allowed+1 grants must leave the span first.
		i := max(used-allowed, 0)
		if i >= used { // allowed <= 0: nothing may ever be taken
			return false, r.span, left
		}
		until = max(until, s.Grants[i]+int64(r.span))
	}
	if s.ServerResetAt > n {
		server := s.ServerRemaining
		for _, g := range s.Grants {
			if g > s.ServerAsOf {
				server-- // granted after the answer: maybe not counted in it
			}
		}
		left = min(left, server)
		if server <= r.keep {
			until = max(until, s.ServerResetAt)
		}
	}
	if until > n {
		return false, time.Duration(until - n), max(left, 0)
	}
	// Clocks of other processes may be a little ahead: keep the order.
	i, _ := slices.BinarySearch(s.Grants, n)
	s.Grants = slices.Insert(s.Grants, i, n)
	return true, 0, max(left-1, 0)
}

// prune drops the grants that left the span.
func (s *budgetState) prune(n int64, span time.Duration) {
	i := 0
	for i < len(s.Grants) && s.Grants[i] <= n-int64(span) {
		i++
	}
	s.Grants = s.Grants[i:]
	if s.ServerResetAt != 0 && s.ServerResetAt <= n {
		s.ServerRemaining, s.ServerResetAt, s.ServerAsOf = 0, 0, 0
	}
	if s.PausedUntil != 0 && s.PausedUntil <= n {
		s.PausedUntil = 0
	}
}

// serverSaid is what an answer's rate-limit headers say.
type serverSaid struct {
	granted   time.Time     // when the request was granted
	at        time.Time     // when the answer came
	known     bool          // X-Rate-Limit-Remaining and -Reset were there
	remaining int           // X-Rate-Limit-Remaining
	reset     time.Duration // X-Rate-Limit-Reset, or a 429's wait
	limited   bool          // a 429
}

// report records an answer. It returns whether the state changed (and
// needs writing).
func (s *budgetState) report(a serverSaid) bool {
	n := a.at.UnixNano()
	changed := false
	if a.limited || (a.known && a.remaining <= 0) {
		if end := a.at.Add(max(a.reset, time.Second)).UnixNano(); end > s.PausedUntil {
			s.PausedUntil, changed = end, true
		}
	}
	if !a.known || a.limited {
		return changed
	}
	asOf, resetAt := a.granted.UnixNano(), a.at.Add(a.reset).UnixNano()
	if s.ServerResetAt <= n || asOf >= s.ServerAsOf {
		if s.ServerRemaining != a.remaining || s.ServerResetAt != resetAt || s.ServerAsOf != asOf {
			s.ServerRemaining, s.ServerResetAt, s.ServerAsOf = a.remaining, resetAt, asOf
			changed = true
		}
	}
	return changed
}
