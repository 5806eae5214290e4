package shipstation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

var (
	primaryKey   = sandbox.ShipStationKey{Key: "ss-primary-key-4f1c", Secret: "ss-primary-secret-9a7e"}
	secondaryKey = sandbox.ShipStationKey{Key: "ss-secondary-key-77b2", Secret: "ss-secondary-secret-c3d0"}
)

// fakeClock is the client's and the sandbox's clock in these tests: Sleep
// advances it instead of waiting, and records every wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// apiEnv is a sandbox ShipStation V1 API on loopback with both test keys,
// on a fake clock.
type apiEnv struct {
	api   *sandbox.ShipStationAPI
	srv   *httptest.Server
	clock *fakeClock
}

func startAPI(t *testing.T) *apiEnv {
	t.Helper()
	e := &apiEnv{api: sandbox.NewShipStationAPI(primaryKey, secondaryKey), clock: newFakeClock()}
	e.api.SetClock(e.clock.Now)
	e.srv = httptest.NewServer(e.api)
	t.Cleanup(e.srv.Close)
	return e
}

// url returns the sandbox's URL for path and query.
func (e *apiEnv) url(path, query string) string {
	return e.srv.URL + path + "?" + query
}

// onlyHost is a policy admitting exactly the host (and port) of rawURL,
// over http.
func onlyHost(t testing.TB, rawURL string) shipstation.ResourcePolicy {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := shipstation.ParseResourceHosts(regexp.QuoteMeta(u.Host))
	if err != nil {
		t.Fatal(err)
	}
	return shipstation.ResourcePolicy{Hosts: hosts, AllowHTTP: true}
}

