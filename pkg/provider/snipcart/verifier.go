// Package snipcart verifies Snipcart webhooks.
//
// Snipcart does not sign its webhooks. Each request carries a one-time
// token in the X-Snipcart-RequestToken header, and the receiver asks
// Snipcart whether the token is genuine with
// GET {api}/requestvalidation/{token}, authenticated by the account's secret
// API key. The token is single-use, so [Verifier] spends it only on a
// well-formed request, and remembers for an hour which body it validated so
// that the same delivery, resent after hookstream failed to store it, is
// still accepted (see [Config.TokenTTL]).
//
// A Verifier is the one place in the gateway that calls a provider API on
// the request path.
package snipcart

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
)

const (
	// DefaultAPIURL is Snipcart's API root.
	DefaultAPIURL = "https://app.snipcart.com/api"
	// HeaderRequestToken carries the one-time token of a webhook request.
	HeaderRequestToken = "X-Snipcart-RequestToken"
	// DefaultTimeout bounds one token validation, connection included.
	DefaultTimeout = 5 * time.Second
	// DefaultTokenCacheSize is how many validated tokens are remembered.
	DefaultTokenCacheSize = 100_000
	// DefaultTokenTTL is how long a validated token is remembered; Snipcart
	// tokens are valid for one hour.
	DefaultTokenTTL = time.Hour
	// DefaultMaxValidations caps the validation requests in flight at once.
	DefaultMaxValidations = 32
	// DefaultRefusedTTL is how long a token Snipcart called unknown is
	// refused without asking again.
	DefaultRefusedTTL = 10 * time.Minute
	// refusedCacheSize bounds the tokens remembered as refused.
	refusedCacheSize = 10_000
)

// ErrTooManyValidations is wrapped (with provider.ErrUnavailable) in the
// error of a request that finds MaxValidations validations in flight:
// anyone can send a well-formed token, and each would make the gateway
// call Snipcart with the secret key, so their number is bounded; the
// request is answered 503 and a genuine one is sent again.
var ErrTooManyValidations = errors.New("snipcart: too many request validations in flight")

// SharedTokens is a memory of validated tokens that every replica of the
// gateway shares: a token validated by one replica, whose request was then
// answered 503 (the event could not be stored), is accepted when Snipcart
// resends the request to another one, although Snipcart would now call the
// token used.
type SharedTokens interface {
	// Lookup returns the SHA-256 of the body token was validated for, and
	// whether it was. An error means the memory cannot be read now.
	Lookup(ctx context.Context, token string) (sum [sha256.Size]byte, ok bool, err error)
	// Remember records that token was validated for a body with sum.
	Remember(ctx context.Context, token string, sum [sha256.Size]byte) error
}

// maxResponseBody bounds what is read of a validation response; the answer
// is in the status code, the body is read only so the connection can be
// reused.
const maxResponseBody = 4 << 10

// ErrSecretKeyRejected is wrapped, together with provider.ErrUnauthenticated,
// in the error Verify returns when Snipcart answers 401 or 403 to the
// validation request: the configured secret key is wrong or revoked, and no
// webhook can be verified until an operator fixes it. The gateway should
// alert on it rather than blame the sender.
var ErrSecretKeyRejected = errors.New("snipcart: secret key rejected by the API")

// Config configures a Verifier. SecretKey is required.
type Config struct {
	// SecretKey is the account's secret API key, sent as the Basic user
	// name (with an empty password) to the validation endpoint. Required.
	SecretKey string
	// APIURL is the API root the validation path is appended to; an
	// absolute http or https URL without query or fragment. Default
	// DefaultAPIURL. Point it at a sandbox.Snipcart for tests and
	// `hookstream dev`.
	APIURL string
	// HTTPClient sends validation requests. Default: a client with
	// DefaultTimeout. Whatever the client, redirects are never followed
	// (the Verifier uses a copy with CheckRedirect replaced), and a client
	// without a Timeout gets DefaultTimeout.
	HTTPClient *http.Client
	// TokenCacheSize bounds the number of validated tokens remembered; the
	// oldest is forgotten first. Default (when <= 0) DefaultTokenCacheSize.
	TokenCacheSize int
	// TokenTTL is how long a validated token is remembered, so that a
	// resent delivery with the same token and the same body is accepted
	// without a second (refused) validation. Default (when <= 0)
	// DefaultTokenTTL.
	TokenTTL time.Duration
	// Shared, when set, is asked before Snipcart about a token this process
	// has not validated, and told of every token it validates. A Lookup
	// error fails the request with provider.ErrUnavailable (503: it cannot
	// be told from a resend); a Remember error is reported through
	// OnSharedError and the request goes on (the token is still remembered
	// here, and the request is stored unless JetStream, which holds the
	// shared memory, is down too).
	Shared SharedTokens
	// OnSharedError, when set, is called with every error of Shared.
	OnSharedError func(error)
	// MaxValidations caps the validation requests in flight; a request
	// that finds the cap reached fails with ErrTooManyValidations (503).
	// Default (when <= 0) DefaultMaxValidations.
	MaxValidations int
	// RefusedTTL is how long a token Snipcart called unknown, expired or
	// used (404) is refused without asking Snipcart again. Default (when
	// <= 0) DefaultRefusedTTL.
	RefusedTTL time.Duration
}

