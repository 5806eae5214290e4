package sandbox

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
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
// same items, with ids derived from the batch id and the item's index. A
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
	byPage    map[string]int // requests by page parameter
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
	if coll >= 0 {
		size, sized = s.sizes[coll][queryParam(q, ssCollection[coll].batchParam)]
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
	b := newSSBatch(coll, q)
	b.voidOneIn = voidOneIn
	if sized {
		b.size = size
	}
	items := make([]any, 0, min(pageSize, b.size))
	first := (page - 1) * pageSize
	for i := first; i < b.size && i < first+pageSize; i++ {
		items = append(items, b.item(i))
	}
	pages := (b.size + pageSize - 1) / pageSize
	if zeroPages {
		pages = 0
	}
	writeJSON(w, http.StatusOK, map[string]any{
		ssCollection[coll].key: items,
		"total":                b.size,
		"page":                 page,
		"pages":                pages,
	})
}

// authenticLocked returns the state of the key r's Basic credentials name,
// or nil when they are missing, unknown, wrong or revoked.
func (s *ShipStationAPI) authenticLocked(r *http.Request) *ssKeyState {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil
	}
	k, known := s.keys[user]
	if !known || k.revoked || subtle.ConstantTimeCompare([]byte(pass), []byte(k.secret)) != 1 {
		return nil
	}
	return k
}

// rateHeadersLocked writes key's X-Rate-Limit-* headers; none when the
// sandbox is unlimited.
func (s *ShipStationAPI) rateHeadersLocked(h http.Header, key *ssKeyState, now time.Time) {
	if s.limit <= 0 {
		return
	}
	remaining, reset := s.limit, s.window
	if !key.start.IsZero() && now.Before(key.start.Add(s.window)) {
		remaining = max(s.limit-key.used, 0)
		reset = key.start.Add(s.window).Sub(now)
	}
	h.Set(shipstation.HeaderRateLimit, strconv.Itoa(s.limit))
	h.Set(shipstation.HeaderRateRemaining, strconv.Itoa(remaining))
	h.Set(shipstation.HeaderRateReset, strconv.Itoa(ceilSeconds(reset)))
}

// ceilSeconds rounds up, so that a client waiting that long finds the
// window reset.
func ceilSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

// queryParam returns the first value of name, matched without regard to
// case as ShipStation does (storeID, storeId).
func queryParam(q url.Values, name string) string {
	if v := q.Get(name); v != "" {
		return v
	}
	for k, vs := range q {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// pagingParams reads page (default 1) and pageSize (default 100, at most
// 500; larger values are capped).
func pagingParams(q url.Values) (page, pageSize int, ok bool) {
	page, pageSize = 1, shipStationDefaultPageSize
	if v := queryParam(q, "page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return 0, 0, false
		}
		page = n
	}
	if v := queryParam(q, "pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, false
		}
		pageSize = min(n, shipStationMaxPageSize)
	}
	return page, pageSize, true
}

// ssBatch is what one query lists: a seed from the batch's name, its size,
// and the options that shape its items.
type ssBatch struct {
	coll      int
	seed      uint64
	size      int
	storeID   int64
	withItems bool // shipments: includeShipmentItems=true
	voidOneIn int  // shipments: see ShipStationAPI.SetVoidRate
}

// shipStationEpoch is where invented timestamps start.
var shipStationEpoch = time.Date(2025, 1, 6, 8, 0, 0, 0, shipstation.Pacific)

