package shipstation

import (
	"net/http"
	"testing"
	"time"
)

// The V2 limiter sends a short burst at once and then spaces requests so
// that no minute holds more than the budget; a pause holds everything back.
func TestV2LimiterKeepsTheBudget(t *testing.T) {
	for _, perMinute := range []int{1, 20, 200} {
		l := newV2Limiter(perMinute)
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		now := start
		var sent []time.Time
		for range 3 * perMinute {
			d, ok := l.reserve(now, time.Hour)
			if !ok {
				t.Fatalf("%d/min: a wait of %s refused under an hour's limit", perMinute, d)
			}
			now = now.Add(d)
			sent = append(sent, now)
		}
		for i := range sent {
			in := 0
			for j := i; j < len(sent) && sent[j].Sub(sent[i]) < time.Minute; j++ {
				in++
			}
			if in > perMinute {
				t.Fatalf("%d/min: %d requests in the minute from %s", perMinute, in, sent[i].Sub(start))
			}
		}
		if burst := min(v2MaxBurst, max(1, perMinute/20)); !sent[burst-1].Equal(start) {
			t.Errorf("%d/min: request %d waited %s; the first %d go at once", perMinute, burst, sent[burst-1].Sub(start), burst)
		}
		l.pause(now.Add(30 * time.Second))
		if d, ok := l.reserve(now, time.Second); ok || d < 30*time.Second {
			t.Errorf("%d/min: after a 30s pause, reserve gave %s, %v", perMinute, d, ok)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for value, want := range map[string]time.Duration{
		"":                              7 * time.Second, // the default
		"3":                             3 * time.Second,
		"1.5":                           1500 * time.Millisecond,
		"-4":                            0,
		"999999":                        v2MaxServerWait,
		"NaN":                           7 * time.Second,
		"soon":                          7 * time.Second,
		"Wed, 01 Jan 2025 12:00:42 GMT": 42 * time.Second,
		"Wed, 01 Jan 2025 11:00:00 GMT": 0,
	} {
		h := http.Header{}
		if value != "" {
			h.Set("Retry-After", value)
		}
		if got := retryAfter(h, now, 7*time.Second); got != want {
			t.Errorf("Retry-After %q: %s, want %s", value, got, want)
		}
	}
}