// clientFor returns a client for the server at serverURL with both test
// keys, on clock; edit adjusts the config.
func clientFor(t testing.TB, serverURL string, clock *fakeClock, logger *zap.Logger, edit func(*shipstation.ClientConfig)) *shipstation.Client {
	t.Helper()
	cfg := shipstation.ClientConfig{
		Primary:   shipstation.Credentials{Key: primaryKey.Key, Secret: primaryKey.Secret},
		Secondary: shipstation.Credentials{Key: secondaryKey.Key, Secret: secondaryKey.Secret},
		Resources: onlyHost(t, serverURL),
		Now:       clock.Now,
		Logger:    logger,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := shipstation.NewClient(shipstation.WithSleep(cfg, clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *apiEnv) client(t testing.TB, edit func(*shipstation.ClientConfig)) *shipstation.Client {
	t.Helper()
	return clientFor(t, e.srv.URL, e.clock, zap.NewNop(), edit)
}

// spend sends one authenticated request to the sandbox, as another replica
// using the same key would.
func (e *apiEnv) spend(t *testing.T, key sandbox.ShipStationKey) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url("/orders", "importBatch=elsewhere"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(key.Key, key.Secret)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("spending a request: status %d", resp.StatusCode)
	}
}

// counter is a server that records what reaches it: the "evil" host.
type counter struct {
	*httptest.Server
	requests atomic.Int64
	authSeen atomic.Bool
}

func newCounter(t *testing.T) *counter {
	t.Helper()
	c := &counter{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		if r.Header.Get("Authorization") != "" {
			c.authSeen.Store(true)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"orders":[],"total":0,"page":1,"pages":0}`)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *counter) requireUntouched(t *testing.T) {
	t.Helper()
	if n := c.requests.Load(); n != 0 {
		t.Errorf("the other host got %d requests, want 0", n)
	}
	if c.authSeen.Load() {
		t.Error("the other host saw an Authorization header")
	}
}

func TestNewClientConfig(t *testing.T) {
	t.Parallel()
	primary := shipstation.Credentials{Key: "k", Secret: "s"}
	tests := []struct {
		name    string
		cfg     shipstation.ClientConfig
		wantErr bool
	}{
		{name: "primary only", cfg: shipstation.ClientConfig{Primary: primary}},
		{name: "two keys", cfg: shipstation.ClientConfig{Primary: primary, Secondary: shipstation.Credentials{Key: "k2", Secret: "s2"}}},
		{name: "no primary", cfg: shipstation.ClientConfig{}, wantErr: true},
		{name: "primary without secret", cfg: shipstation.ClientConfig{Primary: shipstation.Credentials{Key: "k"}}, wantErr: true},
		{name: "primary without key", cfg: shipstation.ClientConfig{Primary: shipstation.Credentials{Secret: "s"}}, wantErr: true},
		{name: "half a secondary", cfg: shipstation.ClientConfig{Primary: primary, Secondary: shipstation.Credentials{Key: "k2"}}, wantErr: true},
		{name: "page size above 500", cfg: shipstation.ClientConfig{Primary: primary, PageSize: 501}, wantErr: true},
		{name: "negative page size", cfg: shipstation.ClientConfig{Primary: primary, PageSize: -1}, wantErr: true},
		{name: "negative rate", cfg: shipstation.ClientConfig{Primary: primary, RateLimit: -1}, wantErr: true},
		{name: "negative wait", cfg: shipstation.ClientConfig{Primary: primary, MaxInProcessWait: -time.Second}, wantErr: true},
		{name: "relative base URL", cfg: shipstation.ClientConfig{Primary: primary, BaseURL: "/v1"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := shipstation.NewClient(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewClient: err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && c.BaseURL() != shipstation.DefaultBaseURL {
				t.Errorf("BaseURL() = %q, want the default", c.BaseURL())
			}
		})
	}
}

func TestClientListOrdersPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		batchSize    int
		pageSize     int // 0: the default, 500
		zeroPages    bool
		wantRequests int
	}{
		{name: "1201 orders in 3 pages of 500", batchSize: 1201, wantRequests: 3},
		{name: "pages:0 in every answer", batchSize: 1201, zeroPages: true, wantRequests: 3},
		{name: "a full last page needs one more request", batchSize: 1000, wantRequests: 3},
		{name: "one short page", batchSize: 3, wantRequests: 1},
		{name: "empty batch", batchSize: 0, wantRequests: 1},
		{name: "page size 10", batchSize: 25, pageSize: 10, wantRequests: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startAPI(t)
			e.api.SetBatchSize("b-1", tt.batchSize)
			e.api.ReportZeroPages(tt.zeroPages)
			c := e.client(t, func(cfg *shipstation.ClientConfig) { cfg.PageSize = tt.pageSize })

			orders, st, err := c.ListOrders(context.Background(), e.url("/orders", "storeID=123456&importBatch=b-1"))
			if err != nil {
				t.Fatal(err)
			}
			if len(orders) != tt.batchSize {
				t.Errorf("got %d orders, want %d", len(orders), tt.batchSize)
			}
			if st.Requests != tt.wantRequests || st.Pages != tt.wantRequests {
				t.Errorf("Stats = %+v, want %d requests and pages", st, tt.wantRequests)
			}
			if n := e.api.RequestsFor("/orders"); n != tt.wantRequests {
				t.Errorf("sandbox saw %d requests, want %d", n, tt.wantRequests)
			}
			seen := make(map[int64]bool, len(orders))
			for i, o := range orders {
				if seen[o.OrderID] {
					t.Fatalf("order %d: id %d listed twice", i, o.OrderID)
				}
				seen[o.OrderID] = true
				if o.AdvancedOptions.StoreID != 123456 {
					t.Fatalf("order %d: storeId %d, want the resource_url's 123456", i, o.AdvancedOptions.StoreID)
				}
				if o.ModifyDate.IsZero() || o.ModifyDate.Location() != time.UTC {
					t.Fatalf("order %d: modifyDate %v, want a UTC time", i, o.ModifyDate)
				}
			}
			if sleeps := e.clock.Sleeps(); len(sleeps) != 0 {
				t.Errorf("waited %v within the rate limit", sleeps)
			}
		})
	}
}

// pagesServer serves total orders in pages, claiming "pages":claim in every
// answer, and records the queries it got.
func pagesServer(t *testing.T, total, claim int) (*httptest.Server, *[]url.Values) {
	t.Helper()
	var (
		mu      sync.Mutex
		queries []url.Values
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
		var page, size int
		fmt.Sscan(q.Get("page"), &page)
		fmt.Sscan(q.Get("pageSize"), &size)
		var items []string
		for i := (page - 1) * size; i < total && i < page*size; i++ {
			items = append(items, fmt.Sprintf(`{"orderId":%d,"orderDate":"2015-06-29T08:46:27.0000000"}`, 1000+i))
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprintf(w, `{"orders":[%s],"total":%d,"page":%d,"pages":%d}`, strings.Join(items, ","), total, page, claim)
	}))
	t.Cleanup(srv.Close)
	return srv, &queries
}

func TestClientDoesNotTrustPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		total, claim int
		wantRequests int
	}{
		{name: "pages 0 with total 2", total: 2, claim: 0, wantRequests: 1},
		{name: "pages 0 with 7 full-page items", total: 7, claim: 0, wantRequests: 3},
		{name: "pages 9 but the first page is short", total: 2, claim: 9, wantRequests: 1},
		{name: "pages 1 but more pages exist", total: 8, claim: 1, wantRequests: 3},
		{name: "a full last page costs one empty page", total: 9, claim: 3, wantRequests: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, queries := pagesServer(t, tt.total, tt.claim)
			c := clientFor(t, srv.URL, newFakeClock(), zap.NewNop(), func(cfg *shipstation.ClientConfig) { cfg.PageSize = 3 })
			orders, st, err := c.ListOrders(context.Background(), srv.URL+"/orders?storeID=42&importBatch=x")
			if err != nil {
				t.Fatal(err)
			}
			if len(orders) != tt.total || st.Requests != tt.wantRequests {
				t.Fatalf("got %d orders in %d requests, want %d in %d", len(orders), st.Requests, tt.total, tt.wantRequests)
			}
			for i, q := range *queries {
				if q.Get("page") != fmt.Sprint(i+1) || q.Get("pageSize") != "3" || q.Get("storeID") != "42" || q.Get("importBatch") != "x" {
					t.Errorf("request %d had query %v", i+1, q)
				}
			}
		})
	}
}

func TestClientRequestShape(t *testing.T) {
	t.Parallel()
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"shipments":[],"total":0,"page":1,"pages":0}`)
	}))
	t.Cleanup(srv.Close)
	c := clientFor(t, srv.URL, newFakeClock(), zap.NewNop(), nil)
	if _, _, err := c.ListShipments(context.Background(), srv.URL+"/shipments?batchId=12345678&includeShipmentItems=True"); err != nil {
		t.Fatal(err)
	}
	user, pass, ok := got.BasicAuth()
	switch {
	case got.Method != http.MethodGet:
		t.Errorf("method %s", got.Method)
	case !ok || user != primaryKey.Key || pass != primaryKey.Secret:
		t.Errorf("Basic auth %q:%q (%v), want the primary key", user, pass, ok)
	case got.Header.Get("Accept") != "application/json":
		t.Errorf("Accept %q", got.Header.Get("Accept"))
	case got.URL.Query().Get("pageSize") != "500" || got.URL.Query().Get("page") != "1":
		t.Errorf("paging query %q", got.URL.RawQuery)
	case got.URL.Query().Get("includeShipmentItems") != "True" || got.URL.Query().Get("batchId") != "12345678":
		t.Errorf("resource_url's own query lost: %q", got.URL.RawQuery)
	}
}

func TestClientClientSideRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		maxWait      time.Duration
		wantSleeps   []time.Duration
		wantDelay    time.Duration // a RetryAfterError's; 0: success
		wantRequests int
	}{
		{name: "waits out the minute in process", maxWait: 2 * time.Minute, wantSleeps: []time.Duration{time.Minute}, wantRequests: 3},
		{name: "hands a long wait to the caller", maxWait: 10 * time.Second, wantDelay: time.Minute, wantRequests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startAPI(t)
			e.api.SetRateLimit(0, 0) // only the client limits
			e.api.SetBatchSize("b", 25)
			c := e.client(t, func(cfg *shipstation.ClientConfig) {
				cfg.RateLimit = 2
				cfg.PageSize = 10
				cfg.MaxInProcessWait = tt.maxWait
			})
			orders, st, err := c.ListOrders(context.Background(), e.url("/orders", "importBatch=b"))
			requireRetryAfter(t, err, tt.wantDelay)
			if tt.wantDelay == 0 && len(orders) != 25 {
				t.Errorf("got %d orders, want 25", len(orders))
			}
			if st.Requests != tt.wantRequests || e.api.Requests() != tt.wantRequests {
				t.Errorf("Stats.Requests = %d, sandbox saw %d, want %d", st.Requests, e.api.Requests(), tt.wantRequests)
			}
			if got := e.clock.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
		})
	}
}

