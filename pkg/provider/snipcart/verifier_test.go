package snipcart

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

const testSecret = "ST_test-secret-key"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// webhookRequest is a request as the gateway hands it to Verify: the body
// has been read already.
func webhookRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/snipcart", nil)
	if token != "" {
		r.Header.Set(HeaderRequestToken, token)
	}
	return r
}

// startSandbox serves a sandbox Snipcart API for the test.
func startSandbox(t *testing.T, secret string) (*sandbox.Snipcart, *httptest.Server) {
	t.Helper()
	sb := sandbox.NewSnipcart(secret)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv
}

func newVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	if cfg.SecretKey == "" {
		cfg.SecretKey = testSecret
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func wantCategory(t *testing.T, err, cat error) {
	t.Helper()
	if cat == nil {
		if err != nil {
			t.Fatalf("Verify: %v, want success", err)
		}
		return
	}
	if !errors.Is(err, cat) {
		t.Fatalf("Verify error = %v, want %v", err, cat)
	}
}

func TestNewVerifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
		wantURL string
	}{
		{name: "defaults", cfg: Config{SecretKey: "k"}, wantURL: DefaultAPIURL},
		{name: "trailing slash trimmed", cfg: Config{SecretKey: "k", APIURL: "http://127.0.0.1:8080/api/"}, wantURL: "http://127.0.0.1:8080/api"},
		{name: "no secret", cfg: Config{}, wantErr: true},
		{name: "relative URL", cfg: Config{SecretKey: "k", APIURL: "/api"}, wantErr: true},
		{name: "no host", cfg: Config{SecretKey: "k", APIURL: "https:///api"}, wantErr: true},
		{name: "ftp scheme", cfg: Config{SecretKey: "k", APIURL: "ftp://app.snipcart.com/api"}, wantErr: true},
		{name: "query", cfg: Config{SecretKey: "k", APIURL: "https://app.snipcart.com/api?x=1"}, wantErr: true},
		{name: "credentials in URL", cfg: Config{SecretKey: "k", APIURL: "https://u:p@app.snipcart.com/api"}, wantErr: true},
		{name: "unparseable", cfg: Config{SecretKey: "k", APIURL: "http://[::1"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier(tt.cfg)
			if tt.wantErr {
				if err == nil {
					t.Fatal("NewVerifier succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewVerifier: %v", err)
			}
			if v.apiURL != tt.wantURL {
				t.Errorf("API URL = %q, want %q", v.apiURL, tt.wantURL)
			}
			if v.client.Timeout != DefaultTimeout {
				t.Errorf("client timeout = %v, want %v", v.client.Timeout, DefaultTimeout)
			}
			if v.tokens.size != DefaultTokenCacheSize || v.tokens.ttl != DefaultTokenTTL {
				t.Errorf("cache size %d ttl %v, want %d %v", v.tokens.size, v.tokens.ttl, DefaultTokenCacheSize, DefaultTokenTTL)
			}
		})
	}
}

func TestVerifyFixtures(t *testing.T) {
	t.Parallel()
	sb, srv := startSandbox(t, testSecret)
	v := newVerifier(t, Config{APIURL: srv.URL})
	tests := []struct {
		file, event, about, createdOn, mode string
	}{
		{"order-completed.json", "order.completed", "1912e4c1-d008-4c15-ab12-fe21a76d30d4", "2017-10-04T19:18:53.5703196Z", "test"},
		{"order-tracking-number-changed.json", "order.trackingNumber.changed", "1912e4c1-d008-4c15-ab12-fe21a76d30d4", "2017-10-04T19:43:54.6329769Z", "live"},
		{"order-refund-created.json", "order.refund.created", "62b31459-919e-4e6a-9c5d-764f5739cb9f", "2017-10-05T14:02:11.1234567Z", "live"},
		{"order-notification-created.json", "order.notification.created", "2e8fbc93-6a20-48f1-ad39-6797a61730b5", "2017-10-05T15:30:00Z", "live"},
		{"subscription-created.json", "v3/subscription.created", "5b3c7b86-0d3f-4bd6-9b1d-2f0a3b4c5d6e", "2021-03-01T10:00:00.000Z", "test"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body := readFixture(t, tt.file)
			wh, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(sb.Issue())), body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			wantTime, _ := time.Parse(time.RFC3339Nano, tt.createdOn)
			want := provider.Webhook{
				Provider: "snipcart",
				Event:    tt.event,
				ID:       provider.HashID("snipcart", tt.event, tt.about, tt.createdOn),
				Source:   "/snipcart/" + tt.mode,
				Subject:  tt.about,
				Time:     wantTime,
			}
			if wh.Provider != want.Provider || wh.Event != want.Event || wh.ID != want.ID ||
				wh.Source != want.Source || wh.Subject != want.Subject || !wh.Time.Equal(want.Time) {
				t.Errorf("webhook =\n %+v\nwant\n %+v", summary(wh), summary(want))
			}
			if got := wh.Extensions["mode"]; got != tt.mode || len(wh.Extensions) != 1 {
				t.Errorf("extensions = %v, want mode=%s only", wh.Extensions, tt.mode)
			}
			if string(wh.Body) != string(body) {
				t.Error("body changed")
			}
		})
	}
}

