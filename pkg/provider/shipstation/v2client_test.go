package shipstation_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

const testV2Key = "v2-test-key"

// v2Env is the sandbox V2 API on loopback and a client for it, on a fake
// clock shared by both.
type v2Env struct {
	api    *sandbox.ShipStationV2API
	url    string
	clock  *fakeClock
	client *shipstation.V2Client
}

func newV2Env(t *testing.T, key string) *v2Env {
	t.Helper()
	e := &v2Env{api: sandbox.NewShipStationV2API(testV2Key), clock: newFakeClock()}
	e.api.SetClock(e.clock.Now)
	srv := httptest.NewServer(e.api)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.client = newV2Client(t, key, srv.URL, e.clock)
	return e
}

func newV2Client(t *testing.T, key, apiURL string, clock *fakeClock) *shipstation.V2Client {
	t.Helper()
	host := strings.TrimPrefix(apiURL, "http://")
	c, err := shipstation.NewV2Client(shipstation.WithV2Sleep(shipstation.V2ClientConfig{
		APIKey:    key,
		Resources: shipstation.ResourcePolicy{Hosts: regexp.MustCompile("^" + regexp.QuoteMeta(host) + "$"), AllowHTTP: true},
		Now:       clock.Now,
	}, clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// collect lists every fulfillment of resourceURL from page from.
func collect(c *shipstation.V2Client, resourceURL string, from int) ([]shipstation.V2Fulfillment, []int, shipstation.Stats, error) {
	var all []shipstation.V2Fulfillment
	var pages []int
	st, err := c.FulfillmentPages(context.Background(), resourceURL, from, func(page int, fs []shipstation.V2Fulfillment) error {
		pages = append(pages, page)
		all = append(all, fs...)
		return nil
	})
	return all, pages, st, err
}

// A split shipment of 250 fulfillments: three pages of 100 through
// links.next, every fulfillment once, fields decoded; resuming from page 3
// fetches only the last page.
func TestV2FulfillmentPagesFollowLinks(t *testing.T) {
	e := newV2Env(t, testV2Key)
	e.api.SetSize(shipstation.V2FulfillmentsPath, "shipment_id=se-777", 250)
	resource := e.url + "/v2/fulfillments?shipment_id=se-777"
	all, pages, st, err := collect(e.client, resource, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 250 || st.Requests != 3 || st.Pages != 3 || len(pages) != 3 || pages[2] != 3 {
		t.Fatalf("%d fulfillments in pages %v, %d requests; want 250 in 1, 2, 3 with 3 requests", len(all), pages, st.Requests)
	}
	seen := map[shipstation.V2ID]bool{}
	for _, f := range all {
		if seen[f.FulfillmentID] || f.ShipmentID != "se-777" || f.TrackingNumber == "" || f.CreatedAt.IsZero() ||
			f.CarrierFriendlyName == "" || f.ShipTo.CountryCode != "US" || f.ShipmentNumber == "" {
			t.Fatalf("fulfillment %+v (seen before: %v)", f, seen[f.FulfillmentID])
		}
		seen[f.FulfillmentID] = true
	}
	rest, pages, st, err := collect(e.client, resource, 3)
	if err != nil || len(rest) != 50 || st.Requests != 1 || pages[0] != 3 {
		t.Errorf("from page 3: %d fulfillments in pages %v with %d requests, %v; want the last 50 in one", len(rest), pages, st.Requests, err)
	}
}

// A server that sends no links: the client pages by number until pages.
func TestV2PagesWithoutLinks(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get(shipstation.HeaderV2APIKey) != testV2Key {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"fulfillments": []map[string]any{{"fulfillment_id": "se-" + strconv.Itoa(page), "shipment_id": "se-1", "created_at": "2025-03-01T10:00:00"}},
			"total":        3, "page": page, "pages": 3,
		})
	}))
	defer srv.Close()
	c := newV2Client(t, testV2Key, srv.URL, newFakeClock())
	all, pages, _, err := collect(c, srv.URL+"/v2/fulfillments?shipment_id=se-1", 1)
	if err != nil || len(all) != 3 || len(pages) != 3 || requests.Load() != 3 {
		t.Fatalf("%d fulfillments in pages %v after %d requests, %v", len(all), pages, requests.Load(), err)
	}
	if want := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC); !all[0].CreatedAt.Equal(want) {
		t.Errorf("created_at without a zone read as %v, want %v (UTC)", all[0].CreatedAt, want)
	}
}

