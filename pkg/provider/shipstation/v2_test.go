package shipstation_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

const trackBody = `{"resource_url":"https://api.shipstation.com/v2/tracking?carrier_code=usps&tracking_number=9400111899223197428490","resource_type":"TRACK_EVENT_V2","data":{"status_code":"DE"}}`

func TestNewV2Verifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  shipstation.V2Config
		ok   bool
	}{
		{name: "defaults", cfg: shipstation.V2Config{JWKSURL: shipstation.DefaultJWKSURL}, ok: true},
		{name: "empty URL", cfg: shipstation.V2Config{}},
		{name: "relative URL", cfg: shipstation.V2Config{JWKSURL: "/jwks"}},
		{name: "other scheme", cfg: shipstation.V2Config{JWKSURL: "file:///etc/jwks"}},
		{name: "negative skew", cfg: shipstation.V2Config{JWKSURL: shipstation.DefaultJWKSURL, MaxSkew: -1}},
		{name: "negative interval", cfg: shipstation.V2Config{JWKSURL: shipstation.DefaultJWKSURL, MinRefetchInterval: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := shipstation.NewV2Verifier(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("NewV2Verifier(%+v) error = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
		})
	}
}

func TestV2Verify(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	tests := []struct {
		name    string
		d       func(t *testing.T) delivery
		wantErr error
		reason  string // a part of the error's text, when set
	}{
		{name: "valid", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-a", t0, trackBody) }},
		{name: "fractional seconds and offset", d: func(t *testing.T) delivery {
			d := signed(t, keyA(), "kid-a", t0, trackBody)
			d.ts = "2025-03-01T13:00:00.123+01:00"
			d.sig = mustSign(t, keyA(), d.ts, d.body)
			return d
		}},
		{name: "4 minutes old", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-a", t0.Add(-4*time.Minute), trackBody) }},
		{name: "4 minutes ahead", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-a", t0.Add(4*time.Minute), trackBody) }},
		{name: "extra fields", d: func(t *testing.T) delivery {
			return signed(t, keyA(), "kid-a", t0, `{"resource_url":"https://api.shipstation.com/v2/batches/se-1","resource_type":"BATCH_PROCESSED_V2","environment":"production","data":[1]}`)
		}},

		{name: "missing key id", d: func(t *testing.T) delivery { d := signed(t, keyA(), "kid-a", t0, trackBody); d.kid = ""; return d },
			wantErr: provider.ErrUnauthenticated},
		{name: "missing signature", d: func(t *testing.T) delivery { d := signed(t, keyA(), "kid-a", t0, trackBody); d.sig = ""; return d },
			wantErr: provider.ErrUnauthenticated},
		{name: "missing timestamp", d: func(t *testing.T) delivery { d := signed(t, keyA(), "kid-a", t0, trackBody); d.ts = ""; return d },
			wantErr: provider.ErrUnauthenticated},
		{name: "signature not base64", d: func(t *testing.T) delivery {
			d := signed(t, keyA(), "kid-a", t0, trackBody)
			d.sig = "%%%" + d.sig
			return d
		}, wantErr: provider.ErrUnauthenticated},
		{name: "signature base64url", d: func(t *testing.T) delivery {
			d := signed(t, keyA(), "kid-a", t0, trackBody)
			d.sig = strings.NewReplacer("+", "-", "/", "_").Replace(d.sig)
			if !strings.ContainsAny(d.sig, "-_") {
				d.sig = "-" + d.sig[1:]
			}
			return d
		}, wantErr: provider.ErrUnauthenticated},
		{name: "signed by another key", d: func(t *testing.T) delivery { return signed(t, keyB(), "kid-a", t0, trackBody) },
			wantErr: provider.ErrUnauthenticated, reason: "bad signature"},
		{name: "body changed", d: func(t *testing.T) delivery {
			d := signed(t, keyA(), "kid-a", t0, trackBody)
			d.body = bytes.Replace(d.body, []byte(`"DE"`), []byte(`"EX"`), 1)
			return d
		}, wantErr: provider.ErrUnauthenticated, reason: "bad signature"},
		{name: "timestamp changed", d: func(t *testing.T) delivery {
			d := signed(t, keyA(), "kid-a", t0, trackBody)
			d.ts = t0.Add(time.Second).Format(time.RFC3339)
			return d
		}, wantErr: provider.ErrUnauthenticated, reason: "bad signature"},
		{name: "timestamp too old", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-a", t0.Add(-6*time.Minute), trackBody) },
			wantErr: provider.ErrUnauthenticated, reason: "timestamp outside the 5-minute window"},
		{name: "timestamp in the future", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-a", t0.Add(6*time.Minute), trackBody) },
			wantErr: provider.ErrUnauthenticated, reason: "timestamp outside the 5-minute window"},
		{name: "timestamp not RFC 3339", d: func(t *testing.T) delivery {
			d := signed(t, keyA(), "kid-a", t0, trackBody)
			d.ts = "1740830400"
			d.sig = mustSign(t, keyA(), d.ts, d.body)
			return d
		}, wantErr: provider.ErrUnauthenticated},
		{name: "unknown key id", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-x", t0, trackBody) },
			wantErr: provider.ErrUnauthenticated, reason: "unknown key id"},
		{name: "unsigned malformed body", d: func(t *testing.T) delivery {
			d := signed(t, keyA(), "kid-a", t0, trackBody)
			d.body = []byte("not json")
			return d
		}, wantErr: provider.ErrUnauthenticated},

		{name: "signed but not JSON", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-a", t0, "not json") },
			wantErr: provider.ErrMalformed},
		{name: "signed array", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-a", t0, "["+trackBody+"]") },
			wantErr: provider.ErrMalformed},
		{name: "signed trailing data", d: func(t *testing.T) delivery { return signed(t, keyA(), "kid-a", t0, trackBody+"{}") },
			wantErr: provider.ErrMalformed},
		{name: "signed without resource_type", d: func(t *testing.T) delivery {
			return signed(t, keyA(), "kid-a", t0, `{"resource_url":"https://api.shipstation.com/v2/x"}`)
		}, wantErr: provider.ErrMalformed},
		{name: "signed with resource_url not a string", d: func(t *testing.T) delivery {
			return signed(t, keyA(), "kid-a", t0, `{"resource_url":{},"resource_type":"TRACK_EVENT_V2"}`)
		}, wantErr: provider.ErrMalformed},
		{name: "signed with an over-long resource_url", d: func(t *testing.T) delivery {
			return signed(t, keyA(), "kid-a", t0, `{"resource_url":"https://api.shipstation.com/`+longString(2048)+`","resource_type":"TRACK_EVENT_V2"}`)
		}, wantErr: provider.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := tt.d(t)
			wh, err := newV2(t, srv.URL, newClock()).Verify(context.Background(), provider.RequestOf(d.request()), d.body)
			requireCategory(t, err, tt.wantErr)
			if err != nil {
				if !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("err = %v, want it to say %q", err, tt.reason)
				}
				return
			}
			wantTime, _ := time.Parse(time.RFC3339, d.ts)
			switch {
			case wh.Provider != catalog.ShipStation:
				t.Errorf("Provider = %q", wh.Provider)
			case wh.Event == "" || !bytes.Contains(d.body, []byte(`"resource_type":"`+wh.Event+`"`)):
				t.Errorf("Event = %q, want the body's resource_type", wh.Event)
			case wh.ID != provider.HashID(catalog.ShipStation, "v2", string(d.body)):
				t.Errorf("ID = %q, want the hash of the body", wh.ID)
			case wh.Source != "/shipstation/v2":
				t.Errorf("Source = %q", wh.Source)
			case !wh.Time.Equal(wantTime):
				t.Errorf("Time = %v, want %v", wh.Time, wantTime)
			case wh.Subject != "" || wh.Extensions != nil:
				t.Errorf("Subject, Extensions = %q, %v; want empty", wh.Subject, wh.Extensions)
			case !bytes.Equal(wh.Body, d.body):
				t.Errorf("Body = %q, want the request body unchanged", wh.Body)
			}
		})
	}
}

func mustSign(t testing.TB, key *rsa.PrivateKey, ts string, body []byte) string {
	t.Helper()
	sig, err := shipstation.SignV2(key, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestV2RetryKeepsID(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	c := newClock()
	v := newV2(t, srv.URL, c)
	verify := func(d delivery) string {
		t.Helper()
		wh, err := v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
		if err != nil {
			t.Fatal(err)
		}
		return wh.ID
	}
	first := verify(signed(t, keyA(), "kid-a", t0, trackBody))
	c.Advance(10 * time.Minute)
	if retry := verify(signed(t, keyA(), "kid-a", t0.Add(10*time.Minute), trackBody)); retry != first {
		t.Errorf("a retry with a new timestamp got ID %q, want %q", retry, first)
	}
	if other := verify(signed(t, keyA(), "kid-a", t0.Add(10*time.Minute), strings.Replace(trackBody, "DE", "IT", 1))); other == first {
		t.Error("a different body got the same ID")
	}
}

// verifyAll runs n verifications concurrently and returns their errors.
func verifyAll(v *shipstation.V2Verifier, ds []delivery) []error {
	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() {
			_, errs[i] = v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
		})
	}
	wg.Wait()
	return errs
}

func forgedKids(t *testing.T, n int, at time.Time) []delivery {
	ds := make([]delivery, n)
	for i := range ds {
		ds[i] = signed(t, keyA(), "forged-"+strings.Repeat("x", i), at, trackBody)
	}
	return ds
}

func TestV2KeyCacheAndRefetch(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	c := newClock()
	v := newV2(t, srv.URL, c)
	requireFetches := func(want int64) {
		t.Helper()
		if got := srv.fetches.Load(); got != want {
			t.Fatalf("JWKS fetched %d times, want %d", got, want)
		}
	}
	verify := func(key *rsa.PrivateKey, kid string, wantErr error) {
		t.Helper()
		d := signed(t, key, kid, c.Now(), trackBody)
		_, err := v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
		requireCategory(t, err, wantErr)
	}

	requireFetches(0) // lazy
	for range 10 {
		verify(keyA(), "kid-a", nil)
	}
	requireFetches(1)

	// ShipStation rotates to kid-b. Within the interval the set is not
	// refetched, and the genuine webhook is asked to come back when it may
	// be (503 with Retry-After), not refused as forged; after the interval,
	// the unknown kid causes one refetch.
	srv.setKeys(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey, "kid-b": &keyB().PublicKey})
	verify(keyB(), "kid-b", provider.ErrUnavailable)
	d := signed(t, keyB(), "kid-b", c.Now(), trackBody)
	_, err := v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
	var retry interface{ RetryDelay() time.Duration }
	if !errors.As(err, &retry) || retry.RetryDelay() != shipstation.DefaultMinRefetchInterval {
		t.Fatalf("unknown kid during the cool-down: %v, want a retry after %s", err, shipstation.DefaultMinRefetchInterval)
	}
	requireFetches(1)
	c.Advance(shipstation.DefaultMinRefetchInterval)
	verify(keyB(), "kid-b", nil)
	requireFetches(2)
	verify(keyB(), "kid-b", nil)
	verify(keyA(), "kid-a", nil)
	requireFetches(2)

	// Forged key ids right after a fetch: no fetch at all, and nothing
	// accepted (503: they cannot be told from a key published meanwhile).
	for i, err := range verifyAll(v, forgedKids(t, 50, c.Now())) {
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("forged kid %d: err = %v, want ErrUnavailable", i, err)
		}
	}
	requireFetches(2)

	// A burst of forged key ids once the interval has passed: one fetch.
	// Those that waited for it are refused as forged (401); those that came
	// after it, within the next interval, are asked to come back (503).
	// None is accepted.
	c.Advance(shipstation.DefaultMinRefetchInterval + time.Second)
	refused := 0
	for i, err := range verifyAll(v, forgedKids(t, 50, c.Now())) {
		switch {
		case errors.Is(err, provider.ErrUnauthenticated):
			refused++
		case !errors.Is(err, provider.ErrUnavailable):
			t.Fatalf("forged kid %d: err = %v, want ErrUnauthenticated or ErrUnavailable", i, err)
		}
	}
	if refused == 0 {
		t.Error("no forged kid was refused after the fetch")
	}
	requireFetches(3)
	verify(keyA(), "kid-a", nil)
	requireFetches(3)
}