// summary drops the body from a webhook for error messages.
func summary(wh provider.Webhook) provider.Webhook {
	wh.Body = nil
	return wh
}

// TestVerifyRefusedLocally covers requests refused before any remote call:
// a request token is never spent on them.
func TestVerifyRefusedLocally(t *testing.T) {
	t.Parallel()
	good := readFixture(t, "order-completed.json")
	tests := []struct {
		name  string
		token string // "" = no header; "issue" = a genuine token
		body  string
		want  error
	}{
		{name: "no token header", token: "", body: string(good), want: provider.ErrUnauthenticated},
		{name: "token too short", token: "abc1234", body: string(good), want: provider.ErrUnauthenticated},
		{name: "token too long", token: strings.Repeat("a", 129), body: string(good), want: provider.ErrUnauthenticated},
		{name: "token with path traversal", token: "abcdefgh/../../orders", body: string(good), want: provider.ErrUnauthenticated},
		{name: "token with dot", token: "abcd.efgh", body: string(good), want: provider.ErrUnauthenticated},
		{name: "token with percent", token: "abcd%2Fefgh", body: string(good), want: provider.ErrUnauthenticated},
		{name: "token with query", token: "abcdefgh?x=1", body: string(good), want: provider.ErrUnauthenticated},
		{name: "token with space", token: "abcd efgh", body: string(good), want: provider.ErrUnauthenticated},
		{name: "broken seed status changed", token: "issue", body: string(readFixture(t, "broken-order-status-changed.json")), want: provider.ErrMalformed},
		{name: "broken seed payment status changed", token: "issue", body: string(readFixture(t, "broken-order-payment-status-changed.json")), want: provider.ErrMalformed},
		{name: "broken seed tracking number changed", token: "issue", body: string(readFixture(t, "broken-order-tracking-number-changed.json")), want: provider.ErrMalformed},
		{name: "empty body", token: "issue", body: "", want: provider.ErrMalformed},
		{name: "array", token: "issue", body: `[]`, want: provider.ErrMalformed},
		{name: "null", token: "issue", body: `null`, want: provider.ErrMalformed},
		{name: "trailing garbage", token: "issue", body: `{"eventName":"order.completed","mode":"Live","createdOn":"2017-10-04T19:18:53Z","content":{}} x`, want: provider.ErrMalformed},
		{name: "no eventName", token: "issue", body: `{"mode":"Live","createdOn":"2017-10-04T19:18:53Z","content":{}}`, want: provider.ErrMalformed},
		{name: "empty eventName", token: "issue", body: `{"eventName":"","mode":"Live","createdOn":"2017-10-04T19:18:53Z","content":{}}`, want: provider.ErrMalformed},
		{name: "numeric eventName", token: "issue", body: `{"eventName":1,"mode":"Live","createdOn":"2017-10-04T19:18:53Z","content":{}}`, want: provider.ErrMalformed},
		{name: "mode lower case", token: "issue", body: `{"eventName":"order.completed","mode":"live","createdOn":"2017-10-04T19:18:53Z","content":{}}`, want: provider.ErrMalformed},
		{name: "no mode", token: "issue", body: `{"eventName":"order.completed","createdOn":"2017-10-04T19:18:53Z","content":{}}`, want: provider.ErrMalformed},
		{name: "no createdOn", token: "issue", body: `{"eventName":"order.completed","mode":"Live","content":{}}`, want: provider.ErrMalformed},
		{name: "createdOn without zone", token: "issue", body: `{"eventName":"order.completed","mode":"Live","createdOn":"2017-10-04T19:18:53","content":{}}`, want: provider.ErrMalformed},
		{name: "createdOn as number", token: "issue", body: `{"eventName":"order.completed","mode":"Live","createdOn":1507144733,"content":{}}`, want: provider.ErrMalformed},
		{name: "no content", token: "issue", body: `{"eventName":"order.completed","mode":"Live","createdOn":"2017-10-04T19:18:53Z"}`, want: provider.ErrMalformed},
		{name: "content string", token: "issue", body: `{"eventName":"order.completed","mode":"Live","createdOn":"2017-10-04T19:18:53Z","content":"discounts"}`, want: provider.ErrMalformed},
		{name: "content null", token: "issue", body: `{"eventName":"order.completed","mode":"Live","createdOn":"2017-10-04T19:18:53Z","content":null}`, want: provider.ErrMalformed},
		{name: "content array", token: "issue", body: `{"eventName":"order.completed","mode":"Live","createdOn":"2017-10-04T19:18:53Z","content":[]}`, want: provider.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, srv := startSandbox(t, testSecret)
			v := newVerifier(t, Config{APIURL: srv.URL})
			token := tt.token
			if token == "issue" {
				token = sb.Issue()
			}
			_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(token)), []byte(tt.body))
			wantCategory(t, err, tt.want)
			if n := sb.Validations(); n != 0 {
				t.Fatalf("%d validation requests, want none", n)
			}
			if tt.token == "issue" {
				// The token was not spent: the well-formed delivery passes.
				if _, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(token)), good); err != nil {
					t.Fatalf("the token was spent by a malformed request: %v", err)
				}
			}
		})
	}
}