func newSSBatch(coll int, q url.Values) ssBatch {
	name := queryParam(q, ssCollection[coll].batchParam)
	if name == "" {
		// No batch: the batch is named by the rest of the query.
		rest := url.Values{}
		for k, v := range q {
			switch strings.ToLower(k) {
			case "page", "pagesize", "includeorderitems", "includeshipmentitems":
			default:
				rest[k] = v
			}
		}
		name = "?" + rest.Encode()
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s", ssCollection[coll].key, name)
	b := ssBatch{coll: coll, seed: h.Sum64()}
	b.size = 1 + int(b.seed%5)
	b.storeID = 100_000 + int64((b.seed>>8)%900_000)
	if id, err := strconv.ParseInt(queryParam(q, "storeID"), 10, 64); err == nil && id > 0 {
		b.storeID = id
	}
	b.withItems = strings.EqualFold(queryParam(q, "includeShipmentItems"), "true")
	return b
}

// id is the i-th id of a batch: a per-batch base, salted per id kind, plus
// i. Ids of one batch are consecutive; ids of different batches rarely meet.
func (b ssBatch) id(salt uint64, i int) int64 {
	return 1_000_000_000 + int64(splitmix(b.seed^salt)%1_000_000)*ShipStationMaxBatch + int64(i)
}

func (b ssBatch) item(i int) any {
	g := ssRand{state: b.seed ^ uint64(i+1)*0x9e3779b97f4a7c15}
	switch b.coll {
	case ssOrders:
		return b.order(i, &g)
	case ssShipments:
		return b.shipment(i, &g)
	default:
		return b.fulfillment(i, &g)
	}
}

// Wire shapes. Timestamps are strings written the way ShipStation writes
// them, independently of shipstation.PacificTime, so that tests through the
// sandbox exercise the client's parsing; nil is JSON null.

type ssOrder struct {
	OrderID         int64                       `json:"orderId"`
	OrderNumber     string                      `json:"orderNumber"`
	OrderKey        string                      `json:"orderKey"`
	OrderDate       string                      `json:"orderDate"`
	CreateDate      string                      `json:"createDate"`
	ModifyDate      string                      `json:"modifyDate"`
	PaymentDate     *string                     `json:"paymentDate"`
	OrderStatus     string                      `json:"orderStatus"`
	CustomerID      int64                       `json:"customerId"`
	CustomerEmail   string                      `json:"customerEmail"`
	BillTo          shipstation.Address         `json:"billTo"`
	ShipTo          shipstation.Address         `json:"shipTo"`
	Items           []shipstation.OrderItem     `json:"items"`
	OrderTotal      float64                     `json:"orderTotal"`
	AmountPaid      float64                     `json:"amountPaid"`
	TaxAmount       float64                     `json:"taxAmount"`
	ShippingAmount  float64                     `json:"shippingAmount"`
	CarrierCode     *string                     `json:"carrierCode"`
	ServiceCode     *string                     `json:"serviceCode"`
	AdvancedOptions shipstation.AdvancedOptions `json:"advancedOptions"`
}

type ssShipment struct {
	ShipmentID     int64                      `json:"shipmentId"`
	OrderID        int64                      `json:"orderId"`
	OrderKey       string                     `json:"orderKey"`
	OrderNumber    string                     `json:"orderNumber"`
	CreateDate     string                     `json:"createDate"`
	ShipDate       string                     `json:"shipDate"`
	ShipmentCost   float64                    `json:"shipmentCost"`
	TrackingNumber string                     `json:"trackingNumber"`
	CarrierCode    string                     `json:"carrierCode"`
	ServiceCode    string                     `json:"serviceCode"`
	Voided         bool                       `json:"voided"`
	VoidDate       *string                    `json:"voidDate"`
	ShipTo         shipstation.Address        `json:"shipTo"`
	ShipmentItems  []shipstation.ShipmentItem `json:"shipmentItems"`
}

type ssFulfillment struct {
	FulfillmentID  int64               `json:"fulfillmentId"`
	OrderID        int64               `json:"orderId"`
	OrderNumber    string              `json:"orderNumber"`
	TrackingNumber string              `json:"trackingNumber"`
	CreateDate     string              `json:"createDate"`
	ShipDate       string              `json:"shipDate"`
	VoidDate       *string             `json:"voidDate"`
	CarrierCode    string              `json:"carrierCode"`
	Voided         bool                `json:"voided"`
	VoidRequested  bool                `json:"voidRequested"`
	ShipTo         shipstation.Address `json:"shipTo"`
}

// Salts for the kinds of ids.
const (
	saltOrder uint64 = iota + 1
	saltShipment
	saltFulfillment
	saltCustomer
)

func (b ssBatch) order(i int, g *ssRand) ssOrder {
	orderID := b.id(saltOrder, i)
	ordered := b.moment(i, g)
	created := ordered.Add(time.Duration(1+g.intn(120)) * time.Second).Add(g.fraction())
	modified := created.Add(time.Duration(g.intn(3600)) * time.Second).Add(g.fraction())
	status := pick(g, ssStatuses)
	customer := pick(g, ssCustomers)
	addr := pick(g, ssAddresses)
	shipTo := shipstation.Address{
		Name: customer.first + " " + customer.last, Street1: addr.street, City: addr.city,
		State: addr.state, PostalCode: addr.zip, Country: "US", Phone: addr.phone,
	}
	var subtotal float64
	items := make([]shipstation.OrderItem, 1+g.intn(3))
	for j := range items {
		p := pick(g, ssProducts)
		items[j] = shipstation.OrderItem{
			OrderItemID: orderID*10 + int64(j),
			LineItemKey: fmt.Sprintf("li-%d-%d", orderID, j),
			SKU:         p.sku,
			Name:        p.name,
			Quantity:    1 + g.intn(3),
			UnitPrice:   p.price,
		}
		subtotal += float64(items[j].Quantity) * p.price
	}
	shipping := pick(g, []float64{0, 4.99, 8.5, 12})
	tax := cents(subtotal * 0.0825)
	o := ssOrder{
		OrderID:         orderID,
		OrderNumber:     fmt.Sprintf("SB-%d", orderID),
		OrderKey:        g.hex(16),
		OrderDate:       shipstation.FormatPacific(ordered),
		CreateDate:      shipstation.FormatPacific(created),
		ModifyDate:      shipstation.FormatPacific(modified),
		OrderStatus:     status,
		CustomerID:      b.id(saltCustomer, i),
		CustomerEmail:   strings.ToLower(fmt.Sprintf("%s.%s%d@example.com", customer.first, customer.last, g.intn(100))),
		BillTo:          shipstation.Address{Name: shipTo.Name},
		ShipTo:          shipTo,
		Items:           items,
		TaxAmount:       tax,
		ShippingAmount:  shipping,
		OrderTotal:      cents(subtotal + tax + shipping),
		AdvancedOptions: shipstation.AdvancedOptions{StoreID: b.storeID},
	}
	if status != shipstation.OrderStatusAwaitingPayment {
		paid := shipstation.FormatPacific(ordered.Add(time.Duration(5+g.intn(300)) * time.Second).Add(g.fraction()))
		o.PaymentDate = &paid
		o.AmountPaid = o.OrderTotal
	}
	carrier := pick(g, ssCarriers)
	o.CarrierCode, o.ServiceCode = &carrier.code, &carrier.service
	return o
}

func (b ssBatch) shipment(i int, g *ssRand) ssShipment {
	orderID := b.id(saltOrder, i)
	created := b.moment(i, g)
	carrier := pick(g, ssCarriers)
	customer := pick(g, ssCustomers)
	addr := pick(g, ssAddresses)
	s := ssShipment{
		ShipmentID:     b.id(saltShipment, i),
		OrderID:        orderID,
		OrderKey:       g.hex(16),
		OrderNumber:    fmt.Sprintf("SB-%d", orderID),
		CreateDate:     shipstation.FormatPacific(created),
		ShipDate:       created.In(shipstation.Pacific).Format("2006-01-02"),
		ShipmentCost:   cents(3 + float64(g.intn(1500))/100),
		TrackingNumber: carrier.tracking(g),
		CarrierCode:    carrier.code,
		ServiceCode:    carrier.service,
		ShipTo: shipstation.Address{
			Name: customer.first + " " + customer.last, Street1: addr.street, City: addr.city,
			State: addr.state, PostalCode: addr.zip, Country: "US", Phone: addr.phone,
		},
	}
	if b.voidOneIn > 0 && g.intn(b.voidOneIn) == 0 {
		s.Voided = true
		v := shipstation.FormatPacific(created.Add(time.Duration(1+g.intn(48)) * time.Hour).Add(g.fraction()))
		s.VoidDate = &v
	}
	if b.withItems {
		n := 1 + g.intn(3)
		for j := range n {
			p := pick(g, ssProducts)
			s.ShipmentItems = append(s.ShipmentItems, shipstation.ShipmentItem{
				OrderItemID: orderID*10 + int64(j),
				LineItemKey: fmt.Sprintf("li-%d-%d", orderID, j),
				SKU:         p.sku,
				Name:        p.name,
				Quantity:    1 + g.intn(3),
			})
		}
	}
	return s
}

func (b ssBatch) fulfillment(i int, g *ssRand) ssFulfillment {
	orderID := b.id(saltOrder, i)
	created := b.moment(i, g)
	carrier := pick(g, ssCarriers)
	customer := pick(g, ssCustomers)
	addr := pick(g, ssAddresses)
	return ssFulfillment{
		FulfillmentID:  b.id(saltFulfillment, i),
		OrderID:        orderID,
		OrderNumber:    fmt.Sprintf("SB-%d", orderID),
		TrackingNumber: carrier.tracking(g),
		CreateDate:     shipstation.FormatPacific(created),
		ShipDate:       shipstation.FormatPacific(created.Add(time.Duration(g.intn(3600)) * time.Second).Add(g.fraction())),
		CarrierCode:    carrier.display,
		ShipTo: shipstation.Address{
			Name: customer.first + " " + customer.last, Street1: addr.street, City: addr.city,
			State: addr.state, PostalCode: addr.zip, Country: "US", Phone: addr.phone,
		},
	}
}

// moment is the i-th item's base time: the batch's day in 2025 plus a
// minute or so per index, with a 100 ns fraction.
func (b ssBatch) moment(i int, g *ssRand) time.Time {
	day := time.Duration((b.seed>>20)%300) * 24 * time.Hour
	return shipStationEpoch.Add(day).Add(time.Duration(i) * 61 * time.Second).Add(g.fraction())
}

// ssRand is splitmix64: small, fast and the same on every platform.
type ssRand struct{ state uint64 }

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func (g *ssRand) next() uint64 {
	g.state += 0x9e3779b97f4a7c15
	return splitmix(g.state)
}

func (g *ssRand) intn(n int) int { return int(g.next() % uint64(n)) }

// fraction is a sub-second offset in ShipStation's 100 ns steps.
func (g *ssRand) fraction() time.Duration { return time.Duration(g.intn(10_000_000)) * 100 }

func (g *ssRand) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.next())
	}
	return hex.EncodeToString(b)
}

