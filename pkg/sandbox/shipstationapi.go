package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// ShipStationKey is one V1 API key and secret the sandbox accepts as HTTP
// Basic credentials. (Its own type, so that shipstation need not import
// sandbox.)
type ShipStationKey struct {
	Key, Secret string
}

// Limits of the ShipStation V1 sandbox.
const (
	// ShipStationDefaultRateLimit is the sandbox's budget per key and
	// window, as at ShipStation.
	ShipStationDefaultRateLimit = 40
	// ShipStationMaxBatch is the largest batch SetBatchSize and friends
	// accept; ids leave room for this many items per batch.
	ShipStationMaxBatch = 100_000
	// shipStationDefaultPageSize and shipStationMaxPageSize are
	// ShipStation's.
	shipStationDefaultPageSize = 100
	shipStationMaxPageSize     = 500
)

// The collections the sandbox serves.
const (
	ssOrders = iota
	ssShipments
	ssFulfillments
	ssCollections
)

// ssCollection describes one V1 collection: its path, its JSON list key and
// the query parameter that names a batch.
var ssCollection = [ssCollections]struct{ path, key, batchParam string }{
	ssOrders:       {"/orders", "orders", "importBatch"},
	ssShipments:    {"/shipments", "shipments", "batchId"},
	ssFulfillments: {"/fulfillments", "fulfillments", "batchId"},
}

// ShipStationAPI is a SANDBOX imitation of ShipStation's V1 API, for tests
// and `hookstream dev`. It is an http.Handler serving, at the root of its
// listener (resource_url paths are exactly /orders, /shipments and
// /fulfillments, so it cannot live under a prefix):
//
//	GET /orders        ?importBatch=<id>  orders of an import batch (ORDER_NOTIFY)
//	GET /shipments     ?batchId=<id>      shipments of a label batch (SHIP_NOTIFY)
//	GET /fulfillments  ?batchId=<id>      fulfillments (FULFILLMENT_SHIPPED/_REJECTED)
//
// as ShipStation does: HTTP Basic auth with a configured key and secret (else
// 401 {"message":"Unauthorized"}); paging with page (from 1) and pageSize
// (default 100, at most 500) answered as {"<list>":[...],"total":N,"page":P,
// "pages":X}; X-Rate-Limit-Limit, -Remaining and -Reset on every
// authenticated answer, with a fixed window per key (40 a minute unless
// SetRateLimit says otherwise) and 429 {"message":"Too Many Requests"} once
// the window is spent; timestamps in Pacific local time without an offset,
// with seven fractional digits (shipments' shipDate is a bare date).
//
// The data is invented, deterministically: the same query always yields the
// same items, with ids derived from the batch id and the item's index.
// A batch recorded with Create (or POST ShipStationCreatePath) carries its
// creation time instead (an order's modifyDate, a label's createDate), and
// the date-filtered lists a reconciler sends (modifyDateStart/End,
// createDateStart/End, voidDateStart/End, Pacific time) list every
// recorded item in the window; see shipstationapi_records.go. A
// batch has 1 to 5 items chosen by a hash of its id unless SetBatchSize,
// SetShipmentBatchSize or SetFulfillmentBatchSize fix it; a query without the
// batch parameter is a batch named by its other parameters. Orders always
// carry items (as at ShipStation); shipments carry shipmentItems only with
// includeShipmentItems=true.
//
// Every answer has the header X-Hookstream-Sandbox: shipstation. Create one
// with NewShipStationAPI; all methods are safe for concurrent use.
type ShipStationAPI struct {
	mu        sync.Mutex
	now       func() time.Time
	keys      map[string]*ssKeyState
	limit     int
	window    time.Duration
	sizes     [ssCollections]map[string]int
	failLeft  int
	failCode  int
	failPage  map[string]int // page number → requests for it still to fail (503)
	zeroPages bool
	voidOneIn int // shipments: one label in voidOneIn is voided; 0 never
	requests  int
	byPath    map[string]int
	byPage    map[string]int                // requests by page parameter
	created   [ssCollections]map[string]int // batch name → index into records
	records   []ssRecord                    // created batches, oldest first
}

// ssKeyState is a key's secret, whether it is revoked, and its window.
type ssKeyState struct {
	secret  string
	revoked bool
	start   time.Time // start of the current rate-limit window
	used    int
}

