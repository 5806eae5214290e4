package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The Snipcart sandbox's orders: what a reconciler lists. Orders exist once
// a sender has added them (AddOrder, POST SnipcartOrdersAddPath); the list
// filters by placement date (creationDate) only, as Snipcart's does.

// SnipcartOrdersAddPath is the sandbox-only route that adds (or replaces, by
// token) an order, relative to the Snipcart sandbox: POST the order as
// Snipcart writes it (the content of an order webhook). Served on loopback
// only; no credentials.
const SnipcartOrdersAddPath = "/sandbox/orders"

// Paging of GET /orders, as at Snipcart.
const (
	snipcartDefaultLimit = 20
	snipcartMaxLimit     = 200
	// maxSnipcartOrders bounds the sandbox's memory.
	maxSnipcartOrders = 100_000
)

// snipcartOrders is the sandbox's order store.
type snipcartOrders struct {
	mu     sync.Mutex
	byTok  map[string]snipcartStored
	tokens []string // in the order they were first added
}

type snipcartStored struct {
	placed time.Time
	raw    json.RawMessage
}

func newSnipcartOrders() *snipcartOrders {
	return &snipcartOrders{byTok: map[string]snipcartStored{}}
}

// errNoToken refuses an order AddOrder cannot file.
var errNoToken = errors.New("sandbox: a Snipcart order needs a token and an RFC 3339 creationDate")

// AddOrder adds order (a Snipcart order object: token, creationDate, …) to
// the sandbox's orders, or replaces the order with its token, as a change
// at Snipcart does.
func (s *Snipcart) AddOrder(order json.RawMessage) error {
	var head struct {
		Token        string `json:"token"`
		CreationDate string `json:"creationDate"`
	}
	if err := json.Unmarshal(order, &head); err != nil || head.Token == "" {
		return errNoToken
	}
	placed, err := time.Parse(time.RFC3339Nano, head.CreationDate)
	if err != nil {
		return errNoToken
	}
	o := s.orders
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.byTok[head.Token]; !ok {
		if len(o.tokens) >= maxSnipcartOrders {
			delete(o.byTok, o.tokens[0])
			o.tokens = o.tokens[1:]
		}
		o.tokens = append(o.tokens, head.Token)
	}
	o.byTok[head.Token] = snipcartStored{placed: placed, raw: slices.Clone(order)}
	return nil
}

// Orders returns how many orders the sandbox holds.
func (s *Snipcart) Orders() int {
	s.orders.mu.Lock()
	defer s.orders.mu.Unlock()
	return len(s.orders.byTok)
}

// authorized checks Snipcart's Basic credentials: the secret key, an empty
// password.
func (s *Snipcart) authorized(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok || pass != "" || subtle.ConstantTimeCompare([]byte(user), []byte(s.secretKey)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authorization has been denied for this request."})
		return false
	}
	return true
}

// listOrders is GET /orders: from and to (RFC 3339, inclusive) on the
// placement date, offset, limit (default 20, at most 200), newest first;
// {"totalItems", "offset", "limit", "items"}.
func (s *Snipcart) listOrders(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	var from, to time.Time
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": p.name + " is not a date"})
				return
			}
			*p.into = t
		}
	}
	offset, limit := 0, snipcartDefaultLimit
	for _, p := range []struct {
		name string
		into *int
		min  int
	}{{"offset", &offset, 0}, {"limit", &limit, 1}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min {
				writeJSON(w, http.StatusBadRequest, map[string]string{"message": p.name + " is invalid"})
				return
			}
			*p.into = n
		}
	}
	limit = min(limit, snipcartMaxLimit)
	o := s.orders
	o.mu.Lock()
	var matched []snipcartStored
	for _, tok := range o.tokens {
		st := o.byTok[tok]
		if (from.IsZero() || !st.placed.Before(from)) && (to.IsZero() || !st.placed.After(to)) {
			matched = append(matched, st)
		}
	}
	o.mu.Unlock()
	slices.SortStableFunc(matched, func(a, b snipcartStored) int { return b.placed.Compare(a.placed) })
	items := []json.RawMessage{}
	for i := offset; i < len(matched) && i < offset+limit; i++ {
		items = append(items, matched[i].raw)
	}
	writeJSON(w, http.StatusOK, map[string]any{"totalItems": len(matched), "offset": offset, "limit": limit, "items": items})
}

// getOrder is GET /orders/{token}.
func (s *Snipcart) getOrder(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	s.orders.mu.Lock()
	st, ok := s.orders.byTok[r.PathValue("token")]
	s.orders.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "The order was not found."})
		return
	}
	writeJSON(w, http.StatusOK, st.raw)
}

// addOrder is POST SnipcartOrdersAddPath.
func (s *Snipcart) addOrder(w http.ResponseWriter, r *http.Request) {
	var order json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&order); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "want a Snipcart order"})
		return
	}
	if err := s.AddOrder(order); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"added": true})
}