// Verifier verifies Snipcart webhook requests. It implements
// provider.Verifier and is safe for concurrent use. Create one with
// NewVerifier.
type Verifier struct {
	secretKey string
	apiURL    string // without a trailing slash
	client    *http.Client
	tokens    *tokenCache // validated: token → body sum
	refused   *tokenCache // called unknown by Snipcart
	shared    SharedTokens
	onShared  func(error)
	slots     chan struct{} // one per validation in flight
}

var _ provider.Verifier = (*Verifier)(nil)

// NewVerifier returns a Verifier for cfg, with defaults applied. It returns
// an error when SecretKey is empty or APIURL is not an absolute http(s) URL.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("snipcart: secret key is required")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(cfg.APIURL)
	if err != nil {
		return nil, fmt.Errorf("snipcart: API URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("snipcart: API URL %q is not an absolute http(s) URL without credentials, query or fragment", u.Redacted())
	}
	client := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	if client.Timeout <= 0 {
		client.Timeout = DefaultTimeout
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if cfg.TokenCacheSize <= 0 {
		cfg.TokenCacheSize = DefaultTokenCacheSize
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.MaxValidations <= 0 {
		cfg.MaxValidations = DefaultMaxValidations
	}
	if cfg.RefusedTTL <= 0 {
		cfg.RefusedTTL = DefaultRefusedTTL
	}
	onShared := cfg.OnSharedError
	if onShared == nil {
		onShared = func(error) {}
	}
	return &Verifier{
		secretKey: cfg.SecretKey,
		apiURL:    strings.TrimRight(u.String(), "/"),
		client:    client,
		tokens:    newTokenCache(cfg.TokenCacheSize, cfg.TokenTTL, time.Now),
		refused:   newTokenCache(refusedCacheSize, cfg.RefusedTTL, time.Now),
		shared:    cfg.Shared,
		onShared:  onShared,
		slots:     make(chan struct{}, cfg.MaxValidations),
	}, nil
}

// Verify authenticates a Snipcart webhook request and checks its envelope.
//
// In this order, so that neither a hostile header nor a malformed body
// spends anything: the token header must be present and match
// ^[A-Za-z0-9_-]{8,128}$ (else ErrUnauthenticated, no remote call); the body
// must be a Snipcart envelope (else ErrMalformed, no remote call, the token
// is not spent); then the token is validated, from the cache of validated
// tokens or by Snipcart. Snipcart's answer maps as: 200 genuine; 404 and
// other 4xx ErrUnauthenticated; 401 and 403 ErrUnauthenticated wrapping
// ErrSecretKeyRejected; 408, 429, 5xx, any 3xx (never followed: a moved API
// says nothing about the token, so Snipcart should retry), other statuses,
// network errors and timeouts ErrUnavailable. Concurrent requests with the
// same token share one validation.
func (v *Verifier) Verify(ctx context.Context, r provider.Request, body []byte) (provider.Webhook, error) {
	token := r.Header(HeaderRequestToken)
	if token == "" {
		return provider.Webhook{}, provider.Errorf(provider.ErrUnauthenticated, "missing %s header", HeaderRequestToken)
	}
	if !wellFormedToken(token) {
		return provider.Webhook{}, provider.Errorf(provider.ErrUnauthenticated, "%s header is not a well-formed token", HeaderRequestToken)
	}
	wh, err := parseEnvelope(body)
	if err != nil {
		return provider.Webhook{}, err
	}
	if err := v.authenticate(ctx, token, sha256.Sum256(body)); err != nil {
		return provider.Webhook{}, err
	}
	return wh, nil
}

// wellFormedToken reports whether token matches ^[A-Za-z0-9_-]{8,128}$, the
// only shape that may be put into the validation URL's path.
func wellFormedToken(token string) bool {
	if len(token) < 8 || len(token) > 128 {
		return false
	}
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// authenticate decides whether token is genuine for a body with SHA-256
// sum: from this process's memory of validated and refused tokens, then
// from the shared memory, then by asking Snipcart.
func (v *Verifier) authenticate(ctx context.Context, token string, sum [sha256.Size]byte) error {
	if v.refused.known(token) {
		return errTokenUnknown
	}
	for {
		claim := v.tokens.claim(token)
		switch {
		case claim.cached:
			return sameBody(claim.sum, sum)
		case claim.wait != nil:
			// Another request is validating the same token: wait for its
			// outcome, then look again (cached if it succeeded, ours to
			// try if it did not).
			select {
			case <-claim.wait:
			case <-ctx.Done():
				return fmt.Errorf("%w: waiting for a validation of the same token: %w", provider.ErrUnavailable, ctx.Err())
			}
		default:
			validated, err := v.authenticateClaimed(ctx, token, sum)
			v.tokens.release(token, validated, err == nil)
			if errors.Is(err, errTokenUnknown) {
				v.refused.release(token, sum, true)
			}
			return err
		}
	}
}

// authenticateClaimed decides on a token this process has not validated
// (and now owns the decision on) and returns the body sum it is valid for.
func (v *Verifier) authenticateClaimed(ctx context.Context, token string, sum [sha256.Size]byte) ([sha256.Size]byte, error) {
	if v.shared != nil {
		known, ok, err := v.shared.Lookup(ctx, token)
		if err != nil {
			v.onShared(err)
			return sum, fmt.Errorf("%w: the memory of validated tokens cannot be read: %w", provider.ErrUnavailable, err)
		}
		if ok {
			return known, sameBody(known, sum)
		}
	}
	select {
	case v.slots <- struct{}{}:
	default:
		return sum, fmt.Errorf("%w: %w", provider.ErrUnavailable, ErrTooManyValidations)
	}
	err := v.validate(ctx, token)
	<-v.slots
	if err == nil && v.shared != nil {
		if err := v.shared.Remember(ctx, token, sum); err != nil {
			v.onShared(err)
		}
	}
	return sum, err
}

// sameBody refuses a token validated for another body.
func sameBody(validated, sum [sha256.Size]byte) error {
	if validated != sum {
		return provider.Errorf(provider.ErrUnauthenticated, "request token was already validated for another body")
	}
	return nil
}

// errTokenUnknown is Snipcart's 404: the token is unknown, expired or used.
var errTokenUnknown = provider.Errorf(provider.ErrUnauthenticated, "request token unknown, expired or already used")

// validate asks Snipcart whether token is genuine. Errors never contain the
// token, the URL or the secret.
func (v *Verifier) validate(ctx context.Context, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.apiURL+"/requestvalidation/"+token, nil)
	if err != nil {
		// Cannot happen for a validated API URL and a well-formed token;
		// the parse error would quote the URL, so it is not passed on.
		return provider.Errorf(provider.ErrUnavailable, "building the validation request")
	}
	req.SetBasicAuth(v.secretKey, "")
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL, it holds the token
		}
		return fmt.Errorf("%w: snipcart request validation: %w", provider.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))

	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("%w: %w (status %d)", provider.ErrUnauthenticated, ErrSecretKeyRejected, code)
	case code == http.StatusNotFound:
		return errTokenUnknown
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		return provider.Errorf(provider.ErrUnavailable, "snipcart request validation answered %d", code)
	case code >= 400 && code < 500:
		return provider.Errorf(provider.ErrUnauthenticated, "snipcart request validation answered %d", code)
	case code >= 300 && code < 400:
		return provider.Errorf(provider.ErrUnavailable, "snipcart request validation answered a redirect (%d), not followed", code)
	default:
		return provider.Errorf(provider.ErrUnavailable, "snipcart request validation answered %d", code)
	}
}
