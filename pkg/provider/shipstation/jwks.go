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

// keySet is the cached JWKS. A fetch happens on first use, on an unknown
// kid, and on the lookup of a known kid once the keys are older than
// refresh (so a key ShipStation revoked stops being trusted); at most once
// per minInterval (counted from the start of the previous fetch, failed or
// not); concurrent requests share the fetch in flight.
type keySet struct {
	url         string
	client      *http.Client
	now         func() time.Time
	minInterval time.Duration
	refresh     time.Duration

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	fetchedAt time.Time  // start of the latest successful fetch
	lastFetch time.Time  // start of the latest fetch; zero before the first
	lastErr   error      // outcome of the latest finished fetch
	inflight  *fetchCall // the fetch in progress, if any
}

type fetchCall struct {
	done chan struct{}
	err  error
}

func newKeySet(url string, client *http.Client, now func() time.Time, minInterval, refresh time.Duration) *keySet {
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
	return &keySet{url: url, client: c, now: now, minInterval: minInterval, refresh: refresh}
}

// key returns the public key named kid.
//
//   - Known, and the keys are fresh (or may not be fetched again yet): the
//     key, without a fetch.
//   - Unknown while a refetch is not yet allowed: provider.ErrUnavailable
//     with the time until it is (a *provider.RetryAfterError). ShipStation
//     may have rotated to a key published after the last fetch: a genuine
//     webhook must be asked to come back, never refused as forged.
//   - Unknown after a refetch: provider.ErrUnauthenticated.
//   - Unknown because the (re)fetch failed: provider.ErrUnavailable.
//
// A known key whose set is older than refresh is looked up again after a
// refetch; when that fetch fails, the cached key is still used.
func (s *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	k, known := s.keys[kid]
	now := s.now()
	stale := s.refresh > 0 && now.Sub(s.fetchedAt) >= s.refresh
	call := s.inflight
	if call == nil {
		wait := s.minInterval - now.Sub(s.lastFetch)
		switch {
		case known && (!stale || wait > 0):
			s.mu.Unlock()
			return k, nil
		case !s.lastFetch.IsZero() && wait > 0:
			err := s.lastErr
			s.mu.Unlock()
			if err != nil {
				return nil, unknownKey(err)
			}
			return nil, provider.RetryAfter(provider.Errorf(provider.ErrUnavailable,
				"unknown key id; the ShipStation JWKS may be fetched again in %s", wait.Round(time.Second)), wait)
		}
		call = &fetchCall{done: make(chan struct{})}
		s.inflight = call
		s.lastFetch = now
		// Detached from this request's cancellation: other requests may be
		// waiting for the same fetch. The client's timeout bounds it.
		go s.fetch(context.WithoutCancel(ctx), call, now)
	}
	s.mu.Unlock()
	select {
	case <-call.done:
	case <-ctx.Done():
		if known {
			return k, nil
		}
		return nil, provider.Errorf(provider.ErrUnavailable, "waiting for the ShipStation JWKS: %v", ctx.Err())
	}
	s.mu.Lock()
	fresh, ok := s.keys[kid]
	s.mu.Unlock()
	switch {
	case ok:
		return fresh, nil
	case known && call.err != nil:
		return k, nil // the refresh failed: keep trusting what was published
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
func (s *keySet) fetch(ctx context.Context, call *fetchCall, started time.Time) {
	keys, err := s.download(ctx)
	s.mu.Lock()
	if err == nil {
		s.keys, s.fetchedAt = keys, started
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
