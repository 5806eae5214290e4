package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

var (
	ssKeyA = ShipStationKey{Key: "sandbox-key-a", Secret: "sandbox-secret-a"}
	ssKeyB = ShipStationKey{Key: "sandbox-key-b", Secret: "sandbox-secret-b"}
)

// ssClock is a settable clock for the sandbox's rate-limit windows.
type ssClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *ssClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *ssClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func startShipStationAPI(t *testing.T) (*ShipStationAPI, *httptest.Server, *ssClock) {
	t.Helper()
	api := NewShipStationAPI(ssKeyA, ssKeyB)
	clock := &ssClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	api.SetClock(clock.Now)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return api, srv, clock
}

// ssAnswer is a decoded sandbox answer; raw keeps the body as sent.
type ssAnswer struct {
	status int
	header http.Header
	body   map[string]json.RawMessage
	raw    []byte
}

func (a ssAnswer) int(t *testing.T, field string) int {
	t.Helper()
	var n int
	if err := json.Unmarshal(a.body[field], &n); err != nil {
		t.Fatalf("field %q: %v (body %s)", field, err, a.raw)
	}
	return n
}

func (a ssAnswer) list(t *testing.T, field string) []map[string]any {
	t.Helper()
	var items []map[string]any
	if err := json.Unmarshal(a.body[field], &items); err != nil {
		t.Fatalf("field %q: %v (body %s)", field, err, a.raw)
	}
	return items
}

func (a ssAnswer) message() string {
	var m string
	_ = json.Unmarshal(a.body["message"], &m)
	return m
}

// ssGet sends GET target with key's credentials (none when key is nil).
func ssGet(t *testing.T, srv *httptest.Server, target string, key *ShipStationKey) ssAnswer {
	t.Helper()
	return ssDo(t, srv, http.MethodGet, target, key)
}

func ssDo(t *testing.T, srv *httptest.Server, method, target string, key *ShipStationKey) ssAnswer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != nil {
		req.SetBasicAuth(key.Key, key.Secret)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := ssAnswer{status: resp.StatusCode, header: resp.Header}
	if a.raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get(HeaderSandbox); got != "shipstation" {
		t.Errorf("%s: %s header = %q, want shipstation", target, HeaderSandbox, got)
	}
	if err := json.Unmarshal(a.raw, &a.body); err != nil {
		t.Fatalf("%s: answer is not a JSON object: %s", target, a.raw)
	}
	return a
}

func TestShipStationAPIAuth(t *testing.T) {
	t.Parallel()
	api, srv, _ := startShipStationAPI(t)
	api.Revoke(ssKeyB.Key)
	tests := []struct {
		name       string
		key        *ShipStationKey
		wantStatus int
	}{
		{name: "no credentials", wantStatus: http.StatusUnauthorized},
		{name: "unknown key", key: &ShipStationKey{Key: "nobody", Secret: "x"}, wantStatus: http.StatusUnauthorized},
		{name: "wrong secret", key: &ShipStationKey{Key: ssKeyA.Key, Secret: ssKeyB.Secret}, wantStatus: http.StatusUnauthorized},
		{name: "secret as key", key: &ShipStationKey{Key: ssKeyA.Secret, Secret: ssKeyA.Key}, wantStatus: http.StatusUnauthorized},
		{name: "revoked key", key: &ssKeyB, wantStatus: http.StatusUnauthorized},
		{name: "good key", key: &ssKeyA, wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ssGet(t, srv, "/orders?importBatch=auth", tt.key)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", a.status, tt.wantStatus, a.raw)
			}
			if tt.wantStatus == http.StatusUnauthorized {
				if a.message() != "Unauthorized" {
					t.Errorf("message %q, want Unauthorized", a.message())
				}
				if a.header.Get(shipstation.HeaderRateRemaining) != "" {
					t.Error("a refused request got rate-limit headers for a key")
				}
			}
		})
	}
	api.Reinstate(ssKeyB.Key)
	if a := ssGet(t, srv, "/orders?importBatch=auth", &ssKeyB); a.status != http.StatusOK {
		t.Errorf("reinstated key: status %d", a.status)
	}
}

