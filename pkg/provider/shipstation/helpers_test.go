package shipstation_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// testKeys are generated once per test binary: 2048-bit generation is slow.
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

func keyA() *rsa.PrivateKey { return testKeys()[0] }
func keyB() *rsa.PrivateKey { return testKeys()[1] }

// t0 is the fake "now" of the V2 tests.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// abuseURLs are resource_url values the default policy must refuse, because
// the consumers would send API credentials to them.
var abuseURLs = []string{
	"http://ssapi.shipstation.com/orders",
	"https://evil.example/orders",
	"https://ssapi.shipstation.com.evil.example/orders",
	"https://evil.example/ssapi.shipstation.com/orders",
	"https://user:pw@ssapi.shipstation.com/orders",
	"https://ssapi.shipstation.com@evil.example/orders",
	"https://1.2.3.4/orders",
	"https://[::1]/orders",
	"https://ssapi.shipstation.com:8443/orders",
	"https://ssapi.shipstation.com:/orders",
	"https://ssapi.shipstation.com/admin",
	"https://ssapi.shipstation.com/orders/",
	"https://ssapi.shipstation.com/%6Frders",
	"https://ssapi.shipstation.com./orders",
	"https://ssapi%2Eshipstation.com/orders",
	"https://evil.example%2Fssapi.shipstation.com/orders",
	`https://evil.example\@ssapi.shipstation.com/orders`,
	`https:\\ssapi.shipstation.com\orders`,
	"https://ssapi.shipstation.com/orders#frag",
	"https://ssapi.shipstation.com/orders?storeID=1 2",
	"https:ssapi.shipstation.com/orders",
	"//ssapi.shipstation.com/orders",
	"/orders",
	"ftp://ssapi.shipstation.com/orders",
	"https://xssapi.shipstation.com/orders",
	"https://ssapi.shipstation.comx/orders",
	"https://ssapi.shipstation.com/orders?x=" + longString(200),
}

func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

// requireCategory fails unless err is nil (want nil) or wraps want.
func requireCategory(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("err = %v, want success", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("err = %v, want %v", err, want)
	}
}

// isCategory reports whether err is in one of the provider error categories.
func isCategory(err error) bool {
	return errors.Is(err, provider.ErrUnauthenticated) || errors.Is(err, provider.ErrMalformed) ||
		errors.Is(err, provider.ErrUnavailable)
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// jwksServer serves a JWKS document and counts the fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64

	mu     sync.Mutex
	doc    []byte
	status int
	gate   chan struct{} // when non-nil, requests wait until it is closed
}

func newJWKSServer(t testing.TB, keys map[string]*rsa.PublicKey) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK}
	s.setKeys(t, keys)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		doc, status, gate := s.doc, s.status, s.gate
		s.mu.Unlock()
		if gate != nil {
			<-gate
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(doc)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(t testing.TB, keys map[string]*rsa.PublicKey) {
	t.Helper()
	doc, err := shipstation.JWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.doc = doc
	s.mu.Unlock()
}

func (s *jwksServer) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *jwksServer) setGate(gate chan struct{}) {
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
}

func newV2(t testing.TB, jwksURL string, c *clock) *shipstation.V2Verifier {
	t.Helper()
	v, err := shipstation.NewV2Verifier(shipstation.V2Config{JWKSURL: jwksURL, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// delivery is one V2 webhook request.
type delivery struct {
	kid, sig, ts string
	body         []byte
}

func signed(t testing.TB, key *rsa.PrivateKey, kid string, at time.Time, body string) delivery {
	t.Helper()
	ts := at.Format(time.RFC3339)
	sig, err := shipstation.SignV2(key, ts, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return delivery{kid: kid, sig: sig, ts: ts, body: []byte(body)}
}

func (d delivery) request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/shipstation", nil)
	for name, value := range map[string]string{
		shipstation.HeaderV2KeyID:     d.kid,
		shipstation.HeaderV2Signature: d.sig,
		shipstation.HeaderV2Timestamp: d.ts,
	} {
		if value != "" {
			r.Header.Set(name, value)
		}
	}
	return r
}

// v1Request is a V1 delivery with token in the query (none when empty).
func v1Request(token string) *http.Request {
	target := "/webhooks/shipstation"
	if token != "" {
		target += "?" + url.Values{"token": {token}}.Encode()
	}
	return httptest.NewRequest(http.MethodPost, target, nil)
}
