package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// call sends one request and returns the status and body.
func call(t *testing.T, h http.Handler, method, path, body string, auth func(*http.Request)) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != nil {
		auth(req)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	data, _ := io.ReadAll(rec.Body)
	return rec.Code, string(data), rec.Header()
}

// The ShipStation webhook sandbox answers with the providers' status codes,
// per key.
func TestShipStationWebhooksStatusCodes(t *testing.T) {
	mux := http.NewServeMux()
	NewShipStationWebhooks([]ShipStationKey{{Key: "k", Secret: "s"}, {Key: "k2", Secret: "s2"}}, "v2a", "v2b").Register(mux)
	v1 := func(k, s string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(k, s) } }
	v2 := func(k string) func(*http.Request) { return func(r *http.Request) { r.Header.Set("api-key", k) } }
	sub := `{"target_url":"https://h/webhooks/shipstation?token=t","event":"ORDER_NOTIFY","store_id":5}`
	for _, tc := range []struct {
		name, method, path, body string
		auth                     func(*http.Request)
		status                   int
		contains                 string
	}{
		{"v1 no credentials", "GET", "/webhooks", "", nil, 401, "Unauthorized"},
		{"v1 wrong secret", "GET", "/webhooks", "", v1("k", "x"), 401, "Unauthorized"},
		{"v1 subscribe", "POST", "/webhooks/subscribe", sub, v1("k", "s"), 201, `"id":7001`},
		{"v1 list", "GET", "/webhooks", "", v1("k", "s"), 200, `"HookType":"ORDER_NOTIFY"`},
		{"v1 list has StoreID", "GET", "/webhooks", "", v1("k", "s"), 200, `"StoreID":5`},
		{"v1 other key sees none", "GET", "/webhooks", "", v1("k2", "s2"), 200, `{"webhooks":[]}`},
		{"v1 unknown event", "POST", "/webhooks/subscribe", `{"target_url":"https://h","event":"NOPE"}`, v1("k", "s"), 400, "invalid"},
		{"v1 delete unknown", "DELETE", "/webhooks/999", "", v1("k", "s"), 404, "999"},
		{"v1 delete", "DELETE", "/webhooks/7001", "", v1("k", "s"), 200, ""},
		{"v1 delete again", "DELETE", "/webhooks/7001", "", v1("k", "s"), 404, ""},
		{"v2 no key", "GET", "/v2/environment/webhooks", "", nil, 401, "unauthorized"},
		{"v2 create", "POST", "/v2/environment/webhooks", `{"name":"n","event":"track_event_v2","url":"https://h/v2"}`, v2("v2a"), 201, `"webhook_id":"se-7002"`},
		{"v2 unknown event", "POST", "/v2/environment/webhooks", `{"event":"TRACK","url":"https://h/v2"}`, v2("v2a"), 400, "event"},
		{"v2 list", "GET", "/v2/environment/webhooks", "", v2("v2a"), 200, `"event":"track_event_v2"`},
		{"v2 other key sees none", "GET", "/v2/environment/webhooks", "", v2("v2b"), 200, `[]`},
		{"v2 get", "GET", "/v2/environment/webhooks/se-7002", "", v2("v2a"), 200, `"url":"https://h/v2"`},
		{"v2 put", "PUT", "/v2/environment/webhooks/se-7002", `{"name":"n","url":"https://h/moved"}`, v2("v2a"), 204, ""},
		{"v2 put moved it", "GET", "/v2/environment/webhooks/se-7002", "", v2("v2a"), 200, `"url":"https://h/moved"`},
		{"v2 put unknown", "PUT", "/v2/environment/webhooks/se-1", `{"url":"https://h"}`, v2("v2a"), 404, "not_found"},
		{"v2 other key cannot delete", "DELETE", "/v2/environment/webhooks/se-7002", "", v2("v2b"), 404, ""},
		{"v2 delete", "DELETE", "/v2/environment/webhooks/se-7002", "", v2("v2a"), 204, ""},
		{"v2 delete again", "DELETE", "/v2/environment/webhooks/se-7002", "", v2("v2a"), 404, ""},
	} {
		status, body, h := call(t, mux, tc.method, tc.path, tc.body, tc.auth)
		if status != tc.status || !strings.Contains(body, tc.contains) || h.Get(HeaderSandbox) != "shipstation" {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, status, body, tc.status, tc.contains)
		}
	}
}

