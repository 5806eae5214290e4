package shopline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// TestOrdersFromSandbox lists the sandbox's orders of every fulfillment
// status (shipped ones are hidden by the API's default) across pages,
// through the sandbox's leaky bucket, and leaves out orders outside the window.
func TestOrdersFromSandbox(t *testing.T) {
	t.Parallel()
	api := sandbox.NewShoplineAPI("tok")
	api.SetRateLimit(2, 4)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	statuses := []string{"unshipped", "partial", "shipped"}
	for i := range 450 {
		body := fmt.Sprintf(`{"id":"%026d","updated_at":%q,"status":"open","fulfillment_status":%q}`,
			i, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), statuses[i%3])
		if err := api.AddOrder("tok", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := shopline.NewOrdersClient(shopline.OrdersConfig{APIURL: srv.URL + "/admin/openapi/v20251201", AccessToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	err = c.Updated(context.Background(), t0, t0.Add(399*time.Minute), func(page []json.RawMessage) error {
		for _, o := range page {
			var v struct{ ID string }
			if err := json.Unmarshal(o, &v); err != nil {
				return err
			}
			ids[v.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 400 {
		t.Fatalf("listed %d distinct orders, want 400", len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Fatalf("order %s listed %d times", id, n)
		}
	}
	if ids[fmt.Sprintf("%026d", 399)] != 1 || ids[fmt.Sprintf("%026d", 400)] != 0 {
		t.Fatal("window ends wrong")
	}
}

// TestShopIDFromSandbox asks merchants/shop.json for the token's store.
func TestShopIDFromSandbox(t *testing.T) {
	t.Parallel()
	api := sandbox.NewShoplineAPI("tok")
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c, err := shopline.NewOrdersClient(shopline.OrdersConfig{APIURL: srv.URL + "/admin/openapi/v20260301", AccessToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := c.ShopID(context.Background()); err != nil || id != sandbox.ShoplineShopID {
		t.Errorf("ShopID() = %q, %v; want %s", id, err, sandbox.ShoplineShopID)
	}
	bad, _ := shopline.NewOrdersClient(shopline.OrdersConfig{APIURL: srv.URL + "/admin/openapi/v20260301", AccessToken: "other"})
	if _, err := bad.ShopID(context.Background()); err == nil {
		t.Error("ShopID() with an unknown token succeeded")
	}
}