// 429s with Retry-After are waited out on the client's clock, then the page
// comes; more than the client sits out becomes a *RetryAfterError.
func TestV2RetryAfter(t *testing.T) {
	e := newV2Env(t, testV2Key)
	e.api.FailNext(2, http.StatusTooManyRequests) // Retry-After: 1
	all, _, st, err := collect(e.client, e.url+"/v2/fulfillments?fulfillment_id=se-1&shipment_id=se-2", 1)
	if err != nil || len(all) != 1 || st.Requests != 3 {
		t.Fatalf("%d fulfillments, %d requests, %v; want 1 after 3 requests", len(all), st.Requests, err)
	}
	var waited time.Duration
	for _, d := range e.clock.Sleeps() {
		waited += d
	}
	if waited < 2*time.Second {
		t.Errorf("waited %v in all, want at least the two Retry-After seconds", waited)
	}

	// The sandbox's own window: one request a minute; the second call's wait
	// (the rest of the minute) is longer than the client sits out.
	e.api.SetRateLimit(1, time.Minute)
	if _, _, _, err := collect(e.client, e.url+"/v2/fulfillments?fulfillment_id=se-3", 1); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = collect(e.client, e.url+"/v2/fulfillments?fulfillment_id=se-4", 1)
	var ra *shipstation.RetryAfterError
	if !errors.As(err, &ra) || ra.Delay < 30*time.Second || !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("error %v, want a *RetryAfterError of most of a minute", err)
	}
}

// Each answer is classified: retryable, or permanent and why.
func TestV2ErrorsAreClassified(t *testing.T) {
	cases := []struct {
		name string
		key  string
		set  func(*v2Env)
		path string
		want error
		text string
	}{
		{"wrong key", "not-the-key", nil, "/v2/fulfillments?fulfillment_id=se-1", provider.ErrUnauthenticated, "401"},
		{"server error", testV2Key, func(e *v2Env) { e.api.FailNext(1, http.StatusBadGateway) }, "/v2/fulfillments?fulfillment_id=se-1", provider.ErrUnavailable, "502"},
		{"malformed page", testV2Key, func(e *v2Env) { e.api.MalformNext(1) }, "/v2/fulfillments?fulfillment_id=se-1", provider.ErrMalformed, "fulfillments"},
		{"bad request", testV2Key, func(e *v2Env) { e.api.FailNext(1, http.StatusBadRequest) }, "/v2/fulfillments?fulfillment_id=se-1", provider.ErrMalformed, "400"},
		{"another collection", testV2Key, nil, "/v2/sales_orders?batch_id=se-1", provider.ErrMalformed, "path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newV2Env(t, tc.key)
			if tc.set != nil {
				tc.set(e)
			}
			_, _, _, err := collect(e.client, e.url+tc.path, 1)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %v, want %v saying %q", err, tc.want, tc.text)
			}
			if strings.Contains(err.Error(), testV2Key) || strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q names the key", err)
			}
		})
	}
}

// The key goes only where the policy allows: a foreign host, a plain-http
// production URL and a links.next to another host are refused without a
// request to them.
func TestV2HostCheck(t *testing.T) {
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	leaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"fulfillments": []map[string]any{{"fulfillment_id": "se-1", "shipment_id": "se-1"}},
			"total":        2, "page": 1, "pages": 2,
			"links": map[string]any{"next": map[string]string{"href": foreign.URL + "/v2/fulfillments?page=2"}},
		})
	}))
	defer leaky.Close()

	c := newV2Client(t, testV2Key, leaky.URL, newFakeClock())
	_, _, _, err := collect(c, foreign.URL+"/v2/fulfillments?fulfillment_id=se-1", 1)
	if !errors.Is(err, provider.ErrMalformed) || !strings.Contains(err.Error(), "host is not allowed") {
		t.Errorf("foreign resource_url: %v", err)
	}
	all, _, _, err := collect(c, leaky.URL+"/v2/fulfillments?fulfillment_id=se-1", 1)
	if !errors.Is(err, provider.ErrMalformed) || !strings.Contains(err.Error(), "links.next") || len(all) != 1 {
		t.Errorf("links.next to a foreign host: %d fulfillments, %v", len(all), err)
	}
	if foreignHits.Load() != 0 {
		t.Errorf("the foreign host received %d requests", foreignHits.Load())
	}

	// The production policy: api.shipstation.com over https only.
	var prod shipstation.ResourcePolicy
	for raw, ok := range map[string]bool{
		"https://api.shipstation.com/v2/fulfillments?fulfillment_id=se-1":      true,
		"https://api.shipstation.com:443/v2/sales_orders?batch_id=se-1":        true,
		"http://api.shipstation.com/v2/fulfillments?fulfillment_id=se-1":       false,
		"https://ssapi.shipstation.com/v2/fulfillments":                        false,
		"https://api.shipstation.com.evil.example/v2/fulfillments":             false,
		"https://api.shipstation.com/v2/labels/se-1/track":                     false,
		"https://api.shipstation.com/v2/%66ulfillments?fulfillment_id=se-1":    false,
		"https://user@api.shipstation.com/v2/fulfillments?fulfillment_id=se-1": false,
	} {
		if _, err := prod.CheckV2(raw); (err == nil) != ok {
			t.Errorf("CheckV2(%q) = %v, want allowed %v", raw, err, ok)
		}
	}
}

