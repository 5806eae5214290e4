package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// SnipcartTokenTTL is how long an issued request token stays valid, as at
// Snipcart (one hour).
const SnipcartTokenTTL = time.Hour

// snipcartTokenPattern is what the sandbox calls a well-formed token when
// AcceptAnyToken is on. Issued tokens always match it.
var snipcartTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,128}$`)

// Snipcart imitates the part of the Snipcart API that hookstream calls:
// request-token validation and the order list. It is an http.Handler serving
//
//	GET  /requestvalidation/{token}   as Snipcart does (see ServeHTTP)
//	POST /sandbox/requesttokens       sandbox only: issue a token, {"token": "..."}
//	GET  /orders                      the orders added, by placement date (from, to, offset, limit)
//	GET  /orders/{token}              one order
//	POST /sandbox/orders              sandbox only: add or replace an order (AddOrder)
//
// The routes are relative to where the handler is mounted: point the
// Snipcart verifier's APIURL at that URL (a server's root, or a prefix
// removed with http.StripPrefix), with no "/api" suffix. Tokens exist only once a sender has issued them,
// with Issue or the POST route, and they are single-use, as at Snipcart.
//
// The zero value is not usable; create one with NewSnipcart. All methods are
// safe for concurrent use.
type Snipcart struct {
	secretKey string
	mux       *http.ServeMux
	now       func() time.Time // replaced by tests

	orders *snipcartOrders

	mu          sync.Mutex
	tokens      map[string]tokenState
	delay       time.Duration
	failLeft    int
	failStatus  int
	acceptAny   bool
	validations int
}

// NewSnipcart returns a sandbox Snipcart API that accepts secretKey, with an
// empty password, as HTTP Basic credentials on validation requests. No
// token is valid until one is issued; there is no delay and no failure
// until SetDelay or FailNext ask for one.
func NewSnipcart(secretKey string) *Snipcart {
	s := &Snipcart{
		secretKey: secretKey,
		mux:       http.NewServeMux(),
		now:       time.Now,
		tokens:    make(map[string]tokenState),
		orders:    newSnipcartOrders(),
	}
	s.mux.HandleFunc("GET /requestvalidation/{token}", s.validate)
	s.mux.HandleFunc("POST /sandbox/requesttokens", s.issue)
	s.mux.HandleFunc("GET /orders", s.listOrders)
	s.mux.HandleFunc("GET /orders/{token}", s.getOrder)
	s.mux.HandleFunc("POST "+SnipcartOrdersAddPath, s.addOrder)
	return s
}

// ServeHTTP serves the sandbox API.
//
// GET /requestvalidation/{token} answers like Snipcart: 401 with
// {"message": ...} unless the Basic credentials are the secret key and an
// empty password; 200 with {"token": ..., "resource": ..., "sandbox": true}
// the first time an issued, unexpired token is validated; 404 for a token
// that is unknown, expired or already validated. SetDelay and FailNext act
// before any of that.
func (s *Snipcart) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(HeaderSandbox, "snipcart")
	s.mux.ServeHTTP(w, r)
}

// Issue creates a new valid request token (32 random hex characters), as
// Snipcart does before it sends a webhook, and returns it. The token is
// valid for SnipcartTokenTTL and for one validation.
func (s *Snipcart) Issue() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sandbox: crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	token := hex.EncodeToString(b[:])
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	s.tokens[token] = tokenState{expiry: now.Add(SnipcartTokenTTL)}
	return token
}

// tokenState is what the sandbox remembers of a token. Used tokens are
// remembered until they would have expired, so that a second validation is
// refused even under AcceptAnyToken.
type tokenState struct {
	expiry time.Time
	used   bool
}

// SetDelay makes every later validation request wait d before it is
// answered (or until the caller gives up), to imitate a slow Snipcart.
// Zero, the default, answers at once.
func (s *Snipcart) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// FailNext makes the next n validation requests fail with the given HTTP
// status (and a JSON message), whatever their credentials and token. A
// failed request does not use up its token, as when Snipcart is down.
// n <= 0 cancels pending failures.
func (s *Snipcart) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft = max(n, 0)
	s.failStatus = status
}

// AcceptAnyToken, when on, makes every well-formed token
// (^[A-Za-z0-9_-]{8,128}$) that was not validated before genuine, as if it
// had been issued: for fuzz tests and for trying the gateway with curl. Off
// by default. Tokens are still single-use.
func (s *Snipcart) AcceptAnyToken(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acceptAny = on
}

// Validations returns how many validation requests the sandbox has received,
// answered or not.
func (s *Snipcart) Validations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validations
}

func (s *Snipcart) validate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.validations++
	delay := s.delay
	failStatus := 0
	if s.failLeft > 0 {
		s.failLeft--
		failStatus = s.failStatus
	}
	s.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if failStatus != 0 {
		writeJSON(w, failStatus, map[string]string{"message": "sandbox: simulated failure"})
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || pass != "" || subtle.ConstantTimeCompare([]byte(user), []byte(s.secretKey)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"message": "Authorization has been denied for this request.",
		})
		return
	}
	token := r.PathValue("token")
	if !s.consume(token) {
		writeJSON(w, http.StatusNotFound, map[string]string{
			"message": "The request token is unknown, expired or already used.",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token":    token,
		"resource": "webhook",
		"sandbox":  true,
	})
}

// consume reports whether token is valid now and makes it invalid.
func (s *Snipcart) consume(token string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st, known := s.tokens[token]
	switch {
	case known && !st.used && now.Before(st.expiry):
		st.used = true
		s.tokens[token] = st
		return true
	case !known && s.acceptAny && snipcartTokenPattern.MatchString(token):
		s.pruneLocked(now)
		s.tokens[token] = tokenState{expiry: now.Add(SnipcartTokenTTL), used: true}
		return true
	default:
		return false
	}
}

func (s *Snipcart) issue(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"token": s.Issue()})
}

// maxTokens bounds the sandbox's memory: beyond it, expired tokens are
// forgotten, and if that is not enough, used ones too (a forgotten used token
// is unknown, so it still fails validation, except under AcceptAnyToken).
const maxTokens = 100_000

// pruneLocked makes room for one more token. Called with s.mu held.
func (s *Snipcart) pruneLocked(now time.Time) {
	if len(s.tokens) < maxTokens {
		return
	}
	for token, st := range s.tokens {
		if !now.Before(st.expiry) {
			delete(s.tokens, token)
		}
	}
	if len(s.tokens) < maxTokens {
		return
	}
	for token, st := range s.tokens {
		if st.used {
			delete(s.tokens, token)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
}
