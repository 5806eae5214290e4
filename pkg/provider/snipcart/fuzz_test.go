package snipcart

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// handlerTransport answers HTTP requests with a handler in-process, so the
// fuzzer is not slowed down by loopback connections.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// FuzzVerify: Verify never panics, every error is in one of the provider
// categories, a token of unsafe shape never reaches the API, and whatever
// is accepted is a usable webhook (non-empty Event and ID, a known source).
// The remote API is a sandbox that accepts every well-formed token once.
func FuzzVerify(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		body, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add("0123456789abcdef0123456789abcdef", body)
	}
	f.Add("../../x?y=1", []byte(`{"eventName":"order.completed","mode":"Live","createdOn":"2017-10-04T19:18:53Z","content":{}}`))
	f.Add("short", []byte(`{}`))
	f.Add("abcdefgh", []byte(`{"eventName":"a","mode":"Test","createdOn":"2017-10-04T19:18:53+02:00","content":{"id":12}}`))

	sb := sandbox.NewSnipcart(testSecret)
	sb.AcceptAnyToken(true)
	v, err := NewVerifier(Config{
		SecretKey:      testSecret,
		APIURL:         "http://snipcart.sandbox.invalid",
		HTTPClient:     &http.Client{Transport: handlerTransport{sb}},
		TokenCacheSize: 1024,
	})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, token string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/snipcart", nil)
		r.Header.Set(HeaderRequestToken, token)
		before := sb.Validations()
		wh, err := v.Verify(context.Background(), provider.RequestOf(r), body)
		if !wellFormedToken(token) {
			if !errors.Is(err, provider.ErrUnauthenticated) {
				t.Fatalf("unsafe token %q: error %v, want unauthenticated", token, err)
			}
			if sb.Validations() != before {
				t.Fatalf("unsafe token %q reached the API", token)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, provider.ErrMalformed) && !errors.Is(err, provider.ErrUnauthenticated) && !errors.Is(err, provider.ErrUnavailable) {
				t.Fatalf("error %v is in no provider category", err)
			}
			return
		}
		if wh.Event == "" || wh.ID == "" {
			t.Fatalf("accepted webhook without event or id: %+v", summary(wh))
		}
		if wh.Provider != "snipcart" || (wh.Source != "/snipcart/live" && wh.Source != "/snipcart/test") {
			t.Fatalf("accepted webhook with provider %q source %q", wh.Provider, wh.Source)
		}
		if wh.Time.IsZero() || len(wh.Subject) > maxSubjectLen || string(wh.Body) != string(body) {
			t.Fatalf("accepted webhook with bad time, subject or body: %+v", summary(wh))
		}
	})
}
