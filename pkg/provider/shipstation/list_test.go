package shipstation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

func TestFormatFilter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   time.Time
		want string
	}{
		{"winter, PST is UTC-8", time.Date(2026, 1, 15, 20, 30, 45, 0, time.UTC), "2026-01-15 12:30:45"},
		{"summer, PDT is UTC-7", time.Date(2026, 7, 4, 20, 30, 45, 0, time.UTC), "2026-07-04 13:30:45"},
		{"previous Pacific day", time.Date(2026, 7, 5, 3, 0, 0, 0, time.UTC), "2026-07-04 20:00:00"},
		{"fraction dropped", time.Date(2026, 1, 15, 20, 30, 45, 999_999_999, time.UTC), "2026-01-15 12:30:45"},
		{"other zone in", time.Date(2026, 1, 15, 21, 30, 45, 0, time.FixedZone("CET", 3600)), "2026-01-15 12:30:45"},
		// 2026-03-08 02:00 PST jumps to 03:00 PDT (10:00 UTC).
		{"last second of PST in March", time.Date(2026, 3, 8, 9, 59, 59, 0, time.UTC), "2026-03-08 01:59:59"},
		{"first second of PDT in March", time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC), "2026-03-08 03:00:00"},
		// 2026-11-01 02:00 PDT falls back to 01:00 PST (09:00 UTC): the
		// hour 01:00-01:59 is written twice.
		{"first 01:30 in November (PDT)", time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC), "2026-11-01 01:30:00"},
		{"second 01:30 in November (PST)", time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC), "2026-11-01 01:30:00"},
		{"after the change", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), "2026-11-01 02:00:00"},
	}
	for _, tc := range cases {
		if got := shipstation.FormatFilter(tc.in); got != tc.want {
			t.Errorf("%s: FormatFilter(%s) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestFormatFilterRoundTrip reads every formatted filter back as Pacific
// time, over both changes of 2026, a second at a time around them: each is
// the instant it came from, except in the repeated November hour, where it
// is that instant or the one an hour later.
func TestFormatFilterRoundTrip(t *testing.T) {
	t.Parallel()
	for _, change := range []time.Time{
		time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
	} {
		for at := change.Add(-2 * time.Hour); at.Before(change.Add(2 * time.Hour)); at = at.Add(time.Second) {
			s := shipstation.FormatFilter(at)
			back, err := time.ParseInLocation(shipstation.FilterLayout, s, shipstation.Pacific)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if !back.Equal(at) && !back.Add(time.Hour).Equal(at) {
				t.Fatalf("FormatFilter(%s) = %s reads back as %s", at, s, back.UTC())
			}
		}
	}
}

// listServer answers /orders, /shipments and /fulfillments with n items
// each, pageSize at a time, and records the queries.
type listServer struct {
	*httptest.Server
	mu      sync.Mutex
	queries []url.Values
}

func newListServer(t *testing.T, n int) *listServer {
	s := &listServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		s.mu.Lock()
		s.queries = append(s.queries, q)
		s.mu.Unlock()
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("pageSize"))
		key := map[string]string{"/orders": "orders", "/shipments": "shipments", "/fulfillments": "fulfillments"}[r.URL.Path]
		idField := map[string]string{"orders": "orderId", "shipments": "shipmentId", "fulfillments": "fulfillmentId"}[key]
		var items []string
		for i := (page - 1) * size; i < n && i < page*size; i++ {
			items = append(items, fmt.Sprintf(`{%q:%d,"orderId":%d}`, idField, i+1, i+1))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{%q:[%s],"total":%d,"page":%d,"pages":0}`, key, strings.Join(items, ","), n, page)
	}))
	t.Cleanup(s.Close)
	return s
}

// last returns the i-th query from the end (0: the latest).
func (s *listServer) last(i int) url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[len(s.queries)-1-i]
}

func (s *listServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queries)
}

func listClient(t *testing.T, base string, pageSize int) *shipstation.Client {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := shipstation.NewClient(shipstation.ClientConfig{
		Primary:   shipstation.Credentials{Key: "k", Secret: "s"},
		BaseURL:   base,
		Resources: shipstation.ResourcePolicy{Hosts: regexp.MustCompile("^" + regexp.QuoteMeta(u.Host) + "$"), AllowHTTP: true},
		PageSize:  pageSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestListChanged(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, 7)
	c := listClient(t, srv.URL, 3)
	// 2026-07-04 12:00:00.5 UTC is 05:00:00.5 PDT: the start rounds down,
	// the end (an hour later, plus a fraction) up.
	w := shipstation.Window{
		Start: time.Date(2026, 7, 4, 12, 0, 0, 500_000_000, time.UTC),
		End:   time.Date(2026, 7, 4, 13, 0, 0, 1, time.UTC),
	}
	ctx := context.Background()
	var orders []shipstation.Order
	st, err := c.OrdersModified(ctx, w, func(p []shipstation.Order) error { orders = append(orders, p...); return nil })
	if err != nil || len(orders) != 7 || st.Pages != 3 {
		t.Fatalf("OrdersModified: %d orders in %d pages, %v; want 7 in 3", len(orders), st.Pages, err)
	}
	q := srv.last(2)
	for k, want := range map[string]string{
		"modifyDateStart": "2026-07-04 05:00:00", "modifyDateEnd": "2026-07-04 06:00:01",
		"sortBy": "ModifyDate", "sortDir": "ASC", "pageSize": "3", "page": "1",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("orders query %s = %q, want %q (%v)", k, got, want, q)
		}
	}
	var shipments []shipstation.Shipment
	if _, err := c.ShipmentsVoided(ctx, w, func(p []shipstation.Shipment) error { shipments = append(shipments, p...); return nil }); err != nil || len(shipments) != 7 {
		t.Fatalf("ShipmentsVoided: %d, %v", len(shipments), err)
	}
	if q := srv.last(0); q.Get("voidDateStart") != "2026-07-04 05:00:00" || q.Get("createDateStart") != "" {
		t.Errorf("voided query %v", q)
	}
	if _, err := c.ShipmentsCreated(ctx, w, func([]shipstation.Shipment) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if q := srv.last(0); q.Get("createDateEnd") != "2026-07-04 06:00:01" {
		t.Errorf("created query %v", q)
	}
	var fulfillments []shipstation.Fulfillment
	if _, err := c.FulfillmentsCreated(ctx, w, func(p []shipstation.Fulfillment) error { fulfillments = append(fulfillments, p...); return nil }); err != nil || len(fulfillments) != 7 {
		t.Fatalf("FulfillmentsCreated: %d, %v", len(fulfillments), err)
	}
	stop := errors.New("stop")
	pages := 0
	if _, err := c.OrdersModified(ctx, w, func([]shipstation.Order) error { pages++; return stop }); !errors.Is(err, stop) || pages != 1 {
		t.Errorf("an error from each: %v after %d pages, want stop after 1", err, pages)
	}
	if _, err := c.OrdersModified(ctx, shipstation.Window{Start: w.End, End: w.Start}, nil); !errors.Is(err, shipstation.ErrEmptyWindow) {
		t.Errorf("reversed window: %v", err)
	}
}

// TestListChangedPolicy: the list endpoints go to BaseURL only through the
// resource policy, like a webhook's resource_url.
func TestListChangedPolicy(t *testing.T) {
	t.Parallel()
	srv := newListServer(t, 1)
	c, err := shipstation.NewClient(shipstation.ClientConfig{Primary: shipstation.Credentials{Key: "k", Secret: "s"}, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := c.OrdersModified(context.Background(), shipstation.Window{Start: now, End: now}, func([]shipstation.Order) error { return nil }); err == nil {
		t.Fatal("an http BaseURL the default policy refuses was listed")
	}
	if srv.count() != 0 {
		t.Errorf("%d requests reached the server", srv.count())
	}
}
