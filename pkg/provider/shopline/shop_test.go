package shopline_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookstream/hookstream/pkg/provider/shopline"
)

// TestStoreShopID reads the store id as a string or a number, and refuses an
// answer without a decimal id.
func TestStoreShopID(t *testing.T) {
	t.Parallel()
	for answer, want := range map[string]string{
		`{"data":{"id":"1631700219512","domain":"h.myshopline.com"}}`: "1631700219512",
		`{"data":{"id":1631700219512}}`:                               "1631700219512",
		`{"data":{}}`:                                                 "",
		`{"data":{"id":"abc"}}`:                                       "",
		`{"errors":"Not Found"}`:                                      "",
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/admin/openapi/v20260301/merchants/shop.json" || r.Header.Get("Authorization") != "Bearer tok" {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			_, _ = io.WriteString(w, answer)
		}))
		c, err := shopline.NewOrdersClient(shopline.OrdersConfig{APIURL: shopline.APIURL(srv.URL+"/", "v20260301"), AccessToken: "tok"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.ShopID(context.Background())
		if got != want || (err == nil) != (want != "") {
			t.Errorf("answer %s: ShopID() = %q, %v; want %q", answer, got, err, want)
		}
		srv.Close()
	}
	if !shopline.ValidAPIVersion(shopline.DefaultAPIVersion) || shopline.ValidAPIVersion("latest") {
		t.Error("ValidAPIVersion")
	}
}
