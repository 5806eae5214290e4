package shopline_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
)

// Signature modes of FuzzVerify.
const (
	signBase64 = iota
	signHex
	signForged // the fuzzer's own header value
)

// FuzzVerify: Verify never panics; a body is accepted only with a header
// that decodes to its true MAC under a configured secret (so an unsigned
// or forged body never passes); a correctly signed request is never called
// unauthenticated; whatever is accepted is a usable webhook.
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
		f.Add(body, uint8(signBase64), "", "fulfillment_order/update", "1644828244663", "b54557e48a5fbf7d70bcd043")
		f.Add(body, uint8(signHex), "", "fulfillment_order/update", "1644828244663", "b54557e48a5fbf7d70bcd043")
		f.Add(body, uint8(signForged), "XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=", "fulfillment_order/update", "1644828244663", "b54557e48a5fbf7d70bcd043")
	}
	f.Add([]byte(`{"id": 1}`), uint8(signBase64), "", "orders/paid", "x", "")
	f.Add([]byte(`[]`), uint8(signHex), "", "", "1", "a")

	secrets := []string{oldSecret, newSecret}
	v := newVerifier(f, secrets...)

	f.Fuzz(func(t *testing.T, body []byte, mode uint8, forged, topic, shopID, webhookID string) {
		h := validHeaders("")
		for name, value := range map[string]string{
			shopline.HeaderTopic: topic, shopline.HeaderShopID: shopID, shopline.HeaderWebhookID: webhookID,
		} {
			h.Set(name, value)
		}
		secret := secrets[int(mode)%len(secrets)]
		switch mode % 3 {
		case signBase64:
			h.Set(shopline.HeaderHmac, shopline.Sign(secret, body))
		case signHex:
			h.Set(shopline.HeaderHmac, shopline.SignHex(secret, body))
		default:
			h.Set(shopline.HeaderHmac, forged)
		}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/shopline", nil)
		r.Header = h

		wh, err := v.Verify(context.Background(), provider.RequestOf(r), body)
		if err != nil {
			if !errors.Is(err, provider.ErrUnauthenticated) && !errors.Is(err, provider.ErrMalformed) {
				t.Fatalf("error %v is in no provider category", err)
			}
			if mode%3 != signForged && errors.Is(err, provider.ErrUnauthenticated) {
				t.Fatalf("correctly signed request refused as unauthenticated: %v", err)
			}
			return
		}
		if !trueMAC(h.Get(shopline.HeaderHmac), body, secrets) {
			t.Fatalf("accepted a body whose signature %q is not its MAC", h.Get(shopline.HeaderHmac))
		}
		if wh.Event == "" || wh.ID != shopline.WebhookID(wh.Event, h.Get(shopline.HeaderShopID), body) || wh.Source != "/shopline/shops/"+h.Get(shopline.HeaderShopID) {
			t.Fatalf("accepted an unusable webhook: event %q id %q source %q", wh.Event, wh.ID, wh.Source)
		}
	})
}

// trueMAC is an oracle independent of the verifier: whether sig is the hex
// or base64 of body's HMAC under one of secrets.
func trueMAC(sig string, body []byte, secrets []string) bool {
	for _, s := range secrets {
		m := hmac.New(sha256.New, []byte(s))
		m.Write(body)
		sum := m.Sum(nil)
		if b, err := hex.DecodeString(sig); err == nil && hmac.Equal(b, sum) {
			return true
		}
		if b, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(b, sum) {
			return true
		}
	}
	return false
}