func TestShipStationAPIRoutes(t *testing.T) {
	t.Parallel()
	_, srv, _ := startShipStationAPI(t)
	tests := []struct {
		name       string
		method     string
		target     string
		wantStatus int
	}{
		{name: "orders", method: http.MethodGet, target: "/orders?importBatch=x", wantStatus: http.StatusOK},
		{name: "shipments", method: http.MethodGet, target: "/shipments?batchId=1", wantStatus: http.StatusOK},
		{name: "fulfillments", method: http.MethodGet, target: "/fulfillments?batchId=1", wantStatus: http.StatusOK},
		{name: "POST", method: http.MethodPost, target: "/orders", wantStatus: http.StatusMethodNotAllowed},
		{name: "unknown path", method: http.MethodGet, target: "/products", wantStatus: http.StatusNotFound},
		{name: "trailing slash", method: http.MethodGet, target: "/orders/", wantStatus: http.StatusNotFound},
		{name: "page 0", method: http.MethodGet, target: "/orders?page=0", wantStatus: http.StatusBadRequest},
		{name: "page not a number", method: http.MethodGet, target: "/orders?page=two", wantStatus: http.StatusBadRequest},
		{name: "pageSize 0", method: http.MethodGet, target: "/orders?pageSize=0", wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if a := ssDo(t, srv, tt.method, tt.target, &ssKeyA); a.status != tt.wantStatus {
				t.Errorf("status %d, want %d (body %s)", a.status, tt.wantStatus, a.raw)
			}
		})
	}
}

func TestShipStationAPIPaging(t *testing.T) {
	t.Parallel()
	api, srv, _ := startShipStationAPI(t)
	api.SetRateLimit(0, 0)
	api.SetBatchSize("big", 1201)
	tests := []struct {
		name      string
		query     string
		zeroPages bool
		wantItems int
		wantPage  int
		wantPages int
	}{
		{name: "first page of 500", query: "importBatch=big&page=1&pageSize=500", wantItems: 500, wantPage: 1, wantPages: 3},
		{name: "last page", query: "importBatch=big&page=3&pageSize=500", wantItems: 201, wantPage: 3, wantPages: 3},
		{name: "past the end", query: "importBatch=big&page=4&pageSize=500", wantItems: 0, wantPage: 4, wantPages: 3},
		{name: "default page size 100", query: "importBatch=big", wantItems: 100, wantPage: 1, wantPages: 13},
		{name: "page size capped at 500", query: "importBatch=big&pageSize=1000", wantItems: 500, wantPage: 1, wantPages: 3},
		{name: "parameters in other case", query: "IMPORTBATCH=big&PAGE=2&PAGESIZE=1000", wantItems: 500, wantPage: 2, wantPages: 3},
		{name: "pages:0 quirk", query: "importBatch=big&page=1&pageSize=500", zeroPages: true, wantItems: 500, wantPage: 1, wantPages: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api.ReportZeroPages(tt.zeroPages)
			a := ssGet(t, srv, "/orders?"+tt.query, &ssKeyA)
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.raw)
			}
			if got := len(a.list(t, "orders")); got != tt.wantItems {
				t.Errorf("%d orders, want %d", got, tt.wantItems)
			}
			if a.int(t, "total") != 1201 || a.int(t, "page") != tt.wantPage || a.int(t, "pages") != tt.wantPages {
				t.Errorf("total/page/pages = %d/%d/%d, want 1201/%d/%d",
					a.int(t, "total"), a.int(t, "page"), a.int(t, "pages"), tt.wantPage, tt.wantPages)
			}
		})
	}
}

