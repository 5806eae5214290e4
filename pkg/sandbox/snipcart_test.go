package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"
)

const testSnipcartKey = "ST_sandbox-key"

func startSnipcart(t *testing.T) (*Snipcart, *httptest.Server) {
	t.Helper()
	s := NewSnipcart(testSnipcartKey)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

type answer struct {
	status int
	body   map[string]any
	header http.Header
}

// validate calls GET /requestvalidation/{token} the way the verifier does;
// user "-" sends no credentials.
func validate(t *testing.T, srv *httptest.Server, token, user, pass string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/requestvalidation/"+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "-" {
		req.SetBasicAuth(user, pass)
	}
	req.Header.Set("Accept", "application/json")
	return do(t, srv, req)
}

func do(t *testing.T, srv *httptest.Server, req *http.Request) answer {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	if resp.Header.Get("Content-Type") == "application/json; charset=utf-8" {
		if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
			t.Fatalf("decoding the answer: %v", err)
		}
	}
	return a
}

func TestSnipcartValidation(t *testing.T) {
	t.Parallel()
	s, srv := startSnipcart(t)
	token := s.Issue()
	other := s.Issue()
	steps := []struct {
		name        string
		token       string
		user, pass  string
		wantStatus  int
		wantMessage bool
	}{
		{name: "no credentials", token: token, user: "-", wantStatus: http.StatusUnauthorized, wantMessage: true},
		{name: "wrong key", token: token, user: "ST_other", wantStatus: http.StatusUnauthorized, wantMessage: true},
		{name: "key as password", token: token, user: "", pass: testSnipcartKey, wantStatus: http.StatusUnauthorized, wantMessage: true},
		{name: "non-empty password", token: token, user: testSnipcartKey, pass: "x", wantStatus: http.StatusUnauthorized, wantMessage: true},
		{name: "unknown token", token: "0123456789abcdef0123456789abcdef", user: testSnipcartKey, wantStatus: http.StatusNotFound, wantMessage: true},
		{name: "first validation", token: token, user: testSnipcartKey, wantStatus: http.StatusOK},
		{name: "second validation", token: token, user: testSnipcartKey, wantStatus: http.StatusNotFound, wantMessage: true},
		{name: "another issued token is unaffected", token: other, user: testSnipcartKey, wantStatus: http.StatusOK},
	}
	for _, st := range steps {
		a := validate(t, srv, st.token, st.user, st.pass)
		if a.status != st.wantStatus {
			t.Fatalf("%s: status %d, want %d", st.name, a.status, st.wantStatus)
		}
		if a.header.Get(HeaderSandbox) != "snipcart" {
			t.Errorf("%s: %s header = %q, want snipcart", st.name, HeaderSandbox, a.header.Get(HeaderSandbox))
		}
		if msg, _ := a.body["message"].(string); st.wantMessage && msg == "" {
			t.Errorf("%s: answer %v has no message", st.name, a.body)
		}
		if st.wantStatus == http.StatusOK && a.body["token"] != st.token {
			t.Errorf("%s: answer %v does not echo the token", st.name, a.body)
		}
	}
	if got, want := s.Validations(), len(steps); got != want {
		t.Errorf("Validations() = %d, want %d", got, want)
	}
}

func TestSnipcartIssueOverHTTP(t *testing.T) {
	t.Parallel()
	_, srv := startSnipcart(t)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/sandbox/requesttokens", nil)
	a := do(t, srv, req)
	token, _ := a.body["token"].(string)
	if a.status != http.StatusOK || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(token) {
		t.Fatalf("issue answered %d %v, want 200 and a token of 32 hex characters", a.status, a.body)
	}
	if a := validate(t, srv, token, testSnipcartKey, ""); a.status != http.StatusOK {
		t.Fatalf("validating the issued token: %d", a.status)
	}
	getReq, _ := http.NewRequest(http.MethodGet, srv.URL+"/sandbox/requesttokens", nil)
	if a := do(t, srv, getReq); a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET on the issue route answered %d, want 405", a.status)
	}
}

