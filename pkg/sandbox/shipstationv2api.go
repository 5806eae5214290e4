package sandbox

import (
	"crypto/subtle"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// Limits of the ShipStation V2 sandbox.
const (
	// ShipStationV2DefaultRateLimit is the sandbox's V2 budget per window,
	// as at ShipStation.
	ShipStationV2DefaultRateLimit = 200
	// shipStationV2DefaultPageSize and shipStationV2MaxPageSize bound
	// page_size.
	shipStationV2DefaultPageSize = 25
	shipStationV2MaxPageSize     = 500
)

// v2Collections are the V2 collections the sandbox serves, by path, with
// their list keys.
var v2Collections = map[string]string{
	shipstation.V2FulfillmentsPath: "fulfillments",
	shipstation.V2SalesOrdersPath:  "sales_orders",
}

// ShipStationV2API is a SANDBOX imitation of the part of ShipStation's V2
// API that V2 webhooks point at, for tests and `hookstream dev`:
//
//	GET /v2/fulfillments  ?fulfillment_id=…&shipment_id=…  (FULFILLMENT_SHIPPED_V2, FULFILLMENT_REJECTED_V2)
//	GET /v2/sales_orders  ?order_source_id=…&batch_id=…     (SALES_ORDERS_IMPORTED_V2)
//
// It checks the api-key header (401 with a V2 error body otherwise),
// keeps a fixed window of SetRateLimit requests (200 a minute by default)
// and answers 429 with Retry-After once it is spent, and pages with page
// (from 1) and page_size (default 25, at most 500), answered as
// {"<list>":[…],"total":N,"page":P,"pages":X,"links":{"first","last",
// "prev","next"}} with absolute hrefs on the request's host.
//
// The data is invented, deterministically from the query (without its
// paging parameters): a fulfillment query naming a fulfillment_id lists
// one fulfillment, any other 1 to 3; a sales order query 1 to 5; SetSize
// fixes a query's size. Every answer has X-Hookstream-Sandbox:
// shipstation-v2. Create one with NewShipStationV2API; all methods are
// safe for concurrent use.
type ShipStationV2API struct {
	mu            sync.Mutex
	now           func() time.Time
	apiKey        string
	limit         int
	window        time.Duration
	start         time.Time
	used          int
	sizes         map[string]int  // "<path>?<query>" → size
	voided        map[string]bool // "<path>?<query>" → its fulfillments are voided
	failLeft      int
	failCode      int
	malformedLeft int
	failPage      map[int]int // page → requests for it still to fail (503)
	requests      int
	byPath        map[string]int
	byPage        map[int]int // requests by page parameter (1 when none)
}

// NewShipStationV2API returns a sandbox that accepts apiKey, with
// ShipStation's V2 rate limit.
func NewShipStationV2API(apiKey string) *ShipStationV2API {
	return &ShipStationV2API{
		now: time.Now, apiKey: apiKey, limit: ShipStationV2DefaultRateLimit, window: time.Minute,
		sizes: map[string]int{}, voided: map[string]bool{}, byPath: map[string]int{},
		failPage: map[int]int{}, byPage: map[int]int{},
	}
}

// SetRateLimit allows n requests per window, starting a fresh window; n = 0
// removes the limit. A window <= 0 means a minute.
func (s *ShipStationV2API) SetRateLimit(n int, window time.Duration) {
	if window <= 0 {
		window = time.Minute
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.window, s.start, s.used = max(n, 0), window, time.Time{}, 0
}

// SetClock replaces the clock that drives the rate-limit window.
func (s *ShipStationV2API) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetSize fixes how many records GET path?query lists (the query without
// page and page_size, in any order); n < 0 restores the default.
func (s *ShipStationV2API) SetSize(path, query string, n int) {
	q, _ := url.ParseQuery(query)
	name := v2BatchName(path, q)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 {
		delete(s.sizes, name)
		return
	}
	s.sizes[name] = min(n, ShipStationMaxBatch)
}

// SetVoided makes the fulfillments GET /v2/fulfillments?query lists voided
// (voided_at an hour after their created_at), or not, as when a user voids
// them in ShipStation; their ids and the rest stay the same.
func (s *ShipStationV2API) SetVoided(query string, voided bool) {
	q, _ := url.ParseQuery(query)
	name := v2BatchName(shipstation.V2FulfillmentsPath, q)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.voided[name] = voided
}

// FailNext makes the next n requests fail with status (and a V2 error
// body) before any other check; a 429 says Retry-After: 1. n <= 0 cancels.
func (s *ShipStationV2API) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = max(n, 0), status
}

// FailPage makes the next n requests for page number page fail with 503,
// as an API that gives out in the middle of a long listing. n <= 0 cancels.
func (s *ShipStationV2API) FailPage(page, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failPage[page] = max(n, 0)
}

// PageRequests returns how many requests asked for page number page (a
// request without a page parameter asks for page 1).
func (s *ShipStationV2API) PageRequests(page int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byPage[page]
}

// MalformNext makes the next n authenticated requests answer 200 with a
// JSON body whose list is not a list, as a broken API would.
func (s *ShipStationV2API) MalformNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.malformedLeft = max(n, 0)
}

// Requests returns how many requests the sandbox received.
func (s *ShipStationV2API) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// RequestsFor returns how many requests named path ("/v2/fulfillments").
func (s *ShipStationV2API) RequestsFor(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byPath[path]
}

// v2Error writes a V2 error answer.
func v2Error(w http.ResponseWriter, status int, errType, code, message string) {
	writeJSON(w, status, map[string]any{
		"request_id": "sandbox",
		"errors": []map[string]string{{
			"error_source": "shipstation", "error_type": errType, "error_code": code, "message": message,
		}},
	})
}

// ServeHTTP serves the sandbox V2 API; see [ShipStationV2API]. Checks run
// in this order: FailPage, FailNext, api-key (401), rate limit (429), method (405),
// path (404), paging parameters (400), MalformNext.
func (s *ShipStationV2API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(HeaderSandbox, "shipstation-v2")
	s.mu.Lock()
	s.requests++
	if len(s.byPath) < 1000 || s.byPath[r.URL.Path] > 0 { // bounded: paths are caller-chosen
		s.byPath[r.URL.Path]++
	}
	now := s.now()
	page := 1
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 0 && n <= 1_000_000 {
		page = n
	}
	if len(s.byPage) < 1000 || s.byPage[page] > 0 { // bounded: pages are caller-chosen
		s.byPage[page]++
	}
	if s.failPage[page] > 0 {
		s.failPage[page]--
		s.mu.Unlock()
		v2Error(w, http.StatusServiceUnavailable, "system", "unspecified", http.StatusText(http.StatusServiceUnavailable))
		return
	}
	if s.failLeft > 0 {
		s.failLeft--
		code := s.failCode
		s.mu.Unlock()
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		v2Error(w, code, "system", "unspecified", http.StatusText(code))
		return
	}
	given := r.Header.Get(shipstation.HeaderV2APIKey)
	if s.apiKey == "" || subtle.ConstantTimeCompare([]byte(given), []byte(s.apiKey)) != 1 {
		s.mu.Unlock()
		v2Error(w, http.StatusUnauthorized, "security", "unauthorized", "The API key is invalid. Please see https://www.shipstation.com/docs/api/")
		return
	}
	if s.limit > 0 {
		if s.start.IsZero() || !now.Before(s.start.Add(s.window)) {
			s.start, s.used = now, 0
		}
		if s.used >= s.limit {
			left := s.start.Add(s.window).Sub(now)
			s.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(ceilSeconds(left)))
			v2Error(w, http.StatusTooManyRequests, "system", "rate_limit_exceeded", "You have exceeded the rate limit.")
			return
		}
		s.used++
	}
	key, known := v2Collections[r.URL.Path]
	q := r.URL.Query()
	name := v2BatchName(r.URL.Path, q)
	size, sized := s.sizes[name]
	voided := s.voided[name]
	malformed := s.malformedLeft > 0 && known && r.Method == http.MethodGet
	if malformed {
		s.malformedLeft--
	}
	s.mu.Unlock()

	switch {
	case r.Method != http.MethodGet:
		v2Error(w, http.StatusMethodNotAllowed, "validation", "invalid_request", "method not allowed")
		return
	case !known:
		v2Error(w, http.StatusNotFound, "validation", "not_found", "resource not found")
		return
	}
	page, pageSize, ok := v2PagingParams(q)
	if !ok {
		v2Error(w, http.StatusBadRequest, "validation", "invalid_field_value", "page and page_size must be positive integers")
		return
	}
	if malformed {
		writeJSON(w, http.StatusOK, map[string]any{key: "not a list", "total": 1, "page": page, "pages": 1})
		return
	}
	b := newV2Batch(r.URL.Path, q, name)
	if sized {
		b.size = size
	}
	b.voided = voided
	items := make([]any, 0, min(pageSize, b.size))
	for i := (page - 1) * pageSize; i < b.size && i < page*pageSize; i++ {
		items = append(items, b.item(i))
	}
	pages := max(1, (b.size+pageSize-1)/pageSize)
	writeJSON(w, http.StatusOK, map[string]any{
		key: items, "total": b.size, "page": page, "pages": pages,
		"links": v2Links(r, q, page, pages, pageSize),
	})
}