// Sales orders decode with the amounts as objects, numbers or strings.
func TestV2SalesOrderPages(t *testing.T) {
	e := newV2Env(t, testV2Key)
	e.api.SetSize(shipstation.V2SalesOrdersPath, "order_source_id=se-9&batch_id=se-10", 7)
	var all []shipstation.V2SalesOrder
	_, err := e.client.SalesOrderPages(context.Background(), e.url+"/v2/sales_orders?order_source_id=se-9&batch_id=se-10", 1,
		func(_ int, orders []shipstation.V2SalesOrder) error { all = append(all, orders...); return nil })
	if err != nil || len(all) != 7 {
		t.Fatalf("%d sales orders, %v", len(all), err)
	}
	for _, o := range all {
		if o.SalesOrderID == "" || o.OrderSource.OrderSourceID != "se-9" || o.PaymentDetails.GrandTotal.Value == "" ||
			o.PaymentDetails.GrandTotal.Currency != "usd" || len(o.SalesOrderItems) == 0 || o.SalesOrderItems[0].LineItemDetails.SKU == "" {
			t.Fatalf("sales order %+v", o)
		}
	}
	var a shipstation.V2Amount
	for raw, want := range map[string]string{`12.5`: "12.5", `"7.25"`: "7.25", `{"amount":3,"currency":"EUR"}`: "3", `null`: ""} {
		if err := json.Unmarshal([]byte(raw), &a); err != nil || a.Value != want {
			t.Errorf("amount %s: %q, %v; want %q", raw, a.Value, err, want)
		}
	}
	if err := json.Unmarshal([]byte(`"twelve"`), &a); !errors.Is(err, provider.ErrMalformed) {
		t.Errorf("amount \"twelve\": %v, want ErrMalformed", err)
	}
}

// V2 calls are counted under provider "shipstation_v2" by collection and
// status, 429s included; no label takes a value from the request.
func TestV2APICallMetrics(t *testing.T) {
	e := newV2Env(t, testV2Key)
	reg := prometheus.NewRegistry()
	host := strings.TrimPrefix(e.url, "http://")
	c, err := shipstation.NewV2Client(shipstation.WithV2Sleep(shipstation.V2ClientConfig{
		APIKey:    testV2Key,
		Resources: shipstation.ResourcePolicy{Hosts: regexp.MustCompile("^" + regexp.QuoteMeta(host) + "$"), AllowHTTP: true},
		Now:       e.clock.Now,
		Metrics:   reg,
	}, e.clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	e.api.SetSize(shipstation.V2FulfillmentsPath, "shipment_id=se-42", 150)
	e.api.FailNext(1, http.StatusTooManyRequests)
	if _, _, _, err := collect(c, e.url+"/v2/fulfillments?shipment_id=se-42", 1); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP hookstream_provider_api_requests_total Provider API calls by provider, endpoint and HTTP status (429: rate limited; error: no answer).
# TYPE hookstream_provider_api_requests_total counter
hookstream_provider_api_requests_total{endpoint="/v2/fulfillments",provider="shipstation_v2",status="200"} 2
hookstream_provider_api_requests_total{endpoint="/v2/fulfillments",provider="shipstation_v2",status="429"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hookstream_provider_api_requests_total"); err != nil {
		t.Error(err)
	}
}