var (
	pacificWire = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$`)
	bareDate    = regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)
)

func TestShipStationAPIData(t *testing.T) {
	t.Parallel()
	api, srv, _ := startShipStationAPI(t)
	api.SetRateLimit(0, 0)

	// The same query gives the same bytes; another batch other ids.
	first := ssGet(t, srv, "/orders?storeID=123456&importBatch=7d2f", &ssKeyA)
	again := ssGet(t, srv, "/orders?storeID=123456&importBatch=7d2f", &ssKeyA)
	other := ssGet(t, srv, "/orders?storeID=123456&importBatch=8e30", &ssKeyA)
	if !bytes.Equal(first.raw, again.raw) {
		t.Error("the same query gave different answers")
	}
	if n := first.int(t, "total"); n < 1 || n > 5 {
		t.Errorf("default batch of %d orders, want 1 to 5", n)
	}
	ids := map[float64]bool{}
	for _, o := range first.list(t, "orders") {
		ids[o["orderId"].(float64)] = true
		for _, field := range []string{"orderDate", "createDate", "modifyDate"} {
			if s, _ := o[field].(string); !pacificWire.MatchString(s) {
				t.Errorf("%s = %q, want Pacific time with 7 fractional digits and no offset", field, s)
			}
		}
		if items, _ := o["items"].([]any); len(items) == 0 {
			t.Error("an order without items")
		}
		if store := o["advancedOptions"].(map[string]any)["storeId"]; store != float64(123456) {
			t.Errorf("storeId %v, want 123456", store)
		}
	}
	for _, o := range other.list(t, "orders") {
		if ids[o["orderId"].(float64)] {
			t.Errorf("orderId %v appears in two batches", o["orderId"])
		}
	}

	// Shipments: bare-date shipDate, shipmentItems only on request.
	for _, tt := range []struct {
		query     string
		wantItems bool
	}{
		{"batchId=12345678", false},
		{"batchId=12345678&includeShipmentItems=True", true},
	} {
		a := ssGet(t, srv, "/shipments?"+tt.query, &ssKeyA)
		for _, s := range a.list(t, "shipments") {
			if d, _ := s["shipDate"].(string); !bareDate.MatchString(d) {
				t.Errorf("shipDate %q, want a bare date", d)
			}
			if c, _ := s["createDate"].(string); !pacificWire.MatchString(c) {
				t.Errorf("createDate %q", c)
			}
			if items, _ := s["shipmentItems"].([]any); (len(items) > 0) != tt.wantItems {
				t.Errorf("%s: shipmentItems %v", tt.query, s["shipmentItems"])
			}
		}
	}

	// Fulfillments: display-case carriers.
	api.SetFulfillmentBatchSize("f1", 20)
	for _, f := range ssGet(t, srv, "/fulfillments?batchId=f1", &ssKeyA).list(t, "fulfillments") {
		switch f["carrierCode"] {
		case "USPS", "UPS", "FedEx":
		default:
			t.Errorf("fulfillment carrierCode %v", f["carrierCode"])
		}
	}
}

func TestShipStationAPIBatchSizes(t *testing.T) {
	t.Parallel()
	api, srv, _ := startShipStationAPI(t)
	api.SetRateLimit(0, 0)
	api.SetBatchSize("o", 7)
	api.SetShipmentBatchSize("s", 8)
	api.SetFulfillmentBatchSize("f", 9)
	api.SetBatchSize("empty", 0)
	tests := []struct {
		target string
		want   int
	}{
		{"/orders?importBatch=o", 7},
		{"/shipments?batchId=s", 8},
		{"/fulfillments?batchId=f", 9},
		{"/orders?importBatch=empty", 0},
		{"/shipments?batchId=o", -1}, // sizes are per collection: default
	}
	for _, tt := range tests {
		a := ssGet(t, srv, tt.target, &ssKeyA)
		got := a.int(t, "total")
		if tt.want >= 0 && got != tt.want || tt.want < 0 && (got < 1 || got > 5) {
			t.Errorf("%s: total %d, want %d", tt.target, got, tt.want)
		}
	}
	api.SetBatchSize("o", -1)
	if got := ssGet(t, srv, "/orders?importBatch=o", &ssKeyA).int(t, "total"); got < 1 || got > 5 {
		t.Errorf("after reset to default: total %d", got)
	}
}

func TestShipStationAPIRateLimit(t *testing.T) {
	t.Parallel()
	api, srv, clock := startShipStationAPI(t)
	api.SetRateLimit(3, time.Minute)
	steps := []struct {
		name          string
		key           *ShipStationKey
		advance       time.Duration
		wantStatus    int
		wantRemaining string
		wantReset     string
	}{
		{name: "first", key: &ssKeyA, wantStatus: http.StatusOK, wantRemaining: "2", wantReset: "60"},
		{name: "second, 20s on", key: &ssKeyA, advance: 20 * time.Second, wantStatus: http.StatusOK, wantRemaining: "1", wantReset: "40"},
		{name: "third", key: &ssKeyA, wantStatus: http.StatusOK, wantRemaining: "0", wantReset: "40"},
		{name: "fourth is refused", key: &ssKeyA, advance: 500 * time.Millisecond, wantStatus: http.StatusTooManyRequests, wantRemaining: "0", wantReset: "40"},
		{name: "another key has its own window", key: &ssKeyB, wantStatus: http.StatusOK, wantRemaining: "2", wantReset: "60"},
		{name: "after the reset", key: &ssKeyA, advance: 40 * time.Second, wantStatus: http.StatusOK, wantRemaining: "2", wantReset: "60"},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		a := ssGet(t, srv, "/orders?importBatch=r", s.key)
		if a.status != s.wantStatus {
			t.Fatalf("%s: status %d, want %d", s.name, a.status, s.wantStatus)
		}
		h := a.header
		if h.Get(shipstation.HeaderRateLimit) != "3" || h.Get(shipstation.HeaderRateRemaining) != s.wantRemaining || h.Get(shipstation.HeaderRateReset) != s.wantReset {
			t.Errorf("%s: limit/remaining/reset = %s/%s/%s, want 3/%s/%s", s.name,
				h.Get(shipstation.HeaderRateLimit), h.Get(shipstation.HeaderRateRemaining), h.Get(shipstation.HeaderRateReset),
				s.wantRemaining, s.wantReset)
		}
		if s.wantStatus == http.StatusTooManyRequests && a.message() != "Too Many Requests" {
			t.Errorf("%s: message %q", s.name, a.message())
		}
	}

	api.SetRateLimit(0, 0)
	for range 50 {
		a := ssGet(t, srv, "/orders?importBatch=r", &ssKeyA)
		if a.status != http.StatusOK || a.header.Get(shipstation.HeaderRateRemaining) != "" {
			t.Fatalf("unlimited: status %d, remaining %q", a.status, a.header.Get(shipstation.HeaderRateRemaining))
		}
	}
}

func TestShipStationAPIFailNextAndCounts(t *testing.T) {
	t.Parallel()
	api, srv, _ := startShipStationAPI(t)
	api.FailNext(2, http.StatusServiceUnavailable)
	for i := range 2 {
		if a := ssGet(t, srv, "/orders?importBatch=f", nil); a.status != http.StatusServiceUnavailable {
			t.Errorf("request %d: status %d, want 503 whatever the credentials", i+1, a.status)
		}
	}
	if a := ssGet(t, srv, "/orders?importBatch=f", &ssKeyA); a.status != http.StatusOK {
		t.Errorf("after the failures: status %d", a.status)
	} else if a.header.Get(shipstation.HeaderRateRemaining) != strconv.Itoa(ShipStationDefaultRateLimit-1) {
		t.Errorf("the failed requests used the budget: remaining %s", a.header.Get(shipstation.HeaderRateRemaining))
	}

	api.FailNext(1, http.StatusTooManyRequests)
	a := ssGet(t, srv, "/shipments?batchId=1", &ssKeyA)
	if a.status != http.StatusTooManyRequests || a.message() != "Too Many Requests" ||
		a.header.Get(shipstation.HeaderRateRemaining) != "0" || a.header.Get(shipstation.HeaderRateReset) == "" {
		t.Errorf("simulated 429: status %d, body %s, headers %v", a.status, a.raw, a.header)
	}

	if api.Requests() != 4 || api.RequestsFor("/orders") != 3 || api.RequestsFor("/shipments") != 1 || api.RequestsFor("/fulfillments") != 0 {
		t.Errorf("counts: all %d, orders %d, shipments %d, fulfillments %d",
			api.Requests(), api.RequestsFor("/orders"), api.RequestsFor("/shipments"), api.RequestsFor("/fulfillments"))
	}
}

// TestShipStationAPIWithClient runs the real V1 client against the sandbox
// for every collection.
func TestShipStationAPIWithClient(t *testing.T) {
	t.Parallel()
	api, srv, _ := startShipStationAPI(t)
	api.SetBatchSize("import-1", 1201)
	api.SetShipmentBatchSize("555", 3)
	api.SetFulfillmentBatchSize("777", 2)
	hosts, err := shipstation.ParseResourceHosts(regexp.QuoteMeta(srv.Listener.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := shipstation.NewClient(shipstation.ClientConfig{
		Primary:   shipstation.Credentials{Key: ssKeyA.Key, Secret: ssKeyA.Secret},
		Resources: shipstation.ResourcePolicy{Hosts: hosts, AllowHTTP: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	orders, st, err := c.ListOrders(ctx, srv.URL+"/orders?storeID=42&importBatch=import-1&includeOrderItems=True")
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1201 || st.Requests != 3 {
		t.Errorf("%d orders in %d requests, want 1201 in 3", len(orders), st.Requests)
	}
	o := orders[0]
	if o.OrderID == 0 || o.OrderNumber == "" || o.CreateDate.IsZero() || o.ModifyDate.Before(o.CreateDate.Time) ||
		len(o.Items) == 0 || o.ShipTo.PostalCode == "" || o.AdvancedOptions.StoreID != 42 || o.OrderTotal <= 0 {
		t.Errorf("first order is incomplete: %+v", o)
	}

	shipments, _, err := c.ListShipments(ctx, srv.URL+"/shipments?batchId=555&includeShipmentItems=True")
	if err != nil {
		t.Fatal(err)
	}
	if len(shipments) != 3 {
		t.Fatalf("%d shipments, want 3", len(shipments))
	}
	for _, s := range shipments {
		if s.TrackingNumber == "" || len(s.ShipmentItems) == 0 || s.ShipDate.IsZero() {
			t.Errorf("incomplete shipment: %+v", s)
		}
		// A bare shipDate is midnight Pacific.
		if local := s.ShipDate.In(shipstation.Pacific); local.Hour() != 0 || local.Minute() != 0 {
			t.Errorf("shipDate %v is not midnight Pacific", local)
		}
	}

	fulfillments, _, err := c.ListFulfillments(ctx, srv.URL+"/fulfillments?batchId=777")
	if err != nil {
		t.Fatal(err)
	}
	if len(fulfillments) != 2 || fulfillments[0].FulfillmentID == 0 || fulfillments[0].CarrierCode == "" {
		t.Errorf("fulfillments: %+v", fulfillments)
	}
}
