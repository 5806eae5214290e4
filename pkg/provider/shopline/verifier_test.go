package shopline_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
)

const (
	oldSecret = "shpss_old-app-secret"
	newSecret = "shpss_new-app-secret"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newVerifier(t testing.TB, secrets ...string) *shopline.Verifier {
	t.Helper()
	v, err := shopline.NewVerifier(shopline.Config{Secrets: secrets})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// validHeaders are the headers of seed 004's example, without the
// signature.
func validHeaders(topic string) http.Header {
	h := http.Header{}
	h.Set(shopline.HeaderTopic, topic)
	h.Set(shopline.HeaderShopDomain, "shophub.myshopline.com")
	h.Set(shopline.HeaderShopID, "1644828244663") // the shop_id of the example's body
	h.Set(shopline.HeaderMerchantID, "2000001234")
	h.Set(shopline.HeaderAPIVersion, "v20210901")
	h.Set(shopline.HeaderWebhookID, "b54557e48a5fbf7d70bcd043")
	return h
}

// signedRequest returns a request with valid headers and body signed (in
// base64) with secret; edit, when not nil, changes the headers afterwards.
func signedRequest(topic, secret string, body []byte, edit func(http.Header)) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/shopline", nil)
	r.Header = validHeaders(topic)
	r.Header.Set(shopline.HeaderHmac, shopline.Sign(secret, body))
	if edit != nil {
		edit(r.Header)
	}
	return r
}

func wantCategory(t *testing.T, err, cat error) {
	t.Helper()
	if cat == nil {
		if err != nil {
			t.Fatalf("Verify: %v, want success", err)
		}
		return
	}
	if !errors.Is(err, cat) {
		t.Fatalf("Verify error = %v, want %v", err, cat)
	}
}

func TestNewVerifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		wantErr bool
	}{
		{name: "one secret", secrets: []string{oldSecret}},
		{name: "two secrets", secrets: []string{oldSecret, newSecret}},
		{name: "empties skipped", secrets: []string{"", oldSecret, " "}},
		{name: "none", wantErr: true},
		{name: "only empty and blank", secrets: []string{"", "  "}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := shopline.NewVerifier(shopline.Config{Secrets: tt.secrets})
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewVerifier error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestParseSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{" a , b ", []string{"a", "b"}},
		{"a,,b,", []string{"a", "b"}},
		{" , ", nil},
	}
	for _, tt := range tests {
		if got := shopline.ParseSecrets(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ParseSecrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSign checks Sign and SignHex against RFC 4231 test case 2.
func TestSign(t *testing.T) {
	t.Parallel()
	const wantHex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	const wantB64 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
	body := []byte("what do ya want for nothing?")
	if got := shopline.SignHex("Jefe", body); got != wantHex {
		t.Errorf("SignHex = %s, want %s", got, wantHex)
	}
	if got := shopline.Sign("Jefe", body); got != wantB64 {
		t.Errorf("Sign = %s, want %s", got, wantB64)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "fulfillment-order-update.json")
	const topic = "fulfillment_order/update"
	v := newVerifier(t, oldSecret, newSecret)
	tests := []struct {
		name      string
		signature string // "" = header absent
		body      []byte // nil = the fixture
		want      error
	}{
		{name: "base64, first secret", signature: shopline.Sign(oldSecret, body)},
		{name: "lower-case hex, first secret", signature: shopline.SignHex(oldSecret, body)},
		{name: "upper-case hex", signature: strings.ToUpper(shopline.SignHex(oldSecret, body))},
		{name: "rotated: second secret, base64", signature: shopline.Sign(newSecret, body)},
		{name: "rotated: second secret, hex", signature: shopline.SignHex(newSecret, body)},
		{name: "missing", signature: "", want: provider.ErrUnauthenticated},
		{name: "wrong secret", signature: shopline.Sign("shpss_someone-else", body), want: provider.ErrUnauthenticated},
		{name: "body changed after signing", signature: shopline.Sign(oldSecret, body), body: append(bytes.Clone(body), ' '), want: provider.ErrUnauthenticated},
		{name: "seed's example value", signature: "XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=", want: provider.ErrUnauthenticated},
		{name: "truncated hex", signature: shopline.SignHex(oldSecret, body)[:62], want: provider.ErrUnauthenticated},
		{name: "unpadded base64", signature: strings.TrimRight(shopline.Sign(oldSecret, body), "="), want: provider.ErrUnauthenticated},
		{name: "hex with a prefix", signature: "sha256=" + shopline.SignHex(oldSecret, body), want: provider.ErrUnauthenticated},
		{name: "not hex", signature: strings.Repeat("g", 64), want: provider.ErrUnauthenticated},
		{name: "MAC of the empty body", signature: shopline.Sign(oldSecret, nil), want: provider.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sent := body
			if tt.body != nil {
				sent = tt.body
			}
			r := signedRequest(topic, oldSecret, sent, func(h http.Header) {
				h.Del(shopline.HeaderHmac)
				if tt.signature != "" {
					h.Set(shopline.HeaderHmac, tt.signature)
				}
			})
			_, err := v.Verify(context.Background(), provider.RequestOf(r), sent)
			wantCategory(t, err, tt.want)
		})
	}
}

// TestVerifyAuthenticatesFirst: a forged request is refused as
// unauthenticated even when it is also malformed, so an attacker learns
// nothing about what a well-formed request looks like.
func TestVerifyAuthenticatesFirst(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, oldSecret)
	body := []byte(`not json`)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/shopline", nil)
	r.Header.Set(shopline.HeaderHmac, shopline.Sign("forger", body))
	_, err := v.Verify(context.Background(), provider.RequestOf(r), body)
	wantCategory(t, err, provider.ErrUnauthenticated)
}

func TestVerifyHeaders(t *testing.T) {
	t.Parallel()
	// A body that names no shop, so that any valid X-Shopline-Shop-Id fits.
	body := []byte(`{"fulfillment_order": {"id": "4005740193290131085320", "status": "on_hold"}}`)
	v := newVerifier(t, oldSecret)
	type test struct {
		name   string
		header string
		value  string // "" = removed
		want   error
	}
	var tests []test
	for _, name := range []string{
		shopline.HeaderTopic, shopline.HeaderShopDomain, shopline.HeaderShopID,
		shopline.HeaderMerchantID, shopline.HeaderAPIVersion, shopline.HeaderWebhookID,
	} {
		tests = append(tests, test{name: "missing " + name, header: name, want: provider.ErrMalformed})
	}
	tests = append(tests, []test{
		{name: "shop id with letters", header: shopline.HeaderShopID, value: "16104181234a6", want: provider.ErrMalformed},
		{name: "shop id negative", header: shopline.HeaderShopID, value: "-1610418123456", want: provider.ErrMalformed},
		{name: "shop id of 21 digits", header: shopline.HeaderShopID, value: strings.Repeat("1", 21), want: provider.ErrMalformed},
		{name: "shop id of 20 digits", header: shopline.HeaderShopID, value: strings.Repeat("1", 20)},
		{name: "merchant id with a space", header: shopline.HeaderMerchantID, value: "2000 001234", want: provider.ErrMalformed},
		{name: "webhook id with a dot", header: shopline.HeaderWebhookID, value: "b54557e4.8a5f", want: provider.ErrMalformed},
		{name: "webhook id of 129 bytes", header: shopline.HeaderWebhookID, value: strings.Repeat("a", 129), want: provider.ErrMalformed},
		{name: "webhook id uuid", header: shopline.HeaderWebhookID, value: "8f14e45f-ceea-467a-9d3b-1c5e2e5a1f00"},
		{name: "domain with underscore", header: shopline.HeaderShopDomain, value: "shop_hub.myshopline.com", want: provider.ErrMalformed},
		{name: "domain with slash", header: shopline.HeaderShopDomain, value: "shophub.myshopline.com/x", want: provider.ErrMalformed},
		{name: "domain with empty label", header: shopline.HeaderShopDomain, value: "shophub..myshopline.com", want: provider.ErrMalformed},
		{name: "domain too long", header: shopline.HeaderShopDomain, value: strings.Repeat("a.", 127) + "com", want: provider.ErrMalformed},
		{name: "domain in upper case", header: shopline.HeaderShopDomain, value: "ShopHub.MyShopline.com"},
		{name: "api version dated", header: shopline.HeaderAPIVersion, value: "2021-09-01"},
		{name: "api version dotted", header: shopline.HeaderAPIVersion, value: "v1.2"},
		{name: "api version with a space", header: shopline.HeaderAPIVersion, value: "v 1", want: provider.ErrMalformed},
		{name: "api version too long", header: shopline.HeaderAPIVersion, value: strings.Repeat("v", 33), want: provider.ErrMalformed},
		{name: "topic too long", header: shopline.HeaderTopic, value: strings.Repeat("a", 129), want: provider.ErrMalformed},
		{name: "topic of another family than the body", header: shopline.HeaderTopic, value: "products/update", want: provider.ErrMalformed},
		{name: "fulfillment order under an orders topic", header: shopline.HeaderTopic, value: "orders/create", want: provider.ErrMalformed},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := signedRequest("fulfillment_order/update", oldSecret, body, func(h http.Header) {
				h.Del(tt.header)
				if tt.value != "" {
					h.Set(tt.header, tt.value)
				}
			})
			_, err := v.Verify(context.Background(), provider.RequestOf(r), body)
			wantCategory(t, err, tt.want)
			if err != nil && !strings.Contains(err.Error(), tt.header) {
				t.Errorf("error %q does not name %s", err, tt.header)
			}
		})
	}
}

