package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/schemas"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// publishModes are the gateway's ways to publish: group commit with
// fast-ingest batches (the default), with atomic batches, and one
// synchronous publish per request.
var publishModes = map[string]map[string]string{
	"fast batches":   nil,
	"atomic batches": {"GATEWAY_PUBLISH_ATOMIC": "true"},
	"no batches":     {"GATEWAY_PUBLISH_BATCH": "1"},
}

// Every event in the catalog, sent as its provider sends it, is stored once
// as a CloudEvent with the body byte for byte; sending it again is answered
// 200 and stores nothing new.
func TestEveryCatalogEventIsStoredOnce(t *testing.T) {
	for mode, env := range publishModes {
		t.Run(mode, func(t *testing.T) { testEveryCatalogEventIsStoredOnce(t, newHarness(t, env)) })
	}
	// A named account's routes store every event as the default's do,
	// as the account's.
	t.Run("account east", func(t *testing.T) { testEveryCatalogEventIsStoredOnce(t, newAccountsHarness(t, nil).as("east")) })
}

func testEveryCatalogEventIsStoredOnce(t *testing.T, h *harness) {
	for _, et := range catalog.Webhooks() {
		t.Run(et.Provider+"/"+et.Event, func(t *testing.T) {
			h.t = t
			body, headers, err := schemas.Example(et)
			if err != nil {
				t.Fatal(err)
			}
			a := h.do(h.signed(et, body, headers))
			wantCode(t, a, http.StatusOK)
			if a.body["status"] != "stored" || a.body["subject"] != et.Subject {
				t.Errorf("answer %v, want status stored on %s", a.body, et.Subject)
			}
			if n := h.onSubject(et.Subject); n != 1 {
				t.Fatalf("%d messages on %s, want 1", n, et.Subject)
			}
			m := h.last(et.Subject)
			if string(m.Data) != string(body) {
				t.Errorf("data differs from the request body")
			}
			for header, want := range map[string]string{
				"ce-specversion":     "1.0",
				"ce-type":            et.Type,
				"ce-provider":        et.Provider,
				"ce-datacontenttype": "application/json",
			} {
				if got := m.Header.Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
			id := m.Header.Get("ce-id")
			if id == "" || id != a.body["id"] || m.Header.Get(ce.HeaderMsgID) != id {
				t.Errorf("ce-id %q, Nats-Msg-Id %q, answer id %v: want one non-empty id", id, m.Header.Get(ce.HeaderMsgID), a.body["id"])
			}
			if !strings.HasPrefix(m.Header.Get("ce-source"), "/"+et.Provider) {
				t.Errorf("ce-source %q does not name the provider", m.Header.Get("ce-source"))
			}
			wantAccount(t, m.Header, h.sender.account)
			e, err := ce.FromMsg(m.Header, m.Data)
			if err != nil {
				t.Fatalf("stored message is not a CloudEvent: %v", err)
			}
			if e.Time().IsZero() {
				t.Errorf("ce-time missing")
			}

			again := h.do(h.signed(et, body, headers)) // the provider's retry
			wantCode(t, again, http.StatusOK)
			if again.body["status"] != "duplicate" || again.body["id"] != id {
				t.Errorf("retry answer %v, want status duplicate with id %s", again.body, id)
			}
			if n := h.onSubject(et.Subject); n != 1 {
				t.Errorf("%d messages on %s after the retry, want 1", n, et.Subject)
			}
		})
	}
}

// Many requests at once share batches; each is answered 200 only once its
// message is stored, and a provider's retries among them store nothing new.
func TestConcurrentWebhooksAreEachStoredOnce(t *testing.T) {
	for mode, env := range publishModes {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, env)
			et, _, headers := exampleOf(t, "shipstation", "ORDER_NOTIFY")
			const unique, copies = 60, 3
			var wg sync.WaitGroup
			codes := make(chan int, unique*copies)
			for i := range unique * copies {
				body := fmt.Appendf(nil, `{"resource_url":"https://ssapi.shipstation.com/orders?storeID=123456&importBatch=c-%d","resource_type":"ORDER_NOTIFY"}`, i%unique)
				wg.Go(func() { codes <- h.do(h.signed(et, body, headers)).code })
			}
			wg.Wait()
			close(codes)
			for code := range codes {
				if code != http.StatusOK {
					t.Errorf("status %d, want 200", code)
				}
			}
			if n := h.stored(); n != unique {
				t.Errorf("%d messages stored, want %d", n, unique)
			}
		})
	}
}

