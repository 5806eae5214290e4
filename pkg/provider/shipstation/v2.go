package shipstation

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
)

// Headers of a V2 webhook delivery. http.Header canonicalises them.
const (
	// HeaderV2KeyID names the JWKS key (its kid) that signed the delivery.
	HeaderV2KeyID = "x-shipengine-rsa-sha256-key-id"
	// HeaderV2Signature is the standard base64 RSASSA-PKCS1-v1_5 SHA-256
	// signature of timestamp + "." + body.
	HeaderV2Signature = "x-shipengine-rsa-sha256-signature"
	// HeaderV2Timestamp is the signing time, RFC 3339 (ISO 8601 with a zone).
	HeaderV2Timestamp = "x-shipengine-timestamp"
)

// Defaults and limits of [V2Config].
const (
	// DefaultJWKSURL is ShipStation's (ShipEngine's) key document.
	DefaultJWKSURL = "https://api.shipengine.com/jwks"
	// DefaultMaxSkew is how far the signed timestamp may be from now.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultMinRefetchInterval is the least time between two JWKS fetches.
	DefaultMinRefetchInterval = time.Minute
	// DefaultJWKSRefreshInterval is how old the cached keys may grow before
	// they are fetched again.
	DefaultJWKSRefreshInterval = time.Hour
	// DefaultJWKSTimeout bounds one JWKS fetch when the client has no timeout.
	DefaultJWKSTimeout = 5 * time.Second
	// MaxV2ResourceURLLen is the longest V2 resource_url accepted, in bytes.
	MaxV2ResourceURLLen = 2048
	// maxKeyIDLen bounds the kid header; real ones are short.
	maxKeyIDLen = 256
)

// V2Config configures a [V2Verifier].
type V2Config struct {
	// JWKSURL is where the public keys are published. Required; production
	// uses DefaultJWKSURL. It must be an absolute http or https URL.
	JWKSURL string
	// HTTPClient fetches the JWKS. Default: a client with a
	// DefaultJWKSTimeout timeout. A given client is copied; the copy gets
	// DefaultJWKSTimeout when it has no timeout and never follows redirects.
	HTTPClient *http.Client
	// Now is the clock for the timestamp window and the refetch interval.
	// Default time.Now.
	Now func() time.Time
	// MaxSkew is how far the signed timestamp may be from Now, either way.
	// Default DefaultMaxSkew (5 minutes).
	MaxSkew time.Duration
	// MinRefetchInterval is the least time between two JWKS fetches, so
	// that requests with forged key ids cannot make the verifier hammer the
	// JWKS endpoint. Default DefaultMinRefetchInterval (1 minute).
	MinRefetchInterval time.Duration
	// RefreshInterval is how old the cached keys may grow before a lookup
	// fetches them again, so that a key ShipStation revoked stops being
	// trusted. Default DefaultJWKSRefreshInterval (1 hour).
	RefreshInterval time.Duration
}

// V2Verifier authenticates ShipStation API V2 webhooks by their RSA
// signature and checks their envelope. Keys are fetched from the JWKS URL on
// first use and cached; an unknown key id triggers one refetch, at most once
// per MinRefetchInterval, shared by concurrent requests. It is safe for
// concurrent use.
type V2Verifier struct {
	keys         *keySet
	now          func() time.Time
	maxSkew      time.Duration
	windowReason string
}