// TestVerifyRemoteAnswers checks how Snipcart's answers to the validation
// request map to outcomes, and the shape of that request.
func TestVerifyRemoteAnswers(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "order-completed.json")
	const token = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name          string
		status        int
		want          error
		secretProblem bool
	}{
		{name: "200 genuine", status: http.StatusOK},
		{name: "404 unknown or used", status: http.StatusNotFound, want: provider.ErrUnauthenticated},
		{name: "401 secret refused", status: http.StatusUnauthorized, want: provider.ErrUnauthenticated, secretProblem: true},
		{name: "403 secret refused", status: http.StatusForbidden, want: provider.ErrUnauthenticated, secretProblem: true},
		{name: "400", status: http.StatusBadRequest, want: provider.ErrUnauthenticated},
		{name: "408", status: http.StatusRequestTimeout, want: provider.ErrUnavailable},
		{name: "429", status: http.StatusTooManyRequests, want: provider.ErrUnavailable},
		{name: "500", status: http.StatusInternalServerError, want: provider.ErrUnavailable},
		{name: "502", status: http.StatusBadGateway, want: provider.ErrUnavailable},
		{name: "503", status: http.StatusServiceUnavailable, want: provider.ErrUnavailable},
		{name: "204 unexpected", status: http.StatusNoContent, want: provider.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			received := make(chan *http.Request, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case received <- r.Clone(context.Background()):
				default:
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"token":"` + token + `"}`))
			}))
			t.Cleanup(srv.Close)
			v := newVerifier(t, Config{APIURL: srv.URL + "/api/"})
			_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(token)), body)
			wantCategory(t, err, tt.want)
			if got := errors.Is(err, ErrSecretKeyRejected); got != tt.secretProblem {
				t.Errorf("errors.Is(err, ErrSecretKeyRejected) = %v, want %v", got, tt.secretProblem)
			}
			if err != nil && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), testSecret)) {
				t.Errorf("error %q leaks the token or the secret", err)
			}
			var got *http.Request
			select {
			case got = <-received:
			default:
				t.Fatal("no validation request received")
			}
			if got.Method != http.MethodGet || got.URL.Path != "/api/requestvalidation/"+token {
				t.Errorf("request %s %s, want GET /api/requestvalidation/%s", got.Method, got.URL.Path, token)
			}
			if user, pass, ok := got.BasicAuth(); !ok || user != testSecret || pass != "" {
				t.Errorf("basic auth = %q:%q (%v), want the secret key and an empty password", user, pass, ok)
			}
			if a := got.Header.Get("Accept"); a != "application/json" {
				t.Errorf("Accept = %q, want application/json", a)
			}
		})
	}
}

func TestVerifyRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "order-completed.json")
	for _, tt := range []struct {
		name   string
		status int
		client *http.Client // nil: the default client
	}{
		{name: "302 default client", status: http.StatusFound},
		{name: "307 default client", status: http.StatusTemporaryRedirect},
		{name: "308 caller's client that follows redirects", status: http.StatusPermanentRedirect, client: &http.Client{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var followed atomic.Int32
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				followed.Add(1)
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(target.Close)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+r.URL.Path, tt.status)
			}))
			t.Cleanup(srv.Close)
			v := newVerifier(t, Config{APIURL: srv.URL, HTTPClient: tt.client})
			_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest("0123456789abcdef")), body)
			wantCategory(t, err, provider.ErrUnavailable)
			if n := followed.Load(); n != 0 {
				t.Errorf("redirect followed %d times", n)
			}
			if tt.client != nil && tt.client.CheckRedirect != nil {
				t.Error("the caller's client was modified")
			}
		})
	}
}

func TestVerifyUnavailable(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "order-completed.json")

	t.Run("slow beyond the client timeout", func(t *testing.T) {
		t.Parallel()
		sb, srv := startSandbox(t, testSecret)
		sb.SetDelay(5 * time.Second)
		v := newVerifier(t, Config{APIURL: srv.URL, HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
		start := time.Now()
		_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(sb.Issue())), body)
		wantCategory(t, err, provider.ErrUnavailable)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Verify took %v, the timeout is 100ms", d)
		}
	})
	t.Run("caller's context deadline", func(t *testing.T) {
		t.Parallel()
		sb, srv := startSandbox(t, testSecret)
		sb.SetDelay(5 * time.Second)
		v := newVerifier(t, Config{APIURL: srv.URL})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := v.Verify(ctx, provider.RequestOf(webhookRequest(sb.Issue())), body)
		wantCategory(t, err, provider.ErrUnavailable)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		v := newVerifier(t, Config{APIURL: srv.URL})
		_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest("0123456789abcdef")), body)
		wantCategory(t, err, provider.ErrUnavailable)
		if strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("error %q leaks the token", err)
		}
	})
	t.Run("failure does not spend the token", func(t *testing.T) {
		t.Parallel()
		sb, srv := startSandbox(t, testSecret)
		v := newVerifier(t, Config{APIURL: srv.URL})
		token := sb.Issue()
		sb.FailNext(2, http.StatusInternalServerError)
		for range 2 {
			_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(token)), body)
			wantCategory(t, err, provider.ErrUnavailable)
		}
		if _, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(token)), body); err != nil {
			t.Fatalf("retry after Snipcart recovered: %v", err)
		}
	})
}

func TestVerifySandboxSecret(t *testing.T) {
	t.Parallel()
	sb, srv := startSandbox(t, "ST_the-real-key")
	body := readFixture(t, "order-completed.json")
	tests := []struct {
		name   string
		secret string
		want   error
	}{
		{name: "right key", secret: "ST_the-real-key"},
		{name: "wrong key", secret: "ST_another-key", want: provider.ErrUnauthenticated},
		{name: "key with a different case", secret: "st_the-real-key", want: provider.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, Config{SecretKey: tt.secret, APIURL: srv.URL})
			_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(sb.Issue())), body)
			wantCategory(t, err, tt.want)
			if tt.want != nil && !errors.Is(err, ErrSecretKeyRejected) {
				t.Errorf("error %v does not wrap ErrSecretKeyRejected", err)
			}
		})
	}
}

// TestVerifyTokenCache walks one token through its life: validated once,
// accepted again from the cache for the same body only, and refused by
// Snipcart once the cache has forgotten it.
func TestVerifyTokenCache(t *testing.T) {
	t.Parallel()
	sb, srv := startSandbox(t, testSecret)
	body := readFixture(t, "order-completed.json")
	other := readFixture(t, "order-tracking-number-changed.json")
	v := newVerifier(t, Config{APIURL: srv.URL})
	token := sb.Issue()

	steps := []struct {
		name            string
		verifier        *Verifier
		body            []byte
		want            error
		wantValidations int
	}{
		{name: "first delivery validated remotely", verifier: v, body: body, wantValidations: 1},
		{name: "resend of the same body accepted from the cache", verifier: v, body: body, wantValidations: 1},
		{name: "same token with another body refused", verifier: v, body: other, want: provider.ErrUnauthenticated, wantValidations: 1},
		{name: "resend still accepted", verifier: v, body: body, wantValidations: 1},
		{name: "after a restart Snipcart refuses the used token", verifier: newVerifier(t, Config{APIURL: srv.URL}), body: body, want: provider.ErrUnauthenticated, wantValidations: 2},
	}
	for _, st := range steps {
		_, err := st.verifier.Verify(context.Background(), provider.RequestOf(webhookRequest(token)), st.body)
		if cat := st.want; (cat == nil && err != nil) || (cat != nil && !errors.Is(err, cat)) {
			t.Fatalf("%s: Verify error = %v, want %v", st.name, err, cat)
		}
		if n := sb.Validations(); n != st.wantValidations {
			t.Fatalf("%s: %d validation requests, want %d", st.name, n, st.wantValidations)
		}
	}
}

func TestVerifyTokenCacheBounds(t *testing.T) {
	t.Parallel()
	sb, srv := startSandbox(t, testSecret)
	body := readFixture(t, "order-completed.json")
	v := newVerifier(t, Config{APIURL: srv.URL, TokenCacheSize: 2, TokenTTL: time.Minute})
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v.tokens.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }

	a, b, c := sb.Issue(), sb.Issue(), sb.Issue()
	for _, tok := range []string{a, b, c} {
		if _, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(tok)), body); err != nil {
			t.Fatalf("first delivery: %v", err)
		}
		advance(time.Second)
	}
	if n := v.tokens.len(); n != 2 {
		t.Fatalf("cache holds %d tokens, want 2", n)
	}
	steps := []struct {
		name            string
		token           string
		advance         time.Duration
		want            error
		wantValidations int
	}{
		{name: "newest still cached", token: c, wantValidations: 3},
		{name: "oldest evicted by size, Snipcart refuses it", token: a, want: provider.ErrUnauthenticated, wantValidations: 4},
		{name: "expired by TTL, Snipcart refuses it", token: b, advance: time.Minute, want: provider.ErrUnauthenticated, wantValidations: 5},
	}
	for _, st := range steps {
		advance(st.advance)
		_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(st.token)), body)
		if cat := st.want; (cat == nil && err != nil) || (cat != nil && !errors.Is(err, cat)) {
			t.Fatalf("%s: Verify error = %v, want %v", st.name, err, cat)
		}
		if n := sb.Validations(); n != st.wantValidations {
			t.Fatalf("%s: %d validation requests, want %d", st.name, n, st.wantValidations)
		}
	}
}

// TestVerifyConcurrentSameToken: a resend that arrives while the first
// delivery is still being validated waits for it instead of spending a
// second validation (which Snipcart would refuse).
func TestVerifyConcurrentSameToken(t *testing.T) {
	t.Parallel()
	sb, srv := startSandbox(t, testSecret)
	sb.SetDelay(100 * time.Millisecond)
	body := readFixture(t, "order-completed.json")
	v := newVerifier(t, Config{APIURL: srv.URL})
	token := sb.Issue()

	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(token)), body)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	if got := sb.Validations(); got != 1 {
		t.Errorf("%d validation requests, want 1", got)
	}
}