// requireRetryAfter fails unless err is nil (want 0) or a *RetryAfterError
// with Delay want that also wraps provider.ErrUnavailable.
func requireRetryAfter(t *testing.T, err error, want time.Duration) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("err = %v, want success", err)
		}
		return
	}
	var ra *shipstation.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("err = %v, want a *RetryAfterError", err)
	}
	if ra.Delay != want {
		t.Errorf("Delay = %v, want %v", ra.Delay, want)
	}
	if !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("err = %v does not wrap ErrUnavailable", err)
	}
}

func TestClientServerRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// limit per window at the sandbox; spent: another process used it up first.
		limit        int
		window       time.Duration
		spent        bool
		batch        int
		wantSleeps   []time.Duration
		wantDelay    time.Duration
		wantRequests int // at the sandbox, the spending request included
	}{
		{
			name: "remaining 0 makes the next request wait for the reset", limit: 2, window: 30 * time.Second,
			batch: 25, wantSleeps: []time.Duration{30 * time.Second}, wantRequests: 3,
		},
		{
			name: "429 with reset 2 is waited out and the page retried", limit: 1, window: 2 * time.Second, spent: true,
			batch: 5, wantSleeps: []time.Duration{2 * time.Second}, wantRequests: 3,
		},
		{
			name: "429 with reset 120 goes back to the caller", limit: 1, window: 120 * time.Second, spent: true,
			batch: 5, wantDelay: 120 * time.Second, wantRequests: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startAPI(t)
			e.api.SetRateLimit(tt.limit, tt.window)
			e.api.SetBatchSize("b", tt.batch)
			if tt.spent {
				e.spend(t, primaryKey)
			}
			c := e.client(t, func(cfg *shipstation.ClientConfig) {
				cfg.PageSize = 10
				cfg.MaxInProcessWait = time.Minute
			})
			_, _, err := c.ListOrders(context.Background(), e.url("/orders", "importBatch=b"))
			requireRetryAfter(t, err, tt.wantDelay)
			if n := e.api.Requests(); n != tt.wantRequests {
				t.Errorf("sandbox saw %d requests, want %d", n, tt.wantRequests)
			}
			if got := e.clock.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
		})
	}
}

func TestClientRetryAfterAlsoHoldsLaterCalls(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.api.SetRateLimit(1, 120*time.Second)
	e.spend(t, primaryKey)
	c := e.client(t, nil)
	_, _, err := c.ListOrders(context.Background(), e.url("/orders", "importBatch=b"))
	requireRetryAfter(t, err, 120*time.Second)
	// Another message for the same key, 20 s later: no request is sent
	// before the window resets.
	e.clock.Sleep(context.Background(), 20*time.Second)
	_, st, err := c.ListOrders(context.Background(), e.url("/orders", "importBatch=c"))
	requireRetryAfter(t, err, 100*time.Second)
	if st.Requests != 0 || e.api.Requests() != 2 {
		t.Errorf("sent %d requests while the key was rate limited (sandbox saw %d in all)", st.Requests, e.api.Requests())
	}
}