func pick[T any](g *ssRand, from []T) T { return from[g.intn(len(from))] }

func cents(x float64) float64 { return math.Round(x*100) / 100 }

var ssStatuses = []string{
	shipstation.OrderStatusAwaitingShipment, shipstation.OrderStatusAwaitingShipment,
	shipstation.OrderStatusAwaitingShipment, shipstation.OrderStatusAwaitingShipment,
	shipstation.OrderStatusAwaitingShipment, shipstation.OrderStatusAwaitingShipment,
	shipstation.OrderStatusShipped, shipstation.OrderStatusShipped,
	shipstation.OrderStatusAwaitingPayment, shipstation.OrderStatusOnHold,
	shipstation.OrderStatusPendingFulfillment, shipstation.OrderStatusCancelled,
}

var ssCustomers = []struct{ first, last string }{
	{"Ada", "Lovelace"}, {"Grace", "Hopper"}, {"Alan", "Turing"}, {"Katherine", "Johnson"},
	{"Linus", "Pauling"}, {"Rosalind", "Franklin"}, {"Edsger", "Dijkstra"}, {"Barbara", "Liskov"},
}

var ssAddresses = []struct{ street, city, state, zip, phone string }{
	{"2815 Elliott Ave", "Seattle", "WA", "98121", "206-555-0142"},
	{"100 Congress Ave", "Austin", "TX", "78701", "512-555-0199"},
	{"1 Ferry Building", "San Francisco", "CA", "94111", "415-555-0117"},
	{"233 S Wacker Dr", "Chicago", "IL", "60606", "312-555-0163"},
	{"20 W 34th St", "New York", "NY", "10001", "212-555-0180"},
	{"1600 Pennsylvania Ave NW", "Washington", "DC", "20500", "202-555-0111"},
}