func TestVerifyBody(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, oldSecret)
	tests := []struct {
		name string
		body string
		want error
	}{
		{name: "empty object", body: `{"fulfillment_order": {}}`},
		{name: "object after whitespace", body: " \n{\"fulfillment_order\": {\"id\": 1}}"},
		{name: "empty", body: ``, want: provider.ErrMalformed},
		{name: "array", body: `[{"id": 1}]`, want: provider.ErrMalformed},
		{name: "string", body: `"{}"`, want: provider.ErrMalformed},
		{name: "null", body: `null`, want: provider.ErrMalformed},
		{name: "number", body: `42`, want: provider.ErrMalformed},
		{name: "broken JSON", body: `{"fulfillment_order": {"id": "1",}`, want: provider.ErrMalformed},
		{name: "two objects", body: `{}{}`, want: provider.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.body)
			_, err := v.Verify(context.Background(), provider.RequestOf(signedRequest("fulfillment_order/update", oldSecret, body, nil)), body)
			wantCategory(t, err, tt.want)
		})
	}
}

func TestVerifySubject(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, oldSecret)
	tests := []struct {
		name, topic, body, subject string
		time                       time.Time
	}{
		{name: "fulfillment order id as string", topic: "fulfillment_order/update",
			body: `{"fulfillment_order": {"id": "4005740193290131085320", "order_id": "21057401932826316666967110"}}`, subject: "4005740193290131085320"},
		{name: "fulfillment order id as a big number keeps every digit", topic: "fulfillment_order/on_hold",
			body: `{"fulfillment_order": {"id": 4005740193290131085320}}`, subject: "4005740193290131085320"},
		{name: "fulfillment order updated_at", topic: "fulfillment_order/released",
			body: `{"fulfillment_order": {"id": "1", "updated_at": "2021-05-26T10:00:00-04:00"}}`, subject: "1",
			time: time.Date(2021, 5, 26, 14, 0, 0, 0, time.UTC)},
		{name: "topic unknown but plausible", topic: "products/update", body: `{"id": "9"}`, subject: "9"},
		{name: "fulfillment order not an object", topic: "fulfillment_order/update", body: `{"fulfillment_order": "4005"}`},
		{name: "fulfillment order id null", topic: "fulfillment_order/update", body: `{"fulfillment_order": {"id": null}}`},
		{name: "fulfillment order id an object", topic: "fulfillment_order/update", body: `{"fulfillment_order": {"id": {"x": 1}}}`},
		{name: "order id as string", topic: "orders/updated", body: `{"id": "21057401932826316666967110"}`, subject: "21057401932826316666967110"},
		{name: "order id as number", topic: "orders/paid", body: `{"id": 1039283, "updated_at": "2021-05-26T10:00:00Z"}`, subject: "1039283",
			time: time.Date(2021, 5, 26, 10, 0, 0, 0, time.UTC)},
		{name: "order bad updated_at", topic: "orders/paid", body: `{"id": 1, "updated_at": "26/05/2021"}`, subject: "1"},
		{name: "fulfillment order_id preferred", topic: "fulfillments/create", body: `{"id": 7, "order_id": "8"}`, subject: "8"},
		{name: "fulfillment id when no order_id", topic: "fulfillments/update", body: `{"id": 7}`, subject: "7"},
		{name: "id too long for a subject", topic: "orders/create", body: `{"id": "` + strings.Repeat("1", 129) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.body)
			wh, err := v.Verify(context.Background(), provider.RequestOf(signedRequest(tt.topic, oldSecret, body, nil)), body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if wh.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", wh.Subject, tt.subject)
			}
			if !wh.Time.Equal(tt.time) {
				t.Errorf("time = %v, want %v", wh.Time, tt.time)
			}
		})
	}
}

