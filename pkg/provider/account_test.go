package provider_test

import (
	"testing"

	"github.com/hookstream/hookstream/pkg/provider"
)

func TestForAccount(t *testing.T) {
	for _, tc := range []struct{ source, account, want string }{
		{"/shipstation/stores/123", "east", "/shipstation/accounts/east/stores/123"},
		{"/shipstation", "east", "/shipstation/accounts/east"},
		{"/shipstation/v2", "east", "/shipstation/accounts/east/v2"},
		{"/snipcart/live", "shop-a", "/snipcart/accounts/shop-a/live"},
		{"/shopline/shops/1610418123456", "shop-1", "/shopline/accounts/shop-1/shops/1610418123456"},
		{"/shopline/shops/1610418123456", "", "/shopline/shops/1610418123456"},
	} {
		w := provider.Webhook{ID: "shipstation-abc", Source: tc.source}.ForAccount(tc.account)
		if w.Source != tc.want {
			t.Errorf("ForAccount(%q).Source of %q = %q, want %q", tc.account, tc.source, w.Source, tc.want)
		}
		wantID := "shipstation-abc"
		if tc.account != "" {
			wantID = tc.account + "/shipstation-abc"
		}
		if back, account := provider.DefaultSource(w.Source); back != tc.source || account != tc.account {
			t.Errorf("DefaultSource(%q) = %q, %q; want %q, %q", w.Source, back, account, tc.source, tc.account)
		}
		if w.ID != wantID {
			t.Errorf("ForAccount(%q).ID = %q, want %q", tc.account, w.ID, wantID)
		}
	}
}
