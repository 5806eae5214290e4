package snipcart_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// TestOrdersPlaced lists the sandbox's orders by placement date, across
// pages, with the secret key.
func TestOrdersPlaced(t *testing.T) {
	t.Parallel()
	api := sandbox.NewSnipcart("secret")
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 120 {
		order := fmt.Sprintf(`{"token":"tok-%03d","creationDate":%q,"status":"Processed"}`, i, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
		if err := api.AddOrder(json.RawMessage(order)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := snipcart.NewOrdersClient(snipcart.OrdersConfig{SecretKey: "secret", APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	requests, err := c.OrdersPlaced(context.Background(), t0.Add(10*time.Minute), t0.Add(109*time.Minute), func(page []json.RawMessage) error {
		for _, raw := range page {
			var o struct{ Token string }
			if err := json.Unmarshal(raw, &o); err != nil {
				return err
			}
			tokens = append(tokens, o.Token)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tok := range tokens {
		seen[tok] = true
	}
	if len(tokens) != 100 || len(seen) != 100 || !seen["tok-010"] || !seen["tok-109"] || seen["tok-009"] || seen["tok-110"] {
		t.Errorf("listed %d orders (%d distinct), want tok-010 to tok-109", len(tokens), len(seen))
	}
	if requests != 2 {
		t.Errorf("%d requests, want 2 pages of %d", requests, snipcart.OrdersPageSize)
	}

	bad, _ := snipcart.NewOrdersClient(snipcart.OrdersConfig{SecretKey: "wrong", APIURL: srv.URL})
	if _, err := bad.OrdersPlaced(context.Background(), t0, t0, func([]json.RawMessage) error { return nil }); !errors.Is(err, provider.ErrUnauthenticated) {
		t.Errorf("wrong key: %v, want ErrUnauthenticated", err)
	}
}

func TestOrdersPlacedErrors(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]error{
		http.StatusServiceUnavailable: provider.ErrUnavailable,
		http.StatusTooManyRequests:    provider.ErrUnavailable,
		http.StatusBadRequest:         provider.ErrMalformed,
		http.StatusOK:                 provider.ErrMalformed, // not a page
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`[1,2]`))
		}))
		c, _ := snipcart.NewOrdersClient(snipcart.OrdersConfig{SecretKey: "k", APIURL: srv.URL})
		_, err := c.OrdersPlaced(context.Background(), time.Now(), time.Now(), func([]json.RawMessage) error { return nil })
		if !errors.Is(err, want) {
			t.Errorf("answer %d: %v, want %v", code, err, want)
		}
		srv.Close()
	}
	if _, err := snipcart.NewOrdersClient(snipcart.OrdersConfig{}); err == nil {
		t.Error("a client without a secret key")
	}
}