// v2Links are a page's first, last, prev and next links, absolute on the
// request's host; prev and next are {} when there is none, as at ShipStation.
func v2Links(r *http.Request, q url.Values, page, pages, pageSize int) map[string]any {
	href := func(p int) map[string]string {
		if p < 1 || p > pages {
			return map[string]string{}
		}
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		v.Set("page_size", strconv.Itoa(pageSize))
		return map[string]string{"href": (&url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: v.Encode()}).String()}
	}
	return map[string]any{"first": href(1), "last": href(pages), "prev": href(page - 1), "next": href(page + 1)}
}

// v2PagingParams reads page (default 1) and page_size (default 25, capped
// at 500).
func v2PagingParams(q url.Values) (page, pageSize int, ok bool) {
	page, pageSize = 1, shipStationV2DefaultPageSize
	for name, into := range map[string]*int{"page": &page, "page_size": &pageSize} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1_000_000 {
				return 0, 0, false
			}
			*into = n
		}
	}
	return page, min(pageSize, shipStationV2MaxPageSize), true
}

// v2BatchName names what a query lists: its path and its query without the
// paging parameters, in a canonical order.
func v2BatchName(path string, q url.Values) string {
	rest := url.Values{}
	for k, v := range q {
		if k != "page" && k != "page_size" {
			rest[k] = v
		}
	}
	return path + "?" + rest.Encode()
}

