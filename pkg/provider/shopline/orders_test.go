package shopline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shopline"
)

// TestOrdersUpdated lists orders of every fulfillment status across
// Link-header pages, waits out a 429 and keeps 26-digit ids as strings.
func TestOrdersUpdated(t *testing.T) {
	t.Parallel()
	const perStatus = 150
	var throttled atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if throttled.CompareAndSwap(false, true) {
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"errors":"Too many request"}`)
			return
		}
		q := r.URL.Query()
		status, offset := q.Get("fulfillment_status"), 0
		if info := q.Get("page_info"); info != "" {
			if q.Get("updated_at_min") != "" || q.Get("status") != "" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			fmt.Sscanf(info, "%s %d", &status, &offset)
		}
		limit, _ := strconv.Atoi(q.Get("limit"))
		var orders []string
		for i := offset; i < perStatus && i < offset+limit; i++ {
			orders = append(orders, fmt.Sprintf(`{"id":"%s%020d"}`, status[:1]+"00000", i))
		}
		if offset+limit < perStatus {
			w.Header().Set("Link", fmt.Sprintf(`<http://x/orders.json?page_info=%s+%d&limit=%d>; rel="next"`, status, offset+limit, limit))
		}
		fmt.Fprintf(w, `{"orders":[%s]}`, join(orders))
	}))
	t.Cleanup(srv.Close)
	c, err := shopline.NewOrdersClient(shopline.OrdersConfig{APIURL: srv.URL, AccessToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	now := time.Now()
	err = c.Updated(context.Background(), now.Add(-time.Hour), now, func(page []json.RawMessage) error {
		for _, o := range page {
			var v struct{ ID string }
			if err := json.Unmarshal(o, &v); err != nil {
				return err
			}
			ids[v.ID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := perStatus * len(shopline.FulfillmentStatuses); len(ids) != want {
		t.Fatalf("listed %d distinct orders, want %d", len(ids), want)
	}
	if !ids["s0000000000000000000000149"] {
		t.Fatal("a shipped order on the last page is missing")
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