// NewV2Verifier returns a verifier for cfg, with defaults filled in. It
// fails when JWKSURL is empty or not an absolute http(s) URL, or when a
// duration is negative. It does not fetch the JWKS.
func NewV2Verifier(cfg V2Config) (*V2Verifier, error) {
	u, err := url.Parse(cfg.JWKSURL)
	switch {
	case cfg.JWKSURL == "":
		return nil, errors.New("shipstation: V2 JWKS URL is empty")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return nil, errors.New("shipstation: V2 JWKS URL is not an absolute http(s) URL")
	case cfg.MaxSkew < 0 || cfg.MinRefetchInterval < 0 || cfg.RefreshInterval < 0:
		return nil, errors.New("shipstation: V2 MaxSkew, MinRefetchInterval and RefreshInterval must not be negative")
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = DefaultJWKSRefreshInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.MinRefetchInterval == 0 {
		cfg.MinRefetchInterval = DefaultMinRefetchInterval
	}
	return &V2Verifier{
		keys:         newKeySet(cfg.JWKSURL, cfg.HTTPClient, cfg.Now, cfg.MinRefetchInterval, cfg.RefreshInterval),
		now:          cfg.Now,
		maxSkew:      cfg.MaxSkew,
		windowReason: windowReason(cfg.MaxSkew),
	}, nil
}

// Verify implements provider.Verifier. Missing headers, a timestamp that is
// not RFC 3339 or outside ±MaxSkew, an undecodable signature, an unknown key
// id and a bad signature are provider.ErrUnauthenticated; a JWKS that cannot
// be fetched when no cached key fits is provider.ErrUnavailable (the provider
// should retry). Only then is the envelope checked: a JSON object with a
// string resource_url (at most MaxV2ResourceURLLen bytes) and a non-empty
// string resource_type; other fields are allowed (provider.ErrMalformed
// otherwise).
//
// The webhook's ID is a hash of the body, which retries of one delivery
// repeat while their timestamp and signature change; Source is
// /shipstation/v2; Time is the signed timestamp.
func (v *V2Verifier) Verify(ctx context.Context, r provider.Request, body []byte) (provider.Webhook, error) {
	ts, err := v.authenticate(ctx, r, body)
	if err != nil {
		return provider.Webhook{}, err
	}
	env, err := decodeEnvelope(body, envelopeRules{maxURLLen: MaxV2ResourceURLLen})
	if err != nil {
		return provider.Webhook{}, err
	}
	wh := env.webhook(provider.HashID(catalog.ShipStation, "v2", string(body)), "/shipstation/v2", body)
	wh.Time = ts
	return wh, nil
}

// authenticate checks the signature headers and returns the signed time.
func (v *V2Verifier) authenticate(ctx context.Context, r provider.Request, body []byte) (time.Time, error) {
	kid := r.Header(HeaderV2KeyID)
	sig := r.Header(HeaderV2Signature)
	stamp := r.Header(HeaderV2Timestamp)
	if kid == "" || sig == "" || stamp == "" {
		return time.Time{}, provider.Errorf(provider.ErrUnauthenticated, "missing x-shipengine signature headers")
	}
	if len(kid) > maxKeyIDLen {
		return time.Time{}, provider.Errorf(provider.ErrUnauthenticated, "unknown key id")
	}
	ts, err := time.Parse(time.RFC3339, stamp)
	if err != nil {
		return time.Time{}, provider.Errorf(provider.ErrUnauthenticated, "timestamp is not RFC 3339")
	}
	// Checked before the key is looked up, so replays of old deliveries
	// cannot cause JWKS fetches.
	if d := v.now().Sub(ts); d > v.maxSkew || d < -v.maxSkew {
		return time.Time{}, provider.Errorf(provider.ErrUnauthenticated, "%s", v.windowReason)
	}
	rawSig, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return time.Time{}, provider.Errorf(provider.ErrUnauthenticated, "signature is not base64")
	}
	key, err := v.keys.key(ctx, kid)
	if err != nil {
		return time.Time{}, err
	}
	digest := signedDigest(stamp, body)
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], rawSig) != nil {
		return time.Time{}, provider.Errorf(provider.ErrUnauthenticated, "bad signature")
	}
	return ts, nil
}

// SignV2 signs a V2 delivery as ShipStation does and returns the value of
// HeaderV2Signature. timestamp is sent verbatim as HeaderV2Timestamp; use
// time.Format(time.RFC3339). For tests, the sandbox and `hookstream send`.
func SignV2(key *rsa.PrivateKey, timestamp string, body []byte) (string, error) {
	digest := signedDigest(timestamp, body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("shipstation: signing V2 webhook: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// signedDigest is the SHA-256 of timestamp + "." + body.
func signedDigest(timestamp string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

func windowReason(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("timestamp outside the %d-minute window", d/time.Minute)
	}
	return fmt.Sprintf("timestamp outside the %s window", d)
}
