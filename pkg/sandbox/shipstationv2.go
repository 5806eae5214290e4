package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// ShipStationV2 plays ShipStation's V2 webhook signer: it holds an RSA key,
// publishes it as a JWKS like https://api.shipengine.com/jwks, and signs
// bodies for a sender the way ShipStation signs its webhooks. The key is
// made at start-up and never leaves the process.
type ShipStationV2 struct {
	key *rsa.PrivateKey
	kid string
	now func() time.Time
}

// NewShipStationV2 returns a signer with a fresh 2048-bit key.
func NewShipStationV2() (*ShipStationV2, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sandbox: rsa key: %w", err)
	}
	return &ShipStationV2{key: key, kid: "sandbox-" + rand.Text()[:12], now: time.Now}, nil
}

// Headers returns the x-shipengine-* headers ShipStation would send with
// body now.
func (s *ShipStationV2) Headers(body []byte) (map[string]string, error) {
	ts := s.now().UTC().Format(time.RFC3339)
	sig, err := shipstation.SignV2(s.key, ts, body)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		shipstation.HeaderV2KeyID:     s.kid,
		shipstation.HeaderV2Signature: sig,
		shipstation.HeaderV2Timestamp: ts,
	}, nil
}

// ServeHTTP serves GET /jwks (the public key) and POST /sign (the body to
// sign; answers the headers as a JSON object).
func (s *ShipStationV2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(HeaderSandbox, "shipstation-v2")
	switch {
	case r.URL.Path == "/jwks" && r.Method == http.MethodGet:
		doc, err := shipstation.JWKS(map[string]*rsa.PublicKey{s.kid: &s.key.PublicKey})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	case r.URL.Path == "/sign" && r.Method == http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		headers, err := s.Headers(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(headers)
	default:
		http.NotFound(w, r)
	}
}
