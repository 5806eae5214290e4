package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSnipcartOrdersRoutes: orders added by POST are served by token with
// the secret key, replaced by token, and refused without a token.
func TestSnipcartOrdersRoutes(t *testing.T) {
	t.Parallel()
	s := NewSnipcart("secret")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	do := func(method, path, user, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, "")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i, status := range []string{"InProgress", "Processed"} {
		code, _ := do("POST", SnipcartOrdersAddPath, "", `{"token":"t1","creationDate":"2026-12-01T10:00:00Z","status":"`+status+`"}`)
		if code != http.StatusOK {
			t.Fatalf("add %d: %d", i, code)
		}
	}
	if s.Orders() != 1 {
		t.Errorf("%d orders, want 1 (replaced by token)", s.Orders())
	}
	if code, body := do("GET", "/orders/t1", "secret", ""); code != http.StatusOK || !strings.Contains(body, "Processed") {
		t.Errorf("GET /orders/t1: %d %s", code, body)
	}
	if code, _ := do("GET", "/orders/t1", "wrong", ""); code != http.StatusUnauthorized {
		t.Errorf("wrong key: %d", code)
	}
	if code, _ := do("GET", "/orders/nope", "secret", ""); code != http.StatusNotFound {
		t.Errorf("unknown order: %d", code)
	}
	if code, body := do("GET", "/orders?from=2026-12-01T10:00:01Z", "secret", ""); code != http.StatusOK || !strings.Contains(body, `"totalItems":0`) {
		t.Errorf("placed before from: %d %s", code, body)
	}
	if code, _ := do("POST", SnipcartOrdersAddPath, "", `{"status":"Processed"}`); code != http.StatusBadRequest {
		t.Errorf("an order without a token: %d", code)
	}
}