func TestClientKeyRotation(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	core, logs := observer.New(zapcore.DebugLevel)
	c := clientFor(t, e.srv.URL, e.clock, zap.New(core), nil)
	steps := []struct {
		name         string
		revoked      []string
		wantErr      error
		wantRequests int
		wantKey      string // the key that answered, as the sandbox saw it
	}{
		{name: "primary works", wantRequests: 1},
		{name: "primary revoked: secondary tried", revoked: []string{primaryKey.Key}, wantRequests: 2},
		{name: "secondary is sticky", revoked: []string{primaryKey.Key}, wantRequests: 1},
		{name: "secondary revoked: back to primary", revoked: []string{secondaryKey.Key}, wantRequests: 2},
		{name: "primary is sticky again", revoked: []string{secondaryKey.Key}, wantRequests: 1},
		{name: "both revoked", revoked: []string{primaryKey.Key, secondaryKey.Key}, wantErr: provider.ErrUnauthenticated, wantRequests: 2},
		{name: "both revoked, no busy loop", revoked: []string{primaryKey.Key, secondaryKey.Key}, wantErr: provider.ErrUnauthenticated, wantRequests: 2},
	}
	for _, step := range steps {
		for _, k := range []string{primaryKey.Key, secondaryKey.Key} {
			e.api.Reinstate(k)
		}
		for _, k := range step.revoked {
			e.api.Revoke(k)
		}
		before := e.api.Requests()
		orders, st, err := c.ListOrders(context.Background(), e.url("/orders", "importBatch="+url.QueryEscape(step.name)))
		requireCategory(t, err, step.wantErr)
		if err == nil && len(orders) == 0 {
			t.Errorf("%s: no orders", step.name)
		}
		if err != nil && !strings.Contains(err.Error(), "both ShipStation API keys were refused (401)") {
			t.Errorf("%s: err = %v, want it to say both keys were refused", step.name, err)
		}
		if got := e.api.Requests() - before; got != step.wantRequests || st.Requests != step.wantRequests {
			t.Errorf("%s: %d requests (Stats %d), want %d", step.name, got, st.Requests, step.wantRequests)
		}
	}
	if logs.FilterField(zap.String("key_in_use", "secondary")).Len() != 1 ||
		logs.FilterField(zap.String("key_in_use", "primary")).Len() != 1 {
		t.Errorf("want one switch logged to each key, got %v", logs.AllUntimed())
	}
	for _, entry := range logs.AllUntimed() {
		text := fmt.Sprint(entry.Message, entry.ContextMap())
		for _, secret := range []string{primaryKey.Key, primaryKey.Secret, secondaryKey.Key, secondaryKey.Secret} {
			if strings.Contains(text, secret) {
				t.Errorf("a log entry names a key or secret: %s", text)
			}
		}
	}
}

func TestClientSingleKeyRefused(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.api.Revoke(primaryKey.Key)
	c := e.client(t, func(cfg *shipstation.ClientConfig) { cfg.Secondary = shipstation.Credentials{} })
	_, st, err := c.ListOrders(context.Background(), e.url("/orders", "importBatch=b"))
	requireCategory(t, err, provider.ErrUnauthenticated)
	if st.Requests != 1 {
		t.Errorf("%d requests, want 1", st.Requests)
	}
}

func TestClientErrorCategories(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   error
	}{
		{http.StatusInternalServerError, provider.ErrUnavailable},
		{http.StatusBadGateway, provider.ErrUnavailable},
		{http.StatusServiceUnavailable, provider.ErrUnavailable},
		{http.StatusRequestTimeout, provider.ErrUnavailable},
		{http.StatusBadRequest, provider.ErrMalformed},
		{http.StatusForbidden, provider.ErrMalformed},
		{http.StatusNotFound, provider.ErrMalformed},
		{http.StatusConflict, provider.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			e := startAPI(t)
			e.api.FailNext(1, tt.status)
			c := e.client(t, nil)
			_, st, err := c.ListFulfillments(context.Background(), e.url("/fulfillments", "batchId=1"))
			requireCategory(t, err, tt.want)
			var ra *shipstation.RetryAfterError
			if errors.As(err, &ra) {
				t.Errorf("err = %v is a RetryAfterError", err)
			}
			if st.Requests != 1 {
				t.Errorf("%d requests, want 1: the caller decides about retries", st.Requests)
			}
		})
	}
}

// rawServer answers every request with handler.
func rawServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

