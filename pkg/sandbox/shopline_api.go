package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ShoplinePrefix is where `hookstream dev` serves the SHOPLINE open-API
// sandbox: SHOPLINE_API_URL points here (the real one is the store's
// https://{handle}.myshopline.com).
const ShoplinePrefix = "/shopline"

// SHOPLINE's rate limit: a leaky bucket per app and store.
const (
	ShoplineBucketCapacity = 40
	ShoplineLeakPerSecond  = 4
	// shoplineMinWebhookVersion is the oldest event version whose
	// subscriptions the API manages.
	shoplineMinWebhookVersion = "v20240601"
)

// shoplineVersion is an API version in a path or a body.
var shoplineVersion = regexp.MustCompile(`^v20\d{6}$`)

// ShoplineAPI is a SANDBOX imitation of SHOPLINE's open API, the part that
// manages webhook subscriptions and lists orders, for tests and
// `hookstream dev`. Under /admin/openapi/{version}/ it serves:
//
//	GET    merchants/shop.json  {"data":{"id": the store's id, …}}
//	GET    orders.json          {"orders":[…]}, see shopline_orders.go
//	GET    webhooks.json        {"webhooks":[{id, address, topic, api_version, created_at, updated_at}]}
//	GET    webhooks/count.json  {"count": n}
//	POST   webhooks.json        {"webhook":{address, topic, api_version}} → {"webhook":{…}}
//	PUT    {id}/webhooks.json   {"webhook":{address}} → {"webhook":{…}}
//	DELETE {id}/webhooks.json   {}
//
// as SHOPLINE does: Authorization: Bearer <a configured access token>
// (else 401), a traceId header on every answer, subscriptions kept per
// token (a token belongs to one store), 404 for an unknown id, 422 for a
// missing address or topic or an event version older than v20240601, and
// a leaky bucket per token of ShoplineBucketCapacity requests draining
// ShoplineLeakPerSecond a second, beyond which the answer is 429
// {"errors":"Too many request"}. Every answer has X-Hookstream-Sandbox:
// shopline. Safe for concurrent use.
type ShoplineAPI struct {
	mu       sync.Mutex
	now      func() time.Time
	tokens   map[string]*shoplineAccount
	capacity float64
	leak     float64
	nextID   int64
}

// shoplineAccount is one token's store: its subscriptions, orders and
// bucket.
type shoplineAccount struct {
	// shopID is the store's id (merchants/shop.json), ShoplineShopID
	// unless SetShop changed it.
	shopID string
	hooks  []shoplineHook
	// orders indexes orderList by order id (see shopline_orders.go).
	orders    map[string]int
	orderList []shoplineOrder
	level     float64
	at        time.Time
}