// exampleOf returns a provider's catalog row and example body.
func exampleOf(t *testing.T, provider, event string) (catalog.EventType, []byte, map[string]string) {
	t.Helper()
	et, err := catalog.Webhook(provider, event)
	if err != nil || !et.Known {
		t.Fatalf("%s %s not in the catalog: %v", provider, event, err)
	}
	body, headers, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	return et, body, headers
}

// Bad input of every kind, on every route, gets its status code and a JSON
// error, and nothing is stored.
func TestBadInputIsRefusedAndNothingStored(t *testing.T) {
	h := newHarness(t, nil)
	testBadInputIsRefusedAndNothingStored(t, h)
	t.Run("unknown route", func(t *testing.T) {
		h.t = t
		for _, path := range []string{"/webhooks/shopify", "/webhooks/shipstation/", "/webhooks/shipstation/v2/", "/"} {
			a := h.do(request{path: path, body: []byte(`{}`)})
			wantCode(t, a, http.StatusNotFound)
			wantErrorBody(t, a)
			if a.body["error"] != "not_found" {
				t.Errorf("%s: error %v, want not_found", path, a.body["error"])
			}
		}
	})
}

// A named account's routes refuse bad input as the default account's do.
func TestBadInputToAnAccountIsRefusedAndNothingStored(t *testing.T) {
	testBadInputIsRefusedAndNothingStored(t, newAccountsHarness(t, nil).as("west"))
}