func TestClientBadAnswers(t *testing.T) {
	t.Parallel()
	hugeBody := func(w http.ResponseWriter) {
		fmt.Fprint(w, `{"orders":[`)
		chunk := strings.Repeat(`{"orderId":1,"orderNumber":"padding-padding-padding"},`, 1<<10)
		for written := 0; written <= shipstation.MaxResponseSize; written += len(chunk) {
			fmt.Fprint(w, chunk)
		}
		fmt.Fprint(w, `{"orderId":1}]}`)
	}
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		want      error
		wantDelay time.Duration
	}{
		{name: "HTML page", want: provider.ErrUnavailable, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>maintenance</html>")
		}},
		{name: "no list", want: provider.ErrMalformed, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"shipments":[],"total":0}`)
		}},
		{name: "not an object", want: provider.ErrMalformed, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[1,2]`)
		}},
		{name: "bad timestamp", want: provider.ErrMalformed, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"orders":[{"orderId":1,"modifyDate":"last Tuesday"}]}`)
		}},
		{name: "body over 32 MiB", want: provider.ErrMalformed, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			hugeBody(w)
		}},
		{name: "429 without headers waits a minute", wantDelay: time.Minute, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"Too Many Requests"}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := rawServer(t, tt.handler)
			c := clientFor(t, srv.URL, newFakeClock(), zap.NewNop(), nil)
			_, _, err := c.ListOrders(context.Background(), srv.URL+"/orders?importBatch=x")
			if tt.wantDelay != 0 {
				requireRetryAfter(t, err, tt.wantDelay)
				return
			}
			requireCategory(t, err, tt.want)
		})
	}
}

func TestClientRefusesRedirects(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			evil := newCounter(t)
			srv := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, evil.URL+"/orders?"+r.URL.RawQuery, status)
			})
			c := clientFor(t, srv.URL, newFakeClock(), zap.NewNop(), func(cfg *shipstation.ClientConfig) {
				// Even a policy that admits the target does not make the
				// client follow.
				cfg.Resources = shipstation.ResourcePolicy{Hosts: regexp.MustCompile(`^127\.0\.0\.1:\d+$`), AllowHTTP: true}
			})
			_, st, err := c.ListOrders(context.Background(), srv.URL+"/orders?importBatch=x")
			requireCategory(t, err, provider.ErrMalformed)
			if !strings.Contains(err.Error(), "redirect refused") {
				t.Errorf("err = %v, want it to say the redirect was refused", err)
			}
			if st.Requests != 1 {
				t.Errorf("%d requests, want 1", st.Requests)
			}
			evil.requireUntouched(t)
		})
	}
}

func TestClientChecksResourceURLFirst(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	evil := newCounter(t)
	c := e.client(t, nil) // admits only the sandbox's host:port
	tests := []struct {
		name string
		list func(ctx context.Context, resourceURL string) error
		url  string
	}{
		{name: "another host", list: listOrders(c), url: evil.URL + "/orders?importBatch=x"},
		{name: "another host's shipments", list: listShipments(c), url: evil.URL + "/shipments?batchId=1"},
		{name: "another host via user info", list: listOrders(c), url: "http://" + strings.TrimPrefix(e.srv.URL, "http://") + "@" + strings.TrimPrefix(evil.URL, "http://") + "/orders"},
		{name: "https only by default", list: listOrders(c), url: strings.Replace(evil.URL, "http://", "https://", 1) + "/orders"},
		{name: "orders URL for shipments", list: listShipments(c), url: e.url("/orders", "importBatch=x")},
		{name: "shipments URL for fulfillments", list: listFulfillments(c), url: e.url("/shipments", "batchId=1")},
		{name: "fulfillments URL for orders", list: listOrders(c), url: e.url("/fulfillments", "batchId=1")},
		{name: "another path", list: listOrders(c), url: e.url("/webhooks", "x=1")},
		{name: "not a URL", list: listOrders(c), url: "orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.list(context.Background(), tt.url)
			requireCategory(t, err, provider.ErrMalformed)
		})
	}
	evil.requireUntouched(t)
	if n := e.api.Requests(); n != 0 {
		t.Errorf("the sandbox got %d requests for refused URLs", n)
	}

	// The production policy admits neither loopback server.
	prod, err := shipstation.NewClient(shipstation.ClientConfig{Primary: shipstation.Credentials{Key: "k", Secret: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = prod.ListOrders(context.Background(), e.url("/orders", "importBatch=x"))
	requireCategory(t, err, provider.ErrMalformed)
	if n := e.api.Requests(); n != 0 {
		t.Errorf("the production policy let %d requests through to loopback", n)
	}
}

func listOrders(c *shipstation.Client) func(context.Context, string) error {
	return func(ctx context.Context, u string) error { _, _, err := c.ListOrders(ctx, u); return err }
}

func listShipments(c *shipstation.Client) func(context.Context, string) error {
	return func(ctx context.Context, u string) error { _, _, err := c.ListShipments(ctx, u); return err }
}

func listFulfillments(c *shipstation.Client) func(context.Context, string) error {
	return func(ctx context.Context, u string) error { _, _, err := c.ListFulfillments(ctx, u); return err }
}

func TestClientTransportFailures(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hanging := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})

	tests := []struct {
		name    string
		server  string
		timeout time.Duration // the HTTP client's
		ctx     func() (context.Context, context.CancelFunc)
		wantCtx error
	}{
		{name: "connection refused", server: closedURL},
		{name: "HTTP client timeout", server: hanging.URL, timeout: 50 * time.Millisecond},
		{name: "caller's deadline", server: hanging.URL, ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, wantCtx: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := clientFor(t, tt.server, newFakeClock(), zap.NewNop(), func(cfg *shipstation.ClientConfig) {
				cfg.HTTPClient = &http.Client{Timeout: tt.timeout}
			})
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, _, err := c.ListOrders(ctx, tt.server+"/orders?importBatch=x")
			requireCategory(t, err, provider.ErrUnavailable)
			if tt.wantCtx != nil && !errors.Is(err, tt.wantCtx) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.wantCtx)
			}
		})
	}
}

func TestClientWaitHonoursContext(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.api.SetRateLimit(0, 0)
	e.api.SetBatchSize("b", 25)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The caller gives up while the client waits for the second page.
	c := clientWithSleep(t, e, func(sleepCtx context.Context, d time.Duration) error {
		cancel()
		return e.clock.Sleep(sleepCtx, d)
	})
	_, st, err := c.ListOrders(ctx, e.url("/orders", "importBatch=b"))
	requireCategory(t, err, provider.ErrUnavailable)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
	if st.Requests != 1 {
		t.Errorf("%d requests, want 1", st.Requests)
	}
}

// clientWithSleep is a one-request-a-minute client for e whose waits go
// through sleep.
func clientWithSleep(t *testing.T, e *apiEnv, sleep func(context.Context, time.Duration) error) *shipstation.Client {
	t.Helper()
	cfg := shipstation.ClientConfig{
		Primary:          shipstation.Credentials{Key: primaryKey.Key, Secret: primaryKey.Secret},
		Resources:        onlyHost(t, e.srv.URL),
		Now:              e.clock.Now,
		RateLimit:        1,
		PageSize:         10,
		MaxInProcessWait: 2 * time.Minute,
	}
	c, err := shipstation.NewClient(shipstation.WithSleep(cfg, sleep))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientConcurrentCallsShareTheBudget(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.api.SetRateLimit(0, 0)
	// The clock stands still and waits are only recorded, so every booking
	// is made at the same instant whatever the goroutines' order.
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	cfg := shipstation.ClientConfig{
		Primary:          shipstation.Credentials{Key: primaryKey.Key, Secret: primaryKey.Secret},
		Resources:        onlyHost(t, e.srv.URL),
		Now:              e.clock.Now,
		RateLimit:        5,
		MaxInProcessWait: 10 * time.Minute,
	}
	c, err := shipstation.NewClient(shipstation.WithSleep(cfg, func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			_, _, err := c.ListOrders(context.Background(), e.url("/orders", fmt.Sprintf("importBatch=c%d", i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// 12 one-page calls at 5 a minute: 5 at once, 5 after a minute, 2 after two.
	slices.Sort(waits)
	want := []time.Duration{time.Minute, time.Minute, time.Minute, time.Minute, time.Minute, 2 * time.Minute, 2 * time.Minute}
	if !slices.Equal(waits, want) {
		t.Errorf("waits = %v, want %v", waits, want)
	}
	if n := e.api.Requests(); n != 12 {
		t.Errorf("sandbox saw %d requests, want 12", n)
	}
}
