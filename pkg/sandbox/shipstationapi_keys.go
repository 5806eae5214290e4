package sandbox

import (
	"crypto/subtle"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// authenticLocked returns the state of the key r's Basic credentials name,
// or nil when they are missing, unknown, wrong or revoked.
func (s *ShipStationAPI) authenticLocked(r *http.Request) *ssKeyState {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil
	}
	k, known := s.keys[user]
	if !known || k.revoked || subtle.ConstantTimeCompare([]byte(pass), []byte(k.secret)) != 1 {
		return nil
	}
	return k
}

// rateHeadersLocked writes key's X-Rate-Limit-* headers; none when the
// sandbox is unlimited.
func (s *ShipStationAPI) rateHeadersLocked(h http.Header, key *ssKeyState, now time.Time) {
	if s.limit <= 0 {
		return
	}
	remaining, reset := s.limit, s.window
	if !key.start.IsZero() && now.Before(key.start.Add(s.window)) {
		remaining = max(s.limit-key.used, 0)
		reset = key.start.Add(s.window).Sub(now)
	}
	h.Set(shipstation.HeaderRateLimit, strconv.Itoa(s.limit))
	h.Set(shipstation.HeaderRateRemaining, strconv.Itoa(remaining))
	h.Set(shipstation.HeaderRateReset, strconv.Itoa(ceilSeconds(reset)))
}

// ceilSeconds rounds up, so that a client waiting that long finds the
// window reset.
func ceilSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}
