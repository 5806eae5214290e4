package snipcart

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
)

// verify runs Verify for the fixture body with token.
func verify(t *testing.T, v *Verifier, token string, body []byte) error {
	t.Helper()
	_, err := v.Verify(context.Background(), provider.RequestOf(webhookRequest(token)), body)
	return err
}

// Anyone can send a well-formed token, and each would make the gateway
// call Snipcart with the secret key: at MaxValidations in flight, a request
// is answered 503 without calling Snipcart.
func TestValidationsInFlightAreCapped(t *testing.T) {
	t.Parallel()
	sb, srv := startSandbox(t, testSecret)
	v := newVerifier(t, Config{APIURL: srv.URL, MaxValidations: 2})
	body := readFixture(t, "order-completed.json")
	v.slots <- struct{}{} // two validations in flight
	v.slots <- struct{}{}
	err := verify(t, v, sb.Issue(), body)
	if !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, ErrTooManyValidations) {
		t.Fatalf("Verify at the cap = %v, want ErrUnavailable and ErrTooManyValidations", err)
	}
	if n := sb.Validations(); n != 0 {
		t.Errorf("%d validation requests at the cap, want 0", n)
	}
	<-v.slots
	wantCategory(t, verify(t, v, sb.Issue(), body), nil)
}

// A token Snipcart called unknown is refused again without asking, for
// RefusedTTL.
func TestRefusedTokenIsRememberedBriefly(t *testing.T) {
	t.Parallel()
	sb, srv := startSandbox(t, testSecret)
	v := newVerifier(t, Config{APIURL: srv.URL, RefusedTTL: time.Minute})
	now := time.Now()
	v.refused.now = func() time.Time { return now }
	body := readFixture(t, "order-completed.json")
	const forged = "0123456789abcdef0123456789abcdef"
	for range 3 {
		wantCategory(t, verify(t, v, forged, body), provider.ErrUnauthenticated)
	}
	if n := sb.Validations(); n != 1 {
		t.Errorf("%d validation requests for one forged token, want 1", n)
	}
	now = now.Add(time.Minute)
	wantCategory(t, verify(t, v, forged, body), provider.ErrUnauthenticated)
	if n := sb.Validations(); n != 2 {
		t.Errorf("%d validation requests after RefusedTTL, want 2", n)
	}
}

// memoryTokens is a SharedTokens in a map, standing for the gateway's KV
// bucket (tested with a real one in the gateway).
type memoryTokens struct {
	mu   sync.Mutex
	sums map[string][sha256.Size]byte
	err  error
}

func (m *memoryTokens) Lookup(_ context.Context, token string) ([sha256.Size]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sum, ok := m.sums[token]
	return sum, ok, m.err
}

func (m *memoryTokens) Remember(_ context.Context, token string, sum [sha256.Size]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.sums[token] = sum
	return nil
}

// A token validated by one replica is accepted by another for the same
// body (Snipcart would call it used), refused for another body; when the
// shared memory cannot be read, the answer is 503, not a guess.
func TestSharedTokensAcrossReplicas(t *testing.T) {
	t.Parallel()
	sb, srv := startSandbox(t, testSecret)
	shared := &memoryTokens{sums: map[string][sha256.Size]byte{}}
	var reported []error
	a := newVerifier(t, Config{APIURL: srv.URL, Shared: shared})
	b := newVerifier(t, Config{APIURL: srv.URL, Shared: shared, OnSharedError: func(err error) { reported = append(reported, err) }})
	body := readFixture(t, "order-completed.json")
	token := sb.Issue()
	wantCategory(t, verify(t, a, token, body), nil)
	wantCategory(t, verify(t, b, token, body), nil) // the resend, on another replica
	if n := sb.Validations(); n != 1 {
		t.Errorf("%d validation requests, want 1", n)
	}
	other := append(append([]byte(nil), body...), '\n') // another body, same meaning
	c := newVerifier(t, Config{APIURL: srv.URL, Shared: shared})
	wantCategory(t, verify(t, c, token, other), provider.ErrUnauthenticated)

	shared.err = errors.New("bucket unavailable")
	wantCategory(t, verify(t, b, sb.Issue(), body), provider.ErrUnavailable)
	if len(reported) != 1 {
		t.Errorf("shared-memory errors reported: %v", reported)
	}
}