func TestV2ConcurrentFirstUseSharesOneFetch(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	gate := make(chan struct{})
	srv.setGate(gate)
	v := newV2(t, srv.URL, newClock())

	const n = 20
	d := signed(t, keyA(), "kid-a", t0, trackBody)
	errs := make([]error, n)
	var started, done sync.WaitGroup
	started.Add(n)
	for i := range n {
		done.Go(func() {
			started.Done()
			_, errs[i] = v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
		})
	}
	started.Wait()
	waitFor(t, func() bool { return srv.fetches.Load() >= 1 })
	close(gate)
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if got := srv.fetches.Load(); got != 1 {
		t.Errorf("JWKS fetched %d times, want 1", got)
	}
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestV2JWKSUnavailable(t *testing.T) {
	t.Parallel()
	goodDoc, err := shipstation.JWKS(map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	// The redirect target serves the right keys: following it would succeed.
	target := newJWKSServer(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name    string
		handler http.HandlerFunc
		url     string // instead of a server with handler
		client  *http.Client
	}{
		{name: "status 500", handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusInternalServerError) }},
		{name: "status 404", handler: http.NotFound},
		{name: "not JSON", handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }},
		{name: "no keys", handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"keys":[]}`)) }},
		{name: "no RSA keys", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[{"kty":"EC","kid":"kid-a","crv":"P-256","x":"AA","y":"AA"}]}`))
		}},
		{name: "key shorter than 2048 bits", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[{"kty":"RSA","kid":"kid-a","n":"` + strings.Repeat("_", 171) + `","e":"AQAB"}]}`))
		}},
		{name: "larger than 1 MiB", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Write(goodDoc[:len(goodDoc)-1])
			w.Write(bytes.Repeat([]byte(" "), 1<<20))
			w.Write([]byte("}"))
		}},
		{name: "redirect not followed", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL, http.StatusFound)
		}},
		{name: "connection refused", url: closed.URL},
		{name: "timeout", client: &http.Client{Timeout: 100 * time.Millisecond}, handler: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			jwksURL := tt.url
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler)
				t.Cleanup(srv.Close)
				jwksURL = srv.URL
			}
			v, err := shipstation.NewV2Verifier(shipstation.V2Config{JWKSURL: jwksURL, Now: newClock().Now, HTTPClient: tt.client})
			if err != nil {
				t.Fatal(err)
			}
			d := signed(t, keyA(), "kid-a", t0, trackBody)
			_, err = v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
			requireCategory(t, err, provider.ErrUnavailable)
		})
	}
	if n := target.fetches.Load(); n != 0 {
		t.Errorf("the redirect target was fetched %d times, want 0", n)
	}
}

func TestV2CachedKeysOutliveAFailedRefetch(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	c := newClock()
	v := newV2(t, srv.URL, c)
	verify := func(kid string, wantErr error) {
		t.Helper()
		d := signed(t, keyA(), kid, c.Now(), trackBody)
		_, err := v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
		requireCategory(t, err, wantErr)
	}
	verify("kid-a", nil)
	srv.setStatus(http.StatusServiceUnavailable)
	c.Advance(2 * shipstation.DefaultMinRefetchInterval)
	verify("kid-a", nil) // cached: no fetch
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	// An unknown kid may be a rotation we cannot see: 503, so ShipStation
	// retries; and the failed fetch counts against the interval too.
	verify("kid-new", provider.ErrUnavailable)
	verify("kid-new", provider.ErrUnavailable)
	verify("kid-a", nil)
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
}

func TestV2WaitRespectsContext(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	gate := make(chan struct{})
	srv.setGate(gate)
	t.Cleanup(func() { close(gate) })
	v := newV2(t, srv.URL, newClock())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := signed(t, keyA(), "kid-a", t0, trackBody)
	_, err := v.Verify(ctx, provider.RequestOf(d.request()), d.body)
	requireCategory(t, err, provider.ErrUnavailable)
}

func TestJWKSRefusesEmptyKeys(t *testing.T) {
	t.Parallel()
	for name, keys := range map[string]map[string]*rsa.PublicKey{
		"nil key":   {"kid-a": nil},
		"empty kid": {"": &keyA().PublicKey},
	} {
		if _, err := shipstation.JWKS(keys); err == nil {
			t.Errorf("%s: JWKS succeeded", name)
		}
	}
}

// Keys older than the refresh interval are fetched again on use, so a key
// ShipStation revoked stops being trusted; while the JWKS cannot be
// fetched, the keys already published are still used.
func TestV2RefreshDropsARevokedKey(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey, "kid-b": &keyB().PublicKey})
	c := newClock()
	v := newV2(t, srv.URL, c)
	verify := func(key *rsa.PrivateKey, kid string, wantErr error) {
		t.Helper()
		d := signed(t, key, kid, c.Now(), trackBody)
		_, err := v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
		requireCategory(t, err, wantErr)
	}
	verify(keyA(), "kid-a", nil)
	verify(keyB(), "kid-b", nil)

	srv.setKeys(t, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey}) // kid-b revoked
	c.Advance(shipstation.DefaultJWKSRefreshInterval - time.Minute)
	verify(keyB(), "kid-b", nil) // not yet refreshed
	c.Advance(time.Minute)
	verify(keyB(), "kid-b", provider.ErrUnauthenticated)
	verify(keyA(), "kid-a", nil)
	if got := srv.fetches.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2", got)
	}

	srv.setStatus(http.StatusServiceUnavailable)
	c.Advance(shipstation.DefaultJWKSRefreshInterval)
	verify(keyA(), "kid-a", nil) // the refresh failed: the cached key still counts
	if got := srv.fetches.Load(); got != 3 {
		t.Errorf("JWKS fetched %d times, want 3", got)
	}
}
