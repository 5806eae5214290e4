package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The SHOPLINE sandbox's orders: GET orders.json answers from the orders
// added with [ShoplineAPI.AddOrder], filtered by updated_at_min/max,
// status and fulfillment_status (default unshipped, as SHOPLINE's),
// limit (≤ 100, default 50) and cursor paging by Link header.

// ShoplineOrdersAddPath is the sandbox-only route that adds (or replaces,
// by id) an order of the store of the request's bearer token, relative to
// the SHOPLINE sandbox: POST the order as an orders/* webhook carries it
// (AddOrder). `hookstream send -drop` records there the orders it creates.
// Served on loopback only.
const ShoplineOrdersAddPath = "/sandbox/orders"

// addOrder is POST ShoplineOrdersAddPath.
func (s *ShoplineAPI) addOrder(w http.ResponseWriter, r *http.Request, fail func(int, string)) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		fail(http.StatusRequestEntityTooLarge, "order too large")
		return
	}
	if err := s.AddOrder(token, body); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errShoplineToken) {
			status = http.StatusUnauthorized
		}
		fail(status, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// errShoplineToken refuses an order for a token the sandbox does not know.
var errShoplineToken = errors.New("sandbox: unknown shopline access token")

// shoplineOrder is one stored order: its body and the fields it is
// filtered by.
type shoplineOrder struct {
	body              json.RawMessage
	updatedAt         time.Time
	status            string
	fulfillmentStatus string
}

// AddOrder stores an order (a body like an orders/* webhook's) for the
// store of accessToken. The body must carry updated_at (RFC 3339);
// status defaults to open; fulfillment_status fulfilled (or shipped) is
// listed by the filter shipped, partial by partial, null (or unshipped) by
// unshipped. An order with the id of a stored one replaces it.
func (s *ShoplineAPI) AddOrder(accessToken string, body []byte) error {
	var o struct {
		ID                string `json:"id"`
		UpdatedAt         string `json:"updated_at"`
		Status            string `json:"status"`
		FulfillmentStatus string `json:"fulfillment_status"`
	}
	if err := json.Unmarshal(body, &o); err != nil {
		return fmt.Errorf("sandbox: shopline order: %w", err)
	}
	at, err := time.Parse(time.RFC3339, o.UpdatedAt)
	if err != nil || o.ID == "" {
		return errors.New("sandbox: shopline order needs a string id and an RFC 3339 updated_at")
	}
	if o.Status == "" {
		o.Status = "open"
	}
	o.FulfillmentStatus = shoplineFulfillmentFilter(o.FulfillmentStatus)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.tokens[accessToken]
	if a == nil {
		return errShoplineToken
	}
	if a.orders == nil {
		a.orders = map[string]int{}
	}
	stored := shoplineOrder{body: append(json.RawMessage(nil), body...), updatedAt: at, status: o.Status, fulfillmentStatus: o.FulfillmentStatus}
	if i, ok := a.orders[o.ID]; ok {
		a.orderList[i] = stored
		return nil
	}
	a.orders[o.ID] = len(a.orderList)
	a.orderList = append(a.orderList, stored)
	return nil
}

// shoplineFulfillmentFilter is the fulfillment_status filter value that
// lists an order whose fulfillment_status is v: an order says fulfilled,
// partial or null, the filter unshipped, partial or shipped.
func shoplineFulfillmentFilter(v string) string {
	switch v {
	case "", "unshipped", "unfulfilled":
		return "unshipped"
	case "fulfilled", "shipped":
		return "shipped"
	}
	return v
}

// serveOrders answers GET orders.json for a; fail writes an error.
func (s *ShoplineAPI) serveOrders(w http.ResponseWriter, r *http.Request, a *shoplineAccount, fail func(int, string)) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			fail(http.StatusBadRequest, "limit must be 1 to 100")
			return
		}
		limit = n
	}
	filter, offset := q, 0
	if info := q.Get("page_info"); info != "" {
		raw, err := base64.RawURLEncoding.DecodeString(info)
		off, enc, ok := strings.Cut(string(raw), "|")
		if err != nil || !ok {
			fail(http.StatusBadRequest, "invalid page_info")
			return
		}
		if filter, err = url.ParseQuery(enc); err != nil {
			fail(http.StatusBadRequest, "invalid page_info")
			return
		}
		offset, _ = strconv.Atoi(off)
	}
	var from, to time.Time
	for name, t := range map[string]*time.Time{"updated_at_min": &from, "updated_at_max": &to} {
		if v := filter.Get(name); v != "" {
			p, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fail(http.StatusBadRequest, name+" must be ISO 8601 with an offset")
				return
			}
			*t = p
		}
	}
	status, fs := filter.Get("status"), filter.Get("fulfillment_status")
	if status == "" {
		status = "open"
	}
	if fs == "" {
		fs = "unshipped"
	}
	var match []json.RawMessage
	for _, o := range a.orderList {
		if (!from.IsZero() && o.updatedAt.Before(from)) || (!to.IsZero() && o.updatedAt.After(to)) ||
			(status != "any" && o.status != status) || (fs != "any" && o.fulfillmentStatus != fs) {
			continue
		}
		match = append(match, o.body)
	}
	end := min(offset+limit, len(match))
	page := []json.RawMessage{}
	if offset < end {
		page = match[offset:end]
	}
	if end < len(match) {
		keep := url.Values{}
		for _, k := range []string{"updated_at_min", "updated_at_max", "status", "fulfillment_status"} {
			if v := filter.Get(k); v != "" {
				keep.Set(k, v)
			}
		}
		info := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end) + "|" + keep.Encode()))
		next := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: url.Values{"page_info": {info}, "limit": {strconv.Itoa(limit)}}.Encode()}
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": page})
}
