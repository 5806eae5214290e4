package shipstation

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
)

// maxJWKSSize bounds the JWKS document read from the network.
const maxJWKSSize = 1 << 20

// minRSABits refuses weak published keys.
const minRSABits = 2048

// keySet is the cached JWKS. Lookups of a known kid never fetch. A fetch
// happens on first use and on an unknown kid, at most once per minInterval
// (counted from the start of the previous fetch, failed or not), and
// concurrent requests share the fetch in flight.
type keySet struct {
	url         string
	client      *http.Client
	now         func() time.Time
	minInterval time.Duration

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	lastFetch time.Time  // start of the latest fetch; zero before the first
	lastErr   error      // outcome of the latest finished fetch
	inflight  *fetchCall // the fetch in progress, if any
}

type fetchCall struct {
	done chan struct{}
	err  error
}

func newKeySet(url string, client *http.Client, now func() time.Time, minInterval time.Duration) *keySet {
	c := &http.Client{}
	if client != nil {
		c2 := *client
		c = &c2
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultJWKSTimeout
	}
	// A redirect could point the key fetch anywhere; ShipStation does not
	// redirect its JWKS.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &keySet{url: url, client: c, now: now, minInterval: minInterval}
}

// key returns the public key named kid. Unknown after a refetch, or unknown
// while a refetch is not yet allowed: provider.ErrUnauthenticated. Unknown
// because the (re)fetch failed: provider.ErrUnavailable.
func (s *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	if k, ok := s.keys[kid]; ok {
		s.mu.Unlock()
		return k, nil
	}
	call := s.inflight
	if call == nil {
		if !s.lastFetch.IsZero() && s.now().Sub(s.lastFetch) < s.minInterval {
			err := s.lastErr
			s.mu.Unlock()
			return nil, unknownKey(err)
		}
		call = &fetchCall{done: make(chan struct{})}
		s.inflight = call
		s.lastFetch = s.now()
		// Detached from this request's cancellation: other requests may be
		// waiting for the same fetch. The client's timeout bounds it.
		go s.fetch(context.WithoutCancel(ctx), call)
	}
	s.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, provider.Errorf(provider.ErrUnavailable, "waiting for the ShipStation JWKS: %v", ctx.Err())
	}
	s.mu.Lock()
	k, ok := s.keys[kid]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	return nil, unknownKey(call.err)
}

// unknownKey is the error for a kid that is not in the set, given how the
// latest fetch ended.
func unknownKey(fetchErr error) error {
	if fetchErr != nil {
		return provider.Errorf(provider.ErrUnavailable, "fetching the ShipStation JWKS: %v", fetchErr)
	}
	return provider.Errorf(provider.ErrUnauthenticated, "unknown key id")
}

// fetch runs one fetch and publishes its outcome. A failed fetch keeps the
// keys cached so far.
func (s *keySet) fetch(ctx context.Context, call *fetchCall) {
	keys, err := s.download(ctx)
	s.mu.Lock()
	if err == nil {
		s.keys = keys
	}
	s.lastErr = err
	call.err = err
	s.inflight = nil
	s.mu.Unlock()
	close(call.done)
}

func (s *keySet) download(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJWKSSize {
		return nil, fmt.Errorf("document larger than %d bytes", maxJWKSSize)
	}
	return parseJWKS(data)
}

// jwk is the subset of an RFC 7517 key that RSA verification needs.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// parseJWKS returns the usable RSA signing keys of a JWKS document by kid.
// Other keys (other types, encryption keys, weak or broken ones) are
// skipped; a document without any usable key is an error.
func parseJWKS(data []byte) (map[string]*rsa.PublicKey, error) {
	var set jwkSet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, errors.New("document is not a JWKS")
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		if pub, err := k.rsaKey(); err == nil {
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("document has no usable RSA key")
	}
	return keys, nil
}

func (k jwk) rsaKey() (*rsa.PublicKey, error) {
	// Base64url without padding per RFC 7518; tolerate padding anyway.
	n, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.N, "="))
	if err != nil {
		return nil, err
	}
	e, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.E, "="))
	if err != nil {
		return nil, err
	}
	exp := new(big.Int).SetBytes(e)
	if !exp.IsInt64() || exp.Int64() < 3 || exp.Int64() > 1<<31-1 || exp.Bit(0) == 0 {
		return nil, errors.New("bad exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}
	if pub.N.BitLen() < minRSABits {
		return nil, errors.New("key too short")
	}
	return pub, nil
}

// JWKS renders keys, by kid, as a JWKS document (RFC 7517) that a
// [V2Verifier] accepts, in kid order. For tests, the sandbox and
// `hookstream send`.
func JWKS(keys map[string]*rsa.PublicKey) ([]byte, error) {
	set := jwkSet{Keys: make([]jwk, 0, len(keys))}
	for _, kid := range slices.Sorted(maps.Keys(keys)) {
		pub := keys[kid]
		if kid == "" || pub == nil || pub.N == nil || pub.E <= 0 {
			return nil, fmt.Errorf("shipstation: JWKS: key %q is empty", kid)
		}
		set.Keys = append(set.Keys, jwk{
			Kty: "RSA",
			Kid: kid,
			Use: "sig",
			Alg: "RS256",
			N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	return json.Marshal(set)
}