type shoplineHook struct {
	ID         int64  `json:"id"`
	Address    string `json:"address"`
	Topic      string `json:"topic"`
	APIVersion string `json:"api_version"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

// NewShoplineAPI returns a sandbox that accepts these access tokens.
func NewShoplineAPI(accessTokens ...string) *ShoplineAPI {
	s := &ShoplineAPI{now: time.Now, tokens: map[string]*shoplineAccount{}, capacity: ShoplineBucketCapacity,
		leak: ShoplineLeakPerSecond, nextID: 4_100_000_000_000_000_000}
	for _, t := range accessTokens {
		s.tokens[t] = &shoplineAccount{shopID: ShoplineShopID}
	}
	return s
}

// ShoplineShopID is the id of every sandbox store unless SetShop changes
// it: the X-Shopline-Shop-Id of the catalog's SHOPLINE examples, which
// `hookstream send` delivers.
const ShoplineShopID = "1610418123456"

// SetShop makes shopID the id of accessToken's store, as merchants/shop.json
// answers it.
func (s *ShoplineAPI) SetShop(accessToken, shopID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.tokens[accessToken]; a != nil {
		a.shopID = shopID
	}
}

// SetRateLimit changes the bucket: capacity requests, draining perSecond a
// second; capacity 0 removes the limit.
func (s *ShoplineAPI) SetRateLimit(capacity int, perSecond float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.capacity, s.leak = float64(capacity), perSecond
	for _, a := range s.tokens {
		a.level = 0
	}
}

// SetClock replaces the sandbox's clock, which drains the buckets, so that
// a test can share a fake clock with its client.
func (s *ShoplineAPI) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// ServeHTTP serves the sandbox; see [ShoplineAPI]. Checks run in this
// order: credentials (401), rate limit (429), route (404), body (422).
func (s *ShoplineAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(HeaderSandbox, "shopline")
	trace := rand.Text()[:16]
	w.Header().Set("traceId", trace)
	fail := func(status int, msg string) {
		writeJSON(w, status, map[string]string{"errors": msg, "traceId": trace})
	}
	if r.URL.Path == ShoplineOrdersAddPath && r.Method == http.MethodPost {
		s.addOrder(w, r, fail) // before the lock: AddOrder takes it
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(r)
	if a == nil {
		fail(http.StatusUnauthorized, "[API] Invalid API key or access token (unrecognized login or wrong password)")
		return
	}
	if !s.admit(a) {
		fail(http.StatusTooManyRequests, "Too many request")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/admin/openapi/")
	version, rest, _ := strings.Cut(rest, "/")
	if !ok || !shoplineVersion.MatchString(version) {
		fail(http.StatusNotFound, "Not Found")
		return
	}
	id, byID := strings.CutSuffix(rest, "/webhooks.json")
	switch {
	case rest == "webhooks.json" && r.Method == http.MethodGet:
		hooks := a.hooks
		if hooks == nil {
			hooks = []shoplineHook{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"webhooks": hooks})
	case rest == "orders.json" && r.Method == http.MethodGet:
		s.serveOrders(w, r, a, fail)
	case rest == "merchants/shop.json" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"id": a.shopID, "biz_store_status": 2}})
	case rest == "webhooks/count.json" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]int{"count": len(a.hooks)})
	case rest == "webhooks.json" && r.Method == http.MethodPost:
		in, ok := decodeShoplineHook(w, r)
		if !ok || in.Address == "" || len(in.Address) > 255 || in.Topic == "" ||
			!shoplineVersion.MatchString(in.APIVersion) || in.APIVersion < shoplineMinWebhookVersion {
			fail(http.StatusUnprocessableEntity, "address, topic and an api_version from "+shoplineMinWebhookVersion+" on are required")
			return
		}
		s.nextID++
		now := s.now().UTC().Format(time.RFC3339)
		h := shoplineHook{ID: s.nextID, Address: in.Address, Topic: in.Topic, APIVersion: in.APIVersion, CreatedAt: now, UpdatedAt: now}
		a.hooks = append(a.hooks, h)
		writeJSON(w, http.StatusOK, map[string]any{"webhook": h})
	case byID && !strings.Contains(id, "/") && (r.Method == http.MethodPut || r.Method == http.MethodDelete):
		i := slices.IndexFunc(a.hooks, func(h shoplineHook) bool { return strconv.FormatInt(h.ID, 10) == id })
		if i < 0 {
			fail(http.StatusNotFound, "Not Found")
			return
		}
		if r.Method == http.MethodDelete {
			a.hooks = slices.Delete(a.hooks, i, i+1)
			writeJSON(w, http.StatusOK, map[string]any{})
			return
		}
		in, ok := decodeShoplineHook(w, r)
		if !ok || in.Address == "" || len(in.Address) > 255 {
			fail(http.StatusUnprocessableEntity, "address is required")
			return
		}
		a.hooks[i].Address, a.hooks[i].UpdatedAt = in.Address, s.now().UTC().Format(time.RFC3339)
		writeJSON(w, http.StatusOK, map[string]any{"webhook": a.hooks[i]})
	default:
		fail(http.StatusNotFound, "Not Found")
	}
}

// account returns the state of r's bearer token, or nil.
func (s *ShoplineAPI) account(r *http.Request) *shoplineAccount {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return nil
	}
	for t, a := range s.tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			return a
		}
	}
	return nil
}

// admit pours one request into a's bucket, or reports it full.
func (s *ShoplineAPI) admit(a *shoplineAccount) bool {
	if s.capacity <= 0 {
		return true
	}
	now := s.now()
	if !a.at.IsZero() {
		a.level = max(0, a.level-now.Sub(a.at).Seconds()*s.leak)
	}
	a.at = now
	if a.level+1 > s.capacity {
		return false
	}
	a.level++
	return true
}

func decodeShoplineHook(w http.ResponseWriter, r *http.Request) (shoplineHook, bool) {
	var in struct {
		Webhook shoplineHook `json:"webhook"`
	}
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in)
	return in.Webhook, err == nil
}