// v2Batch is what one V2 query lists.
type v2Batch struct {
	path   string
	q      url.Values
	seed   uint64
	size   int
	voided bool
	epoch  time.Time
}

func newV2Batch(path string, q url.Values, name string) v2Batch {
	h := fnv.New64a()
	fmt.Fprint(h, name)
	b := v2Batch{path: path, q: q, seed: h.Sum64()}
	b.epoch = time.Date(2025, 3, 3, 15, 0, 0, 0, time.UTC).Add(time.Duration(b.seed%(90*24)) * time.Hour)
	switch {
	case path == shipstation.V2FulfillmentsPath && q.Get("fulfillment_id") != "":
		b.size = 1
	case path == shipstation.V2FulfillmentsPath:
		b.size = 1 + int(b.seed%3)
	default:
		b.size = 1 + int(b.seed%5)
	}
	return b
}

func (b v2Batch) item(i int) any {
	g := ssRand{state: b.seed ^ uint64(i+1)*0x9e3779b97f4a7c15}
	if b.path == shipstation.V2FulfillmentsPath {
		return b.fulfillment(i, &g)
	}
	return b.salesOrder(i, &g)
}

// v2ID is the i-th "se-" id of a batch, salted per id kind.
func (b v2Batch) v2ID(salt uint64, i int) string {
	return "se-" + strconv.FormatInt(int64(splitmix(b.seed^salt)%90_000_000)+10_000_000+int64(i), 10)
}

// v2Time writes t the way the V2 API does: RFC 3339 in UTC with "Z".
func v2Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

type v2AddressWire struct {
	Name          string  `json:"name"`
	Phone         string  `json:"phone"`
	Email         *string `json:"email"`
	CompanyName   *string `json:"company_name"`
	AddressLine1  string  `json:"address_line1"`
	AddressLine2  *string `json:"address_line2"`
	CityLocality  string  `json:"city_locality"`
	StateProvince string  `json:"state_province"`
	PostalCode    string  `json:"postal_code"`
	CountryCode   string  `json:"country_code"`
}

func v2Address(g *ssRand) (v2AddressWire, string) {
	c, a := pick(g, ssCustomers), pick(g, ssAddresses)
	email := strings.ToLower(c.first+"."+c.last) + "@example.com"
	return v2AddressWire{
		Name: c.first + " " + c.last, Phone: a.phone, AddressLine1: a.street,
		CityLocality: a.city, StateProvince: a.state, PostalCode: a.zip, CountryCode: "US",
	}, email
}