// The SHOPLINE sandbox: Bearer tokens, traceId, 404 and 422, the leaky
// bucket's 429.
func TestShoplineAPIStatusCodes(t *testing.T) {
	api := NewShoplineAPI("tok", "tok2")
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	base := "/admin/openapi/v20260301/"
	create := `{"webhook":{"address":"https://h/webhooks/shopline","topic":"orders/create","api_version":"v20260301"}}`
	for _, tc := range []struct {
		name, method, path, body string
		auth                     func(*http.Request)
		status                   int
		contains                 string
	}{
		{"no token", "GET", base + "webhooks.json", "", nil, 401, "Invalid API key"},
		{"wrong token", "GET", base + "webhooks.json", "", bearer("x"), 401, "traceId"},
		{"create", "POST", base + "webhooks.json", create, bearer("tok"), 200, `"topic":"orders/create"`},
		{"list", "GET", base + "webhooks.json", "", bearer("tok"), 200, `"address":"https://h/webhooks/shopline"`},
		{"count", "GET", base + "webhooks/count.json", "", bearer("tok"), 200, `{"count":1}`},
		{"other token sees none", "GET", base + "webhooks.json", "", bearer("tok2"), 200, `{"webhooks":[]}`},
		{"old event version", "POST", base + "webhooks.json", strings.Replace(create, `"api_version":"v20260301"`, `"api_version":"v20210901"`, 1), bearer("tok"), 422, "v20240601"},
		{"no topic", "POST", base + "webhooks.json", `{"webhook":{"address":"https://h"}}`, bearer("tok"), 422, ""},
		{"put", "PUT", base + "4100000000000000001/webhooks.json", `{"webhook":{"address":"https://h/moved"}}`, bearer("tok"), 200, `"address":"https://h/moved"`},
		{"put unknown", "PUT", base + "1/webhooks.json", `{"webhook":{"address":"https://h"}}`, bearer("tok"), 404, "Not Found"},
		{"bad version path", "GET", "/admin/openapi/latest/webhooks.json", "", bearer("tok"), 404, ""},
		{"delete", "DELETE", base + "4100000000000000001/webhooks.json", "", bearer("tok"), 200, "{}"},
		{"delete again", "DELETE", base + "4100000000000000001/webhooks.json", "", bearer("tok"), 404, ""},
		{"shop", "GET", base + "merchants/shop.json", "", bearer("tok"), 200, `"id":"` + ShoplineShopID + `"`},
		{"shop without a token", "GET", base + "merchants/shop.json", "", nil, 401, ""},
		{"add an order", "POST", ShoplineOrdersAddPath, `{"id":"42","updated_at":"2026-12-01T10:00:00+08:00"}`, bearer("tok"), 200, "{}"},
		{"the order listed", "GET", base + "orders.json?status=any", "", bearer("tok"), 200, `"id":"42"`},
		{"a fulfilled order", "POST", ShoplineOrdersAddPath, `{"id":"44","updated_at":"2026-12-01T10:00:00Z","fulfillment_status":"fulfilled"}`, bearer("tok"), 200, "{}"},
		{"listed as shipped", "GET", base + "orders.json?status=any&fulfillment_status=shipped", "", bearer("tok"), 200, `"id":"44"`},
		{"another store lists none", "GET", base + "orders.json", "", bearer("tok2"), 200, `{"orders":[]}`},
		{"add without a token", "POST", ShoplineOrdersAddPath, `{"id":"43","updated_at":"2026-12-01T10:00:00Z"}`, nil, 401, "unknown shopline access token"},
		{"add without updated_at", "POST", ShoplineOrdersAddPath, `{"id":"43"}`, bearer("tok"), 400, "updated_at"},
	} {
		status, body, h := call(t, api, tc.method, tc.path, tc.body, tc.auth)
		if status != tc.status || !strings.Contains(body, tc.contains) || h.Get("traceId") == "" || h.Get(HeaderSandbox) != "shopline" {
			t.Errorf("%s: %d %s (traceId %q), want %d with %q", tc.name, status, body, h.Get("traceId"), tc.status, tc.contains)
		}
	}
	api.SetShop("tok2", "77")
	if status, body, _ := call(t, api, "GET", base+"merchants/shop.json", "", bearer("tok2")); status != 200 || !strings.Contains(body, `"id":"77"`) {
		t.Errorf("SetShop: %d %s", status, body)
	}
	api.SetRateLimit(3, 0.0001)
	var last int
	var body string
	for range 4 {
		last, body, _ = call(t, api, "GET", base+"webhooks.json", "", bearer("tok"))
	}
	if last != http.StatusTooManyRequests || !strings.Contains(body, `"errors":"Too many request"`) {
		t.Errorf("the 4th request into a bucket of 3: %d %s", last, body)
	}
	if status, _, _ := call(t, api, "GET", base+"webhooks.json", "", bearer("tok2")); status != 200 {
		t.Errorf("another token's bucket: %d", status)
	}
}