func testBadInputIsRefusedAndNothingStored(t *testing.T, h *harness) {
	withoutQuery := func(path string) string { return strings.SplitN(path, "?", 2)[0] }
	providers := []struct {
		name  string
		event string
		// forge breaks authentication of a correctly signed request.
		forge map[string]func(r *request)
		// unwrap breaks the envelope of an authentic request.
		unwrap func(h *harness, et catalog.EventType, headers map[string]string) request
	}{
		{"shipstation", "ORDER_NOTIFY", map[string]func(r *request){
			"missing token": func(r *request) { r.path = withoutQuery(r.path) },
			"wrong token":   func(r *request) { r.path = withoutQuery(r.path) + "?token=guess" },
		}, wrongBody},
		{"shipstation", "TRACK_EVENT_V2", map[string]func(r *request){
			"missing signature": func(r *request) { r.header.Del("x-shipengine-rsa-sha256-signature") },
			"body changed":      func(r *request) { r.body = append([]byte(" "), r.body...) },
			"stale timestamp":   func(r *request) { r.header.Set("x-shipengine-timestamp", "2020-01-01T00:00:00Z") },
			"signature garbage": func(r *request) { r.header.Set("x-shipengine-rsa-sha256-signature", "!!") },
		}, wrongBody},
		{"snipcart", "order.completed", map[string]func(r *request){
			"missing token":    func(r *request) { r.header.Del(snipcart.HeaderRequestToken) },
			"token not issued": func(r *request) { r.header.Set(snipcart.HeaderRequestToken, "0123456789abcdef0123456789abcdef") },
			"token in path":    func(r *request) { r.header.Set(snipcart.HeaderRequestToken, "../../orders") },
		}, wrongBody},
		{"shopline", "fulfillment_order/update", map[string]func(r *request){
			"missing signature": func(r *request) { r.header.Del(shopline.HeaderHmac) },
			"wrong secret":      func(r *request) { r.header.Set(shopline.HeaderHmac, shopline.Sign("guess", r.body)) },
			"body changed":      func(r *request) { r.body = append(r.body, ' ') },
		}, func(h *harness, et catalog.EventType, headers map[string]string) request {
			// SHOPLINE's envelope is its headers; the body is the resource.
			_, body, _ := exampleOf(h.t, "shopline", "fulfillment_order/update")
			r := h.signed(et, body, headers)
			r.header.Del(shopline.HeaderWebhookID)
			return r
		}},
	}
	for _, p := range providers {
		et, body, headers := exampleOf(t, p.name, p.event)
		route := strings.TrimPrefix(strings.SplitN(h.signed(et, body, headers).path, "?", 2)[0], "/webhooks/")
		t.Run(route, func(t *testing.T) {
			h.t = t
			cases := map[string]struct {
				build func() request
				code  int
			}{
				"GET": {func() request { r := h.signed(et, body, headers); r.method = http.MethodGet; return r }, http.StatusMethodNotAllowed},
				"text/plain": {func() request {
					r := h.signed(et, body, headers)
					r.header.Set("Content-Type", "text/plain")
					return r
				}, http.StatusUnsupportedMediaType},
				"too large": {func() request {
					big := append([]byte(`{"padding":"`), make([]byte, testMaxBody)...)
					return h.signed(et, big, headers)
				}, http.StatusRequestEntityTooLarge},
				"not JSON":       {func() request { return h.signed(et, []byte(`{"resource_url": `), headers) }, http.StatusBadRequest},
				"JSON array":     {func() request { return h.signed(et, []byte(`[1,2]`), headers) }, http.StatusBadRequest},
				"empty body":     {func() request { return h.signed(et, nil, headers) }, http.StatusBadRequest},
				"wrong envelope": {func() request { return p.unwrap(h, et, headers) }, http.StatusBadRequest},
			}
			for name, forge := range p.forge {
				cases["unauthenticated: "+name] = struct {
					build func() request
					code  int
				}{func() request { r := h.signed(et, body, headers); forge(&r); return r }, http.StatusUnauthorized}
			}
			for name, c := range cases {
				t.Run(name, func(t *testing.T) {
					h.t = t
					before := h.stored()
					a := h.do(c.build())
					wantCode(t, a, c.code)
					wantErrorBody(t, a)
					if c.code == http.StatusMethodNotAllowed && a.header.Get("Allow") != http.MethodPost {
						t.Errorf("Allow = %q, want POST", a.header.Get("Allow"))
					}
					if n := h.stored(); n != before {
						t.Errorf("%d messages stored by a refused request", n-before)
					}
				})
			}
		})
	}
}

// wantErrorBody fails unless a's body is the gateway's JSON error.
func wantErrorBody(t *testing.T, a answer) {
	t.Helper()
	name, _ := a.body["error"].(string)
	message, _ := a.body["message"].(string)
	if name == "" || message == "" {
		t.Errorf("error body %v lacks error and message", a.body)
	}
}

// Requests the HTTP server refuses before any route sees them get the same
// JSON errors, and store nothing. A body over the limit is refused before
// it has all arrived, on its Content-Length or once its chunks pass the
// limit; the client still reads the 413, because the gateway drains up to
// twice the limit before it closes the connection.
func TestTransportRefusals(t *testing.T) {
	h := newHarness(t, nil)
	et, body, headers := exampleOf(t, "shipstation", "ORDER_NOTIFY")
	huge := h.signed(et, body, headers)
	huge.header.Set("X-Padding", strings.Repeat("a", 70<<10))
	oversized := func(chunked bool) request {
		r := h.signed(et, append([]byte(`{"padding":"`), make([]byte, 2*testMaxBody-12)...), headers)
		r.chunked = chunked
		return r
	}
	for name, c := range map[string]struct {
		r     request
		code  int
		error string
	}{
		"headers over 64 KiB":             {huge, http.StatusRequestHeaderFieldsTooLarge, "headers_too_large"},
		"POST /healthz":                   {request{path: "/healthz", body: []byte(`{}`)}, http.StatusMethodNotAllowed, "method_not_allowed"},
		"DELETE /metrics":                 {request{method: http.MethodDelete, path: "/metrics"}, http.StatusMethodNotAllowed, "method_not_allowed"},
		"body of twice the limit":         {oversized(false), http.StatusRequestEntityTooLarge, "too_large"},
		"chunked body of twice the limit": {oversized(true), http.StatusRequestEntityTooLarge, "too_large"},
	} {
		t.Run(name, func(t *testing.T) {
			h.t = t
			before := h.stored()
			a := h.do(c.r)
			wantCode(t, a, c.code)
			wantErrorBody(t, a)
			if a.body["error"] != c.error {
				t.Errorf("error %q, want %q", a.body["error"], c.error)
			}
			if n := h.stored(); n != before {
				t.Errorf("%d messages stored by a refused request", n-before)
			}
		})
	}
}