// fulfillment is one record of GET /v2/fulfillments, in the fields the
// V2 documentation lists.
func (b v2Batch) fulfillment(i int, g *ssRand) map[string]any {
	c := pick(g, ssCarriers)
	shipTo, _ := v2Address(g)
	created := b.epoch.Add(time.Duration(i) * 7 * time.Minute)
	id := b.q.Get("fulfillment_id")
	if id == "" {
		id = b.v2ID(0xf1f1, i)
	}
	shipment := b.q.Get("shipment_id")
	if shipment == "" {
		shipment = b.v2ID(0x5151, i)
	}
	var voidedAt any
	if b.voided {
		voidedAt = v2Time(created.Add(time.Hour))
	}
	return map[string]any{
		"fulfillment_id":                     id,
		"shipment_id":                        shipment,
		"shipment_number":                    "V2-" + strconv.Itoa(10_000+int(b.seed%80_000)+i),
		"user_id":                            nil,
		"tracking_number":                    c.tracking(g),
		"created_at":                         v2Time(created),
		"ship_date":                          v2Time(created.Truncate(24 * time.Hour)),
		"voided":                             b.voided,
		"voided_at":                          voidedAt,
		"delivered_at":                       nil,
		"fulfillment_carrier_friendly_name":  c.display,
		"fulfillment_provider_friendly_name": "ShipStation",
		"fulfillment_provider_code":          "shipstation",
		"fulfillment_service_code":           nil,
		"fulfillment_fee":                    map[string]any{"amount": 0, "currency": "usd"},
		"void_requested":                     false,
		"voidable":                           true,
		"order_source_notified":              true,
		"notification_error_message":         nil,
		"ship_to":                            shipTo,
	}
}

// salesOrder is one record of the sales orders listing, in the Sales Order
// object's documented fields; amounts are {"amount","currency"} objects.
func (b v2Batch) salesOrder(i int, g *ssRand) map[string]any {
	shipTo, email := v2Address(g)
	billTo := shipTo
	created := b.epoch.Add(time.Duration(i) * 11 * time.Minute)
	money := func(x float64) map[string]any { return map[string]any{"currency": "usd", "amount": cents(x)} }
	n := 1 + g.intn(3)
	items := make([]map[string]any, 0, n)
	subtotal := 0.0
	for j := range n {
		p := pick(g, ssProducts)
		qty := 1 + g.intn(3)
		subtotal += p.price * float64(qty)
		items = append(items, map[string]any{
			"sales_order_item_id": fmt.Sprintf("%s-%d", b.v2ID(0x1717, i), j+1),
			"line_item_details":   map[string]any{"name": p.name, "sku": p.sku, "weight": map[string]any{"value": 12, "unit": "ounce"}},
			"ship_to":             shipTo,
			"requested_shipping_options": map[string]any{
				"shipping_service": "Standard", "ship_date": nil,
			},
			"price_summary": map[string]any{
				"unit_price": money(p.price), "estimated_tax": money(0), "estimated_shipping": money(0), "total": money(p.price * float64(qty)),
			},
			"quantity": qty,
			"is_gift":  false,
		})
	}
	shipping, tax := 5.99, cents(subtotal*0.08)
	source := b.q.Get("order_source_id")
	if source == "" {
		source = b.v2ID(0x0505, 0)
	}
	paid := g.intn(6) != 0
	payment := "paid"
	if !paid {
		payment = "awaiting_payment"
	}
	return map[string]any{
		"sales_order_id":        fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", splitmix(b.seed^uint64(i))&0xffffffff, g.intn(1<<16), g.intn(1<<12), g.intn(1<<12), splitmix(b.seed+uint64(i))&0xffffffffffff),
		"external_order_id":     strconv.Itoa(4_000_000 + int(b.seed%1_000_000) + i),
		"external_order_number": "#" + strconv.Itoa(1_000+int(b.seed%9_000)+i),
		"order_source": map[string]any{
			"order_source_id": source, "order_source_nickname": "Sandbox store", "order_source_code": "shopify",
			"order_source_friendly_name": "Shopify", "active": true,
			"refresh_info": map[string]any{"status": "idle", "last_refresh_attempt": v2Time(created), "refresh_date": v2Time(created)},
		},
		"sales_order_status": map[string]any{"payment_status": payment, "fulfillment_status": "unfulfilled", "is_cancelled": false},
		"order_date":         v2Time(created.Add(-3 * time.Minute)),
		"created_at":         v2Time(created),
		"modified_at":        v2Time(created.Add(time.Minute)),
		"payment_details": map[string]any{
			"subtotal": money(subtotal), "estimated_shipping": money(shipping), "estimated_tax": money(tax),
			"grand_total": money(subtotal + shipping + tax),
		},
		"customer":          map[string]any{"name": shipTo.Name, "phone": shipTo.Phone, "email": email},
		"bill_to":           billTo,
		"ship_to":           shipTo,
		"sales_order_items": items,
	}
}
