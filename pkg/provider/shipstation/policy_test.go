package shipstation_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

func TestResourcePolicyCheck(t *testing.T) {
	t.Parallel()
	sandbox := sandboxPolicy(t)
	tests := []struct {
		name   string
		policy shipstation.ResourcePolicy
		url    string
		ok     bool
	}{
		{name: "orders", url: orderURL, ok: true},
		{name: "shipments", url: "https://ssapi.shipstation.com/shipments?batchId=1", ok: true},
		{name: "fulfillments", url: "https://ssapi.shipstation.com/fulfillments", ok: true},
		{name: "numbered host", url: "https://ssapi7.shipstation.com/orders?storeID=1", ok: true},
		{name: "upper-case host", url: "https://SSAPI.ShipStation.com/orders", ok: true},
		{name: "port 443", url: "https://ssapi.shipstation.com:443/shipments", ok: true},
		{name: "exactly 200 bytes", url: "https://ssapi.shipstation.com/orders?x=" + longString(200-len("https://ssapi.shipstation.com/orders?x=")), ok: true},
		{name: "http refused by default", url: "http://ssapi.shipstation.com/orders"},
		{name: "http allowed by AllowHTTP", policy: shipstation.ResourcePolicy{AllowHTTP: true}, url: "http://ssapi.shipstation.com/orders", ok: true},
		{name: "sandbox loopback", policy: sandbox, url: "http://127.0.0.1:4567/orders", ok: true},
		{name: "sandbox needs the port", policy: sandbox, url: "http://127.0.0.1/orders"},
		{name: "sandbox refuses ShipStation", policy: sandbox, url: orderURL},
		{name: "sandbox refuses a longer host", policy: sandbox, url: "http://127.0.0.1.evil.example:4567/orders"},
		{name: "sandbox refuses user info", policy: sandbox, url: "http://x@127.0.0.1:4567/orders"},
		{name: "unanchored custom pattern is anchored", policy: shipstation.ResourcePolicy{Hosts: regexp.MustCompile(`127\.0\.0\.1:\d+`)},
			url: "https://x127.0.0.1:4567/orders"},
		{name: "percent-encoded host under a permissive pattern", policy: shipstation.ResourcePolicy{Hosts: regexp.MustCompile(`.+`)},
			url: "https://%C3%A9vil.example/orders"},
		{name: "empty", url: ""},
	}
	for _, u := range abuseURLs {
		tests = append(tests, struct {
			name   string
			policy shipstation.ResourcePolicy
			url    string
			ok     bool
		}{name: "abuse " + u, url: u})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := tt.policy.Check(tt.url)
			if tt.ok {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want accepted", tt.url, err)
				}
				if u.String() != tt.url {
					t.Errorf("Check(%q) returned %q", tt.url, u)
				}
				return
			}
			if !errors.Is(err, provider.ErrMalformed) {
				t.Fatalf("Check(%q) = %v, want ErrMalformed", tt.url, err)
			}
			t.Logf("refused: %v", err)
		})
	}
}

func TestParseResourceHosts(t *testing.T) {
	t.Parallel()
	re, err := shipstation.ParseResourceHosts(`127\.0\.0\.1:\d+|localhost:\d+`)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"127.0.0.1:4567":      true,
		"localhost:80":        true,
		"x127.0.0.1:4567":     false,
		"localhost:80.evil":   false,
		"127.0.0.1:4567/evil": false,
	} {
		if got := re.MatchString(host); got != want {
			t.Errorf("%q matched %v, want %v", host, got, want)
		}
	}
	if _, err := shipstation.ParseResourceHosts(`(`); err == nil {
		t.Error("an invalid pattern compiled")
	}
}