// NewShipStationAPI returns a sandbox that accepts the given keys, with
// ShipStation's rate limit (ShipStationDefaultRateLimit a minute per key).
func NewShipStationAPI(keys ...ShipStationKey) *ShipStationAPI {
	s := &ShipStationAPI{
		now:       time.Now,
		keys:      make(map[string]*ssKeyState, len(keys)),
		limit:     ShipStationDefaultRateLimit,
		window:    time.Minute,
		byPath:    make(map[string]int),
		voidOneIn: 10,
	}
	for i := range s.sizes {
		s.sizes[i] = make(map[string]int)
	}
	for _, k := range keys {
		s.keys[k.Key] = &ssKeyState{secret: k.Secret}
	}
	return s
}

// SetVoidRate makes one generated label in n a voided one (default 10, as
// real accounts void some labels); n = 0 voids none.
func (s *ShipStationAPI) SetVoidRate(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.voidOneIn = max(n, 0)
}

// SetRateLimit gives every key n requests per window, starting with a fresh
// window; n = 0 removes the limit (and the rate-limit headers). A window <= 0
// means a minute.
func (s *ShipStationAPI) SetRateLimit(n int, window time.Duration) {
	if window <= 0 {
		window = time.Minute
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.window = max(n, 0), window
	for _, k := range s.keys {
		k.start, k.used = time.Time{}, 0
	}
}

// SetClock replaces the sandbox's clock, which drives the rate-limit
// windows, so that tests can share a fake clock with the client.
func (s *ShipStationAPI) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetBatchSize fixes how many orders GET /orders?importBatch=<importBatch>
// lists (0 to ShipStationMaxBatch); n < 0 restores the hash-based default.
func (s *ShipStationAPI) SetBatchSize(importBatch string, n int) {
	s.setSize(ssOrders, importBatch, n)
}

// SetShipmentBatchSize fixes how many shipments GET /shipments?batchId=<batchID>
// lists; see SetBatchSize.
func (s *ShipStationAPI) SetShipmentBatchSize(batchID string, n int) {
	s.setSize(ssShipments, batchID, n)
}

// SetFulfillmentBatchSize fixes how many fulfillments
// GET /fulfillments?batchId=<batchID> lists; see SetBatchSize.
func (s *ShipStationAPI) SetFulfillmentBatchSize(batchID string, n int) {
	s.setSize(ssFulfillments, batchID, n)
}

func (s *ShipStationAPI) setSize(coll int, batch string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 {
		delete(s.sizes[coll], batch)
		return
	}
	s.sizes[coll][batch] = min(n, ShipStationMaxBatch)
}

// ReportZeroPages makes every page say "pages":0 whatever the total, as
// ShipStation's own documentation examples do, so that tests can check a
// client does not trust it. Off by default.
func (s *ShipStationAPI) ReportZeroPages(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zeroPages = on
}

// FailNext makes the next n requests fail with the given HTTP status and a
// JSON {"message": ...}, whatever their credentials, before any other check.
// A failed request does not use up the key's budget; a simulated 429 says
// X-Rate-Limit-Remaining: 0 and the time left in the key's window (the whole
// window when none is running). n <= 0 cancels pending failures.
func (s *ShipStationAPI) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = max(n, 0), status
}

// FailPage makes the next n requests for page number page (of any
// collection) fail with 503, as a ShipStation that gives out in the middle
// of a long import batch. n <= 0 cancels.
func (s *ShipStationAPI) FailPage(page, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPage == nil {
		s.failPage = map[string]int{}
	}
	s.failPage[strconv.Itoa(page)] = max(n, 0)
}

// PageRequests returns how many requests named page number page.
func (s *ShipStationAPI) PageRequests(page int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byPage[strconv.Itoa(page)]
}

// Revoke makes key answer 401 from now on, as when it is deleted in
// ShipStation's settings.
func (s *ShipStationAPI) Revoke(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[key]; ok {
		k.revoked = true
	}
}

// Reinstate undoes Revoke.
func (s *ShipStationAPI) Reinstate(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[key]; ok {
		k.revoked = false
	}
}