// wrongBody is an authentic request whose JSON body is not the provider's
// envelope.
func wrongBody(h *harness, et catalog.EventType, headers map[string]string) request {
	return h.signed(et, []byte(`{"hello":"world"}`), headers)
}

// A missing Content-Type is accepted when the body is JSON: not every
// provider sends one.
func TestMissingContentTypeIsAccepted(t *testing.T) {
	h := newHarness(t, nil)
	et, body, headers := exampleOf(t, "shopline", "orders/create")
	r := h.signed(et, body, headers)
	r.header.Del("Content-Type")
	wantCode(t, h.do(r), http.StatusOK)
}

// The seed's broken Snipcart examples are malformed requests.
func TestBrokenSeedExamplesAreMalformed(t *testing.T) {
	h := newHarness(t, nil)
	entries, err := schemas.Broken()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no broken seed fixtures")
	}
	for name, body := range entries {
		t.Run(name, func(t *testing.T) {
			h.t = t
			et, _, _ := exampleOf(t, "snipcart", "order.status.changed")
			wantCode(t, h.do(h.signed(et, body, nil)), http.StatusBadRequest)
		})
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// No event name can put a wildcard, a space, an empty token or a foreign
// separator into a subject.
func TestSubjectInjectionIsRefused(t *testing.T) {
	h := newHarness(t, nil)
	long := strings.Repeat("a", 200)
	names := map[string][]string{
		"shopline":    {"orders/*", "orders/>", "orders/ create", "orders/cre ate", "fulfillment_order/up.date", "orders//create", "/orders", "orders/", "订单/create", long, "a/b/c/d/e/f/g/h/i"},
		"snipcart":    {"order.*", "order.>", "order..completed", "order.com pleted", ".order", "order.", "commande.complétée", long},
		"shipstation": {"ORDER.NOTIFY", "ORDER_*", ">", "ORDER NOTIFY", "ORDER/NOTIFY", long},
	}
	for provider, list := range names {
		for _, name := range list {
			t.Run(provider+"/"+name, func(t *testing.T) {
				h.t = t
				var r request
				switch provider {
				case "shopline":
					et, body, headers := exampleOf(t, provider, "orders/create")
					r = h.signed(et, body, headers)
					r.header.Set(shopline.HeaderTopic, name)
				case "snipcart":
					et, _, _ := exampleOf(t, provider, "order.completed")
					body := []byte(`{"eventName":` + strconv.Quote(name) + `,"mode":"Test","createdOn":"2024-01-01T00:00:00Z","content":{"token":"abc"}}`)
					r = h.signed(et, body, nil)
				case "shipstation":
					et, _, _ := exampleOf(t, provider, "ORDER_NOTIFY")
					body := []byte(`{"resource_url":"https://ssapi.shipstation.com/orders?storeID=1","resource_type":` + strconv.Quote(name) + `}`)
					r = h.signed(et, body, nil)
				}
				wantCode(t, h.do(r), http.StatusBadRequest)
			})
		}
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// A resource_url the consumers would send API credentials to must be a
// ShipStation API URL.
func TestShipStationResourceURLAbuseIsRefused(t *testing.T) {
	h := newHarness(t, nil)
	et, _, _ := exampleOf(t, "shipstation", "ORDER_NOTIFY")
	for _, u := range []string{
		"http://ssapi.shipstation.com/orders",
		"https://evil.example/orders",
		"https://ssapi.shipstation.com.evil.example/orders",
		"https://evil.example/ssapi.shipstation.com/orders",
		"https://user:pw@ssapi.shipstation.com/orders",
		"https://ssapi.shipstation.com@evil.example/orders",
		"https://127.0.0.1/orders",
		"https://[::1]/orders",
		"https://ssapi.shipstation.com:8443/orders",
		"https://ssapi.shipstation.com/accounts/listtags",
		"https://ssapi.shipstation.com/orders?x=" + strings.Repeat("a", 200),
		"//ssapi.shipstation.com/orders",
		"ssapi.shipstation.com/orders",
	} {
		t.Run(u, func(t *testing.T) {
			h.t = t
			body := []byte(`{"resource_url":` + strconv.Quote(u) + `,"resource_type":"ORDER_NOTIFY"}`)
			wantCode(t, h.do(h.signed(et, body, nil)), http.StatusBadRequest)
		})
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// While JetStream is down the gateway answers 503 with Retry-After; once it
// is back, the provider's retry is stored, once.
func TestJetStreamDownAnswers503ThenRetryIsStoredOnce(t *testing.T) {
	h := newHarness(t, nil)
	et, body, headers := exampleOf(t, "shopline", "fulfillment_order/update")
	req := h.signed(et, body, headers)

	h.ns.Stop()
	a := h.do(req)
	wantCode(t, a, http.StatusServiceUnavailable)
	if s, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || s <= 0 {
		t.Errorf("Retry-After = %q, want a number of seconds", a.header.Get("Retry-After"))
	}
	ready := h.do(request{method: http.MethodGet, path: "/readyz"})
	wantCode(t, ready, http.StatusServiceUnavailable)

	h.ns.Restart()
	natstest.Eventually(t, "readiness after restart", func() bool {
		return h.do(request{method: http.MethodGet, path: "/readyz"}).code == http.StatusOK
	})
	wantCode(t, h.do(req), http.StatusOK)
	wantCode(t, h.do(req), http.StatusOK)
	if n := h.onSubject(et.Subject); n != 1 {
		t.Errorf("%d messages on %s, want 1", n, et.Subject)
	}
}

// Snipcart's validation endpoint decides: slow or failing is 503 (Snipcart
// retries), unknown token is 401.
func TestSnipcartValidationOutcomes(t *testing.T) {
	h := newHarness(t, nil)
	et, body, headers := exampleOf(t, "snipcart", "order.completed")

	// The answer says which step failed, never why: no status, address or
	// error text of the validation call reaches the caller.
	generic := func(a answer) {
		t.Helper()
		wantCode(t, a, http.StatusServiceUnavailable)
		if msg, _ := a.body["message"].(string); msg != "the webhook could not be authenticated now; retry later" {
			t.Errorf("503 message %q", msg)
		}
	}
	h.snipcart.FailNext(1, http.StatusInternalServerError)
	generic(h.do(h.signed(et, body, headers)))

	h.snipcart.SetDelay(2 * time.Second) // beyond GATEWAY_VERIFY_TIMEOUT
	generic(h.do(h.signed(et, body, headers)))
	h.snipcart.SetDelay(0)

	used := h.signed(et, body, headers)
	wantCode(t, h.do(used), http.StatusOK)
	// The same delivery again (same token, same body): Snipcart would now
	// refuse the used token, but the gateway remembers it validated it.
	wantCode(t, h.do(used), http.StatusOK)
	// The same token with another body is a forgery.
	forged := used
	forged.body = []byte(strings.Replace(string(body), "order.completed", "order.completed ", 1))
	wantCode(t, h.do(forged), http.StatusUnauthorized)
	if n := h.onSubject(et.Subject); n != 1 {
		t.Errorf("%d messages on %s, want 1", n, et.Subject)
	}
}

// A provider whose secret is not configured answers 503 naming the
// variable, never 200.
func TestUnconfiguredProviderAnswers503(t *testing.T) {
	h := newHarness(t, map[string]string{"SHOPLINE_APP_SECRET": ""})
	et, body, headers := exampleOf(t, "shopline", "fulfillment_order/update")
	a := h.do(h.signed(et, body, headers))
	wantCode(t, a, http.StatusServiceUnavailable)
	if msg, _ := a.body["message"].(string); !strings.Contains(msg, "SHOPLINE_APP_SECRET") {
		t.Errorf("message %q does not name SHOPLINE_APP_SECRET", msg)
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// An authenticated event the catalog does not know is stored by rule, and
// counted.
func TestUncataloguedEventIsStoredByRule(t *testing.T) {
	h := newHarness(t, nil)
	et, body, headers := exampleOf(t, "shopline", "orders/create")
	r := h.signed(et, body, headers)
	r.header.Set(shopline.HeaderTopic, "products/create")
	a := h.do(r)
	wantCode(t, a, http.StatusOK)
	const subject = "webhooks.shopline.products.create"
	if a.body["subject"] != subject || h.onSubject(subject) != 1 {
		t.Fatalf("answer %v; want one message on %s", a.body, subject)
	}
	if got := h.last(subject).Header.Get("ce-type"); got != "com.shopline.webhook.products.create" {
		t.Errorf("ce-type %q", got)
	}
	metrics := h.get("/metrics")
	if !strings.Contains(metrics, `hookstream_gateway_uncatalogued_total{provider="shopline"} 1`) {
		t.Errorf("uncatalogued counter not exported:\n%s", grepLines(metrics, "uncatalogued"))
	}
}

// W3C trace context on the request travels on the event.
func TestTraceparentIsCarried(t *testing.T) {
	h := newHarness(t, nil)
	et, body, headers := exampleOf(t, "shopline", "fulfillment_order/update")
	r := h.signed(et, body, headers)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	r.header.Set("traceparent", tp)
	wantCode(t, h.do(r), http.StatusOK)
	if got := h.last(et.Subject).Header.Get("ce-traceparent"); got != tp {
		t.Errorf("ce-traceparent %q, want %q", got, tp)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	h := newHarness(t, nil)
	wantCode(t, h.do(request{method: http.MethodGet, path: "/healthz"}), http.StatusOK)
	wantCode(t, h.do(request{method: http.MethodGet, path: "/readyz"}), http.StatusOK)
	et, body, headers := exampleOf(t, "shopline", "orders/create")
	wantCode(t, h.do(h.signed(et, body, headers)), http.StatusOK)
	m := h.get("/metrics")
	for _, want := range []string{
		`hookstream_gateway_requests_total{code="200",route="shopline"} 1`,
		`hookstream_gateway_publish_duration_seconds_count 1`,
		`hookstream_gateway_publish_batch_size_count 1`, // the request went alone: one batch of one
		`hookstream_gateway_publish_batch_size_bucket{le="1"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func (h *harness) get(path string) string {
	h.t.Helper()
	resp, err := h.client.Get(h.url + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A V2 webhook signed with a key id the gateway has not seen: right after
// a JWKS fetch it may be a key ShipStation published since, so the gateway
// answers 503 with a Retry-After that reaches the next allowed fetch
// (never 401, which would drop a genuine webhook); once the JWKS was
// fetched after it, an unknown key id is forged (401). Nothing is stored
// either way, and the answer says nothing of the cause.
func TestV2UnknownKeyID(t *testing.T) {
	h := newHarness(t, nil)
	et, body, headers := exampleOf(t, "shipstation", "TRACK_EVENT_V2")
	rotated, err := sandbox.NewShipStationV2() // another key, not in the JWKS
	if err != nil {
		t.Fatal(err)
	}
	signedWith := func(signer *sandbox.ShipStationV2) request {
		r := h.signed(et, body, headers)
		signed, err := signer.Headers(body)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range signed {
			r.header.Set(k, v)
		}
		return r
	}
	before := h.stored()
	wantCode(t, h.do(signedWith(rotated)), http.StatusUnauthorized) // fetched now: not there
	a := h.do(signedWith(rotated))
	wantCode(t, a, http.StatusServiceUnavailable)
	if s, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || s < 55 || s > 60 {
		t.Errorf("Retry-After = %q, want the minute until the JWKS may be fetched again", a.header.Get("Retry-After"))
	}
	if msg, _ := a.body["message"].(string); strings.Contains(msg, "key") || strings.Contains(msg, "JWKS") {
		t.Errorf("503 message tells the cause: %q", msg)
	}
	if n := h.stored(); n != before {
		t.Errorf("%d messages stored for an unknown key id", n-before)
	}
	wantCode(t, h.do(signedWith(h.v2)), http.StatusOK) // the published key still works
}

// Snipcart tokens are single-use. A request one replica validated and then
// answered 503 (the event could not be stored) is resent by Snipcart, and
// may reach another replica, which must accept it although Snipcart would
// now call the token used: the replicas share the tokens they validated.
// When that memory cannot be read, the answer is 503, never a guess.
func TestSnipcartResendAfter503OnAnotherReplica(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	h := newHarnessLogging(t, nil, zap.New(zapcore.NewTee(core, zaptest.NewLogger(t).Core())))
	other := h.replica()
	ctx := context.Background()
	et, body, headers := exampleOf(t, "snipcart", "order.completed")
	// Each gateway applies the stream definition once more when it starts
	// serving; wait for both, or one would undo the limit set below.
	natstest.Eventually(t, "both gateways provisioned", func() bool { return logs.FilterMessage("stream ready").Len() == 2 })

	setMaxMsgs := func(n int64) {
		t.Helper()
		info, err := h.stream().Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cfg := info.Config
		cfg.MaxMsgs = n
		if _, err := h.js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.js.Publish(ctx, "webhooks.test.filler", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	setMaxMsgs(1) // full: Discard new refuses the next one
	req := h.signed(et, body, headers)
	wantCode(t, h.do(req), http.StatusServiceUnavailable)
	setMaxMsgs(-1)
	wantCode(t, other.do(req), http.StatusOK)
	if n := h.snipcart.Validations(); n != 1 {
		t.Errorf("%d validation requests, want 1 (the second replica must not ask again)", n)
	}
	if n := h.onSubject(et.Subject); n != 1 {
		t.Errorf("%d messages on %s, want 1", n, et.Subject)
	}

	// Without the shared memory (JetStream is down), a token this replica
	// has not seen cannot be told from a resend: 503, counted, and the
	// token is not spent on Snipcart, so Snipcart's resend will pass.
	h.ns.Stop()
	wantCode(t, other.do(h.signed(et, body, headers)), http.StatusServiceUnavailable)
	if n := h.snipcart.Validations(); n != 1 {
		t.Errorf("%d validation requests, want still 1: the token must not be spent", n)
	}
	if metrics := other.get("/metrics"); !strings.Contains(metrics, "hookstream_gateway_snipcart_token_memory_errors_total 1") {
		t.Errorf("token memory errors not counted:\n%s", grepLines(metrics, "token_memory"))
	}
}

// Snipcart's shipping-rate and tax callbacks wait for rates or taxes in
// the answer: they are refused with a clear 400, before the token is spent
// on Snipcart, never answered "stored".
func TestSnipcartCallbacksAreRefused(t *testing.T) {
	h := newHarness(t, nil)
	et, _, headers := exampleOf(t, "snipcart", "order.completed")
	for _, name := range []string{"shippingrates.fetch", "taxes.calculate"} {
		body := []byte(`{"eventName":"` + name + `","mode":"Live","createdOn":"2026-11-22T19:00:00Z","content":{"token":"1912e4c1-d008-4c15-ab12-fe21a76d30d4","items":[]}}`)
		a := h.do(h.signed(et, body, headers))
		wantCode(t, a, http.StatusBadRequest)
		if msg, _ := a.body["message"].(string); !strings.Contains(msg, name) || !strings.Contains(msg, "synchronous callback") {
			t.Errorf("%s: message %q", name, msg)
		}
	}
	if n := h.snipcart.Validations(); n != 0 {
		t.Errorf("%d validation requests: a refused callback must not spend its token", n)
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}