func TestVerifyFixture(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "fulfillment-order-update.json")
	v := newVerifier(t, oldSecret)
	r := signedRequest("fulfillment_order/update", oldSecret, body, func(h http.Header) {
		h.Set(shopline.HeaderShopDomain, "ShopHub.myshopline.com")
	})
	wh, err := v.Verify(context.Background(), provider.RequestOf(r), body)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	checks := []struct{ field, got, want string }{
		{"Provider", wh.Provider, "shopline"},
		{"Event", wh.Event, "fulfillment_order/update"},
		{"ID", wh.ID, shopline.WebhookID("fulfillment_order/update", "1644828244663", body)},
		{"Source", wh.Source, "/shopline/shops/1644828244663"},
		{"Subject", wh.Subject, "4005740193290131085320"},
		{"shopid", wh.Extensions["shopid"], "1644828244663"},
		{"webhookid", wh.Extensions["webhookid"], "b54557e48a5fbf7d70bcd043"},
		{"merchantid", wh.Extensions["merchantid"], "2000001234"},
		{"shopdomain", wh.Extensions["shopdomain"], "shophub.myshopline.com"},
		{"apiversion", wh.Extensions["apiversion"], "v20210901"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if len(wh.Extensions) != 5 {
		t.Errorf("extensions = %v, want exactly shopid, merchantid, shopdomain, apiversion, webhookid", wh.Extensions)
	}
	if !wh.Time.IsZero() {
		t.Errorf("time = %v, want zero (the fixture has no updated_at)", wh.Time)
	}
	if !bytes.Equal(wh.Body, body) {
		t.Error("body changed")
	}
}

// TestVerifyOverHTTP sends the headers in lower case over a real
// connection, as some senders do: names are case-insensitive.
func TestVerifyOverHTTP(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "fulfillment-order-update.json")
	v := newVerifier(t, oldSecret)
	results := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err == nil {
			_, err = v.Verify(r.Context(), provider.RequestOf(r), b)
		}
		results <- err
	}))
	t.Cleanup(srv.Close)

	req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range validHeaders("fulfillment_order/update") {
		req.Header[strings.ToLower(name)] = values
	}
	req.Header["x-shopline-hmac-sha256"] = []string{shopline.SignHex(oldSecret, body)}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-results; err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// The signature covers the body, not the headers: one signed body replayed