// Requests returns how many requests the sandbox has received, answered
// with whatever status.
func (s *ShipStationAPI) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// RequestsFor returns how many requests named path ("/orders").
func (s *ShipStationAPI) RequestsFor(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byPath[path]
}

// ServeHTTP serves the sandbox API; see [ShipStationAPI]. Checks run in
// this order: FailNext, credentials (401), rate limit (429), method (405),
// path (404), paging parameters (400).
func (s *ShipStationAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(HeaderSandbox, "shipstation")
	if r.URL.Path == ShipStationCreatePath {
		s.serveCreate(w, r)
		return
	}
	s.mu.Lock()
	s.requests++
	if len(s.byPath) < 1000 || s.byPath[r.URL.Path] > 0 { // bounded: paths are caller-chosen
		s.byPath[r.URL.Path]++
	}
	now := s.now()
	key := s.authenticLocked(r)
	pageParam := r.URL.Query().Get("page")
	if s.byPage == nil {
		s.byPage = map[string]int{}
	}
	if len(s.byPage) < 1000 || s.byPage[pageParam] > 0 { // bounded: pages are caller-chosen
		s.byPage[pageParam]++
	}
	if s.failPage[pageParam] > 0 {
		s.failPage[pageParam]--
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Service Unavailable"})
		return
	}
	if s.failLeft > 0 {
		s.failLeft--
		code := s.failCode
		if key != nil {
			s.rateHeadersLocked(w.Header(), key, now)
		}
		if code == http.StatusTooManyRequests {
			w.Header().Set(shipstation.HeaderRateRemaining, "0")
			if w.Header().Get(shipstation.HeaderRateReset) == "" {
				w.Header().Set(shipstation.HeaderRateReset, strconv.Itoa(ceilSeconds(s.window)))
			}
		}
		s.mu.Unlock()
		writeJSON(w, code, map[string]string{"message": http.StatusText(code)})
		return
	}
	if key == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
		return
	}
	if s.limit > 0 {
		if key.start.IsZero() || !now.Before(key.start.Add(s.window)) {
			key.start, key.used = now, 0
		}
		if key.used >= s.limit {
			s.rateHeadersLocked(w.Header(), key, now)
			s.mu.Unlock()
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Requests"})
			return
		}
		key.used++
		s.rateHeadersLocked(w.Header(), key, now)
	}
	coll := -1
	for i, c := range ssCollection {
		if r.URL.Path == c.path {
			coll = i
		}
	}
	q := r.URL.Query()
	var size int
	var sized bool
	var at time.Time
	if coll >= 0 {
		size, sized = s.sizes[coll][queryParam(q, ssCollection[coll].batchParam)]
		at = s.recordedLocked(coll, batchQuery(q))
	}
	zeroPages, voidOneIn := s.zeroPages, s.voidOneIn
	s.mu.Unlock()

	switch {
	case r.Method != http.MethodGet:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "The requested resource does not support http method '" + r.Method + "'."})
		return
	case coll < 0:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "No HTTP resource was found that matches the request URI."})
		return
	}
	page, pageSize, ok := pagingParams(q)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "The request is invalid."})
		return
	}
	filters, filtered, ok := dateFilters(coll, q)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "The request is invalid."})
		return
	}
	var total int
	var itemAt func(i int) any
	if filtered && queryParam(q, ssCollection[coll].batchParam) == "" {
		// A reconciler's query: every recorded item in the window.
		all := s.listRecorded(coll, filters, strings.EqualFold(queryParam(q, "includeShipmentItems"), "true"))
		total, itemAt = len(all), func(i int) any { return all[i] }
	} else {
		b := newSSBatch(coll, q)
		b.voidOneIn, b.at = voidOneIn, at
		if sized {
			b.size = size
		}
		total, itemAt = b.size, b.item
	}
	items := make([]any, 0, min(pageSize, total))
	first := (page - 1) * pageSize
	for i := first; i < total && i < first+pageSize; i++ {
		items = append(items, itemAt(i))
	}
	pages := (total + pageSize - 1) / pageSize
	if zeroPages {
		pages = 0
	}
	writeJSON(w, http.StatusOK, map[string]any{
		ssCollection[coll].key: items,
		"total":                total,
		"page":                 page,
		"pages":                pages,
	})
}