var ssProducts = []struct {
	sku, name string
	price     float64
}{
	{"SB-MUG-001", "Sandbox Mug, 12 oz", 14.99},
	{"SB-TEE-M", "Sandbox T-Shirt, M", 24.5},
	{"SB-CAP-001", "Sandbox Cap", 19},
	{"SB-STK-010", "Sticker Pack (10)", 4.99},
	{"SB-BAG-001", "Canvas Tote Bag", 17.25},
}

// ssCarrier is a carrier as /shipments (code) and /fulfillments (display)
// name it.
type ssCarrier struct {
	code, service, display, prefix string
	digits                         int
}

func (c ssCarrier) tracking(g *ssRand) string {
	var sb strings.Builder
	sb.WriteString(c.prefix)
	for range c.digits {
		sb.WriteByte(byte('0' + g.intn(10)))
	}
	return sb.String()
}

var ssCarriers = []ssCarrier{
	{code: "stamps_com", service: "usps_priority_mail", display: "USPS", prefix: "9400", digits: 18},
	{code: "stamps_com", service: "usps_first_class_mail", display: "USPS", prefix: "9400", digits: 18},
	{code: "ups", service: "ups_ground", display: "UPS", prefix: "1Z", digits: 16},
	{code: "fedex", service: "fedex_ground", display: "FedEx", prefix: "", digits: 12},
}
