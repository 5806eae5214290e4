package shipstation

import (
	"net/http"
	"testing"
	"time"
)

func TestKeyLimiterSlidingWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	type step struct {
		at       time.Duration // after t0
		pause    time.Duration // when set: pause until t0+pause instead of reserving
		maxWait  time.Duration
		wantWait time.Duration
		wantOK   bool
	}
	tests := []struct {
		name      string
		perMinute int
		steps     []step
	}{
		{
			name: "three a minute", perMinute: 3,
			steps: []step{
				{at: 0, maxWait: time.Hour, wantOK: true},
				{at: time.Second, maxWait: time.Hour, wantOK: true},
				{at: 2 * time.Second, maxWait: time.Hour, wantOK: true},
				// The fourth waits for the first to leave the window.
				{at: 3 * time.Second, maxWait: time.Hour, wantWait: 57 * time.Second, wantOK: true},
				// The fifth for the second, after the fourth in line.
				{at: 3 * time.Second, maxWait: time.Hour, wantWait: 58 * time.Second, wantOK: true},
			},
		},
		{
			name: "a refused wait books nothing", perMinute: 1,
			steps: []step{
				{at: 0, maxWait: 0, wantOK: true},
				{at: 0, maxWait: 10 * time.Second, wantWait: time.Minute},
				{at: 0, maxWait: 10 * time.Second, wantWait: time.Minute},
				{at: 50 * time.Second, maxWait: 10 * time.Second, wantWait: 10 * time.Second, wantOK: true},
				{at: 60 * time.Second, maxWait: time.Hour, wantWait: 60 * time.Second, wantOK: true},
			},
		},
		{
			name: "a server pause holds requests back", perMinute: 40,
			steps: []step{
				{at: 0, maxWait: time.Hour, wantOK: true},
				{pause: 30 * time.Second},
				{at: 10 * time.Second, maxWait: time.Hour, wantWait: 20 * time.Second, wantOK: true},
				{pause: 5 * time.Second}, // an earlier end does not shorten it
				{at: 10 * time.Second, maxWait: time.Second, wantWait: 20 * time.Second},
				{at: 30 * time.Second, maxWait: 0, wantOK: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newKeyLimiter(tt.perMinute, rateWindow)
			for i, s := range tt.steps {
				if s.pause != 0 {
					l.pause(t0.Add(s.pause))
					continue
				}
				wait, ok := l.reserve(t0.Add(s.at), s.maxWait)
				if wait != s.wantWait || ok != s.wantOK {
					t.Errorf("step %d: reserve = %v, %v; want %v, %v", i, wait, ok, s.wantWait, s.wantOK)
				}
			}
		})
	}
}

func TestRateHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		headers   map[string]string
		wantSpent bool
		wantWait  time.Duration // spentFor's, when spent
		want429   time.Duration // resetDelay's with a one-minute default
	}{
		{name: "none", want429: time.Minute},
		{name: "budget left", headers: map[string]string{HeaderRateRemaining: "12", HeaderRateReset: "30"}, want429: 30 * time.Second},
		{name: "spent", headers: map[string]string{HeaderRateRemaining: "0", HeaderRateReset: "38"}, wantSpent: true, wantWait: 38 * time.Second, want429: 38 * time.Second},
		{name: "spent without reset", headers: map[string]string{HeaderRateRemaining: "0"}, wantSpent: true, wantWait: time.Minute, want429: time.Minute},
		{name: "spent, reset 0 still waits a second", headers: map[string]string{HeaderRateRemaining: "0", HeaderRateReset: "0"}, wantSpent: true, wantWait: time.Second},
		{name: "fractional reset", headers: map[string]string{HeaderRateReset: "1.5"}, want429: 1500 * time.Millisecond},
		{name: "absurd reset is capped", headers: map[string]string{HeaderRateReset: "99999999"}, want429: time.Hour},
		{name: "garbage reset falls back to Retry-After", headers: map[string]string{HeaderRateReset: "soon", "Retry-After": "7"}, want429: 7 * time.Second},
		{name: "NaN reset", headers: map[string]string{HeaderRateReset: "NaN"}, want429: time.Minute},
		{name: "garbage remaining", headers: map[string]string{HeaderRateRemaining: "none"}, want429: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			wait, spent := spentFor(h)
			if spent != tt.wantSpent || (spent && wait != tt.wantWait) {
				t.Errorf("spentFor = %v, %v; want %v, %v", wait, spent, tt.wantWait, tt.wantSpent)
			}
			if got := resetDelay(h, time.Minute); got != tt.want429 {
				t.Errorf("resetDelay = %v, want %v", got, tt.want429)
			}
		})
	}
}