// under other webhook ids is one event (the same ID), and it cannot be
// replayed for another shop than its own or under a topic of another
// family, which would create new subjects.
func TestSignedBodyCannotBeReplayedUnderOtherHeaders(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "fulfillment-order-update.json")
	v := newVerifier(t, oldSecret)
	verify := func(edit func(http.Header)) (provider.Webhook, error) {
		return v.Verify(context.Background(), provider.RequestOf(signedRequest("fulfillment_order/update", oldSecret, body, edit)), body)
	}
	first, err := verify(nil)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := verify(func(h http.Header) { h.Set(shopline.HeaderWebhookID, "another-id") })
	if err != nil || replayed.ID != first.ID {
		t.Errorf("replay under another webhook id: ID %q (%v), want %q", replayed.ID, err, first.ID)
	}
	_, err = verify(func(h http.Header) { h.Set(shopline.HeaderShopID, "1610418123456") })
	wantCategory(t, err, provider.ErrMalformed)
	if err != nil && !strings.Contains(err.Error(), shopline.HeaderShopID) {
		t.Errorf("error %q does not name %s", err, shopline.HeaderShopID)
	}
	_, err = verify(func(h http.Header) { h.Set(shopline.HeaderTopic, "orders/delete") })
	wantCategory(t, err, provider.ErrMalformed)
	// A resend (same body, same headers) keeps its ID: de-duplicated.
	if again, err := verify(nil); err != nil || again.ID != first.ID {
		t.Errorf("resend: ID %q (%v), want %q", again.ID, err, first.ID)
	}
}