func TestSnipcartFailNext(t *testing.T) {
	t.Parallel()
	s, srv := startSnipcart(t)
	token := s.Issue()
	s.FailNext(2, http.StatusServiceUnavailable)
	for i, want := range []int{http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusOK, http.StatusNotFound} {
		if a := validate(t, srv, token, testSnipcartKey, ""); a.status != want {
			t.Fatalf("validation %d: status %d, want %d", i+1, a.status, want)
		}
	}
	s.FailNext(1, http.StatusInternalServerError)
	s.FailNext(0, http.StatusInternalServerError) // cancels
	if a := validate(t, srv, s.Issue(), testSnipcartKey, ""); a.status != http.StatusOK {
		t.Fatalf("after FailNext(0): status %d, want 200", a.status)
	}
}

func TestSnipcartDelay(t *testing.T) {
	t.Parallel()
	s, srv := startSnipcart(t)
	s.SetDelay(200 * time.Millisecond)
	start := time.Now()
	if a := validate(t, srv, s.Issue(), testSnipcartKey, ""); a.status != http.StatusOK {
		t.Fatalf("status %d, want 200", a.status)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("answered after %v, want at least the 200ms delay", d)
	}

	// A caller that gives up is not kept waiting, and its token stays
	// valid: nothing was answered.
	s.SetDelay(time.Minute)
	token := s.Issue()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/requestvalidation/"+token, nil)
	req.SetBasicAuth(testSnipcartKey, "")
	if _, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow validation: error %v, want a deadline", err)
	}
	s.SetDelay(0)
	if a := validate(t, srv, token, testSnipcartKey, ""); a.status != http.StatusOK {
		t.Fatalf("token after an abandoned validation: status %d, want 200", a.status)
	}
}

func TestSnipcartAcceptAnyToken(t *testing.T) {
	t.Parallel()
	s, srv := startSnipcart(t)
	s.AcceptAnyToken(true)
	steps := []struct {
		name  string
		token string
		want  int
	}{
		{name: "never issued, well formed", token: "fuzz-token_01", want: http.StatusOK},
		{name: "same again", token: "fuzz-token_01", want: http.StatusNotFound},
		{name: "too short", token: "abc", want: http.StatusNotFound},
		{name: "issued", token: s.Issue(), want: http.StatusOK},
	}
	for _, st := range steps {
		if a := validate(t, srv, st.token, testSnipcartKey, ""); a.status != st.want {
			t.Fatalf("%s: status %d, want %d", st.name, a.status, st.want)
		}
	}
	s.AcceptAnyToken(false)
	if a := validate(t, srv, "another-token", testSnipcartKey, ""); a.status != http.StatusNotFound {
		t.Fatalf("after AcceptAnyToken(false): status %d, want 404", a.status)
	}
}

func TestSnipcartTokenExpiry(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewSnipcart(testSnipcartKey)
	s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now } // before the server starts
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	fresh, stale := s.Issue(), s.Issue()
	mu.Lock()
	now = now.Add(SnipcartTokenTTL - time.Second)
	mu.Unlock()
	if a := validate(t, srv, fresh, testSnipcartKey, ""); a.status != http.StatusOK {
		t.Fatalf("token just before expiry: status %d, want 200", a.status)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if a := validate(t, srv, stale, testSnipcartKey, ""); a.status != http.StatusNotFound {
		t.Fatalf("expired token: status %d, want 404", a.status)
	}
}

// TestSnipcartSingleUseUnderConcurrency: of many simultaneous validations
// of one token, exactly one succeeds.
func TestSnipcartSingleUseUnderConcurrency(t *testing.T) {
	t.Parallel()
	s, srv := startSnipcart(t)
	token := s.Issue()
	const n = 16
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/requestvalidation/"+token, nil)
			req.SetBasicAuth(testSnipcartKey, "")
			resp, err := srv.Client().Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for st := range statuses {
		switch st {
		case http.StatusOK:
			ok++
		case http.StatusNotFound:
		default:
			t.Errorf("unexpected status %d", st)
		}
	}
	if ok != 1 {
		t.Errorf("%d validations succeeded, want exactly 1", ok)
	}
}