// A Verifier for one shop holds a genuine webhook to that shop: the app's
// secret signs every shop's webhooks, so another shop's, in the header or
// in the body, is refused as unauthenticated, not as malformed.
func TestVerifyOneShop(t *testing.T) {
	t.Parallel()
	v, err := shopline.NewVerifier(shopline.Config{Secrets: []string{oldSecret}, ShopID: "1644828244663"})
	if err != nil {
		t.Fatal(err)
	}
	other := func(h http.Header) { h.Set(shopline.HeaderShopID, "1610418999999") }
	tests := []struct {
		name string
		body string
		edit func(http.Header)
		want error
	}{
		{name: "the shop, in header and body", body: `{"fulfillment_order": {"id": "1", "shop_id": "1644828244663"}}`},
		{name: "the shop, body silent", body: `{"fulfillment_order": {"id": "1"}}`},
		{name: "another shop in both", body: `{"fulfillment_order": {"id": "1", "shop_id": "1610418999999"}}`, edit: other, want: provider.ErrUnauthenticated},
		{name: "another shop in the header", body: `{"fulfillment_order": {"id": "1"}}`, edit: other, want: provider.ErrUnauthenticated},
		{name: "another shop in the body", body: `{"fulfillment_order": {"id": "1", "shop_id": "1610418999999"}}`, want: provider.ErrUnauthenticated},
		{name: "another shop at the body's top level", body: `{"fulfillment_order": {"id": "1"}, "shop_id": 1610418999999}`, want: provider.ErrUnauthenticated},
		{name: "the shop, bad signature", body: `{"fulfillment_order": {"id": "1"}}`,
			edit: func(h http.Header) { h.Set(shopline.HeaderHmac, shopline.Sign(newSecret, []byte("x"))) }, want: provider.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.body)
			wh, err := v.Verify(context.Background(), provider.RequestOf(signedRequest("fulfillment_order/update", oldSecret, body, tt.edit)), body)
			wantCategory(t, err, tt.want)
			if err == nil && wh.Extensions["shopid"] != "1644828244663" {
				t.Errorf("shopid = %q", wh.Extensions["shopid"])
			}
		})
	}
}

// A Verifier with OtherShops refuses their webhooks, by header or by body,
// and accepts any other shop's.
func TestVerifyOtherShops(t *testing.T) {
	t.Parallel()
	v, err := shopline.NewVerifier(shopline.Config{Secrets: []string{oldSecret}, OtherShops: []string{"1610418999999"}})
	if err != nil {
		t.Fatal(err)
	}
	other := func(h http.Header) { h.Set(shopline.HeaderShopID, "1610418999999") }
	for _, tt := range []struct {
		name string
		body string
		edit func(http.Header)
		want error
	}{
		{name: "any shop", body: `{"fulfillment_order": {"id": "1", "shop_id": "1644828244663"}}`},
		{name: "a named shop in the header", body: `{"fulfillment_order": {"id": "1"}}`, edit: other, want: provider.ErrUnauthenticated},
		{name: "a named shop in the body", body: `{"fulfillment_order": {"id": "1", "shop_id": "1610418999999"}}`, want: provider.ErrUnauthenticated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.body)
			_, err := v.Verify(context.Background(), provider.RequestOf(signedRequest("fulfillment_order/update", oldSecret, body, tt.edit)), body)
			wantCategory(t, err, tt.want)
		})
	}
}
