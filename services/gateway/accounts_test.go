package gateway_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/services/gateway"
)

// wantAccount fails unless header is a stored webhook of account ("" the
// default): ce-account, the id and the source name the account, or
// nothing does.
func wantAccount(t *testing.T, header nats.Header, account string) {
	t.Helper()
	id, source := header.Get("ce-id"), header.Get("ce-source")
	if got := header.Get(ce.HeaderPrefix + "account"); got != account {
		t.Errorf("ce-account = %q, want %q", got, account)
	}
	if account == "" {
		if strings.Contains(id, "/") || strings.Contains(source, "/accounts/") {
			t.Errorf("default account's ce-id %q, ce-source %q name an account", id, source)
		}
		return
	}
	if !strings.HasPrefix(id, account+"/") {
		t.Errorf("ce-id %q does not start with %s/", id, account)
	}
	if provider := header.Get("ce-provider"); !strings.HasPrefix(source, "/"+provider+"/accounts/"+account) {
		t.Errorf("ce-source %q is not under /%s/accounts/%s", source, provider, account)
	}
}

// The same delivery to the default account and to two named accounts is
// three events: none de-duplicates against another, each carries its
// account, and each account's retry is its own duplicate.
func TestIdenticalDeliveriesToAccountsAreStoredApart(t *testing.T) {
	h := newAccountsHarness(t, nil)
	for _, c := range []struct {
		provider, event string
		accounts        []string
		source          map[string]string // by account, "" the default
	}{
		{"shipstation", "ORDER_NOTIFY", []string{"", "east", "west"}, map[string]string{
			"": "/shipstation/stores/123456", "east": "/shipstation/accounts/east/stores/123456", "west": "/shipstation/accounts/west/stores/123456"}},
		{"shipstation", "TRACK_EVENT_V2", []string{"", "east", "north"}, map[string]string{
			"": "/shipstation/v2", "east": "/shipstation/accounts/east/v2", "north": "/shipstation/accounts/north/v2"}},
		{"snipcart", "order.completed", []string{"", "east", "west"}, map[string]string{
			"": "/snipcart/live", "east": "/snipcart/accounts/east/live", "west": "/snipcart/accounts/west/live"}},
		// east's shop is the examples' shop: the default account's and
		// east's webhooks are byte for byte the same.
		{"shopline", "fulfillment_order/create", []string{"", "east"}, map[string]string{
			"": "/shopline/shops/" + testEastShopID, "east": "/shopline/accounts/east/shops/" + testEastShopID}},
	} {
		t.Run(c.provider+"/"+c.event, func(t *testing.T) {
			h.t = t
			et, body, headers := exampleOf(t, c.provider, c.event)
			before := h.stored()
			ids := map[string]string{}
			for _, account := range c.accounts {
				s := h
				if account != "" {
					s = h.as(account)
				}
				a := s.do(s.signed(et, body, headers))
				wantCode(t, a, http.StatusOK)
				if a.body["status"] != "stored" {
					t.Fatalf("account %q: answer %v, want stored", account, a.body)
				}
				id, _ := a.body["id"].(string)
				ids[account] = id
				m := h.byID(id)
				if !bytes.Equal(m.Data, body) {
					t.Errorf("account %q: data differs from the request body", account)
				}
				if m.Header.Get(ce.HeaderMsgID) != id {
					t.Errorf("account %q: Nats-Msg-Id %q, ce-id %q", account, m.Header.Get(ce.HeaderMsgID), id)
				}
				wantAccount(t, m.Header, account)
				if got := m.Header.Get("ce-source"); got != c.source[account] {
					t.Errorf("account %q: ce-source %q, want %q", account, got, c.source[account])
				}
				if account != "" && id != account+"/"+ids[""] {
					t.Errorf("account %q: id %q, want the default's %q prefixed with %s/", account, id, ids[""], account)
				}

				again := s.do(s.signed(et, body, headers)) // the provider's retry to the same account
				wantCode(t, again, http.StatusOK)
				if again.body["status"] != "duplicate" || again.body["id"] != id {
					t.Errorf("account %q: retry answered %v, want duplicate of %s", account, again.body, id)
				}
			}
			if n := h.stored() - before; n != uint64(len(c.accounts)) {
				t.Errorf("%d messages stored, want %d: one per account", n, len(c.accounts))
			}
		})
	}
}

// One account's secret never authenticates another account's webhook, on
// any provider; what is refused is not stored.
func TestAccountSecretsDoNotCross(t *testing.T) {
	h := newAccountsHarness(t, nil)
	east, west := h.as("east"), h.as("west")
	to := func(r request, account string) request {
		path, query, _ := strings.Cut(r.path, "?")
		i := strings.LastIndex(path, "/")
		switch last := path[i+1:]; last {
		case "east", "west", "north", "south":
			path = path[:i]
		}
		if account != "" {
			path += "/" + account
		}
		if query != "" {
			path += "?" + query
		}
		r.path = path
		return r
	}
	ss, ssBody, ssHeaders := exampleOf(t, "shipstation", "ORDER_NOTIFY")
	sc, scBody, scHeaders := exampleOf(t, "snipcart", "order.completed")
	sl, slBody, slHeaders := exampleOf(t, "shopline", "fulfillment_order/create")
	// SHOPLINE webhooks of west's shop, signed with the app secret east's
	// shop shares.
	westShop := west.signed(sl, slBody, slHeaders)
	westShopHeaderOnly := east.signed(sl, slBody, slHeaders)
	westShopHeaderOnly.header.Set(shopline.HeaderShopID, testWestShopID)
	westShopBodyOnly := west.signed(sl, slBody, slHeaders)
	westShopBodyOnly.header.Set(shopline.HeaderShopID, testEastShopID)

	cases := []struct {
		name string
		r    request
		code int
	}{
		{"shipstation: east's token at west's URL", to(east.signed(ss, ssBody, ssHeaders), "west"), http.StatusUnauthorized},
		{"shipstation: east's token at the default URL", to(east.signed(ss, ssBody, ssHeaders), ""), http.StatusUnauthorized},
		{"shipstation: the default token at east's URL", to(h.signed(ss, ssBody, ssHeaders), "east"), http.StatusUnauthorized},
		{"snipcart: east's request token at west's URL", to(east.signed(sc, scBody, scHeaders), "west"), http.StatusUnauthorized},
		{"snipcart: east's request token at the default URL", to(east.signed(sc, scBody, scHeaders), ""), http.StatusUnauthorized},
		{"shopline: west's shop at east's URL, signed with the shared app secret", to(westShop, "east"), http.StatusUnauthorized},
		{"shopline: west's shop in the header only, at east's URL", westShopHeaderOnly, http.StatusUnauthorized},
		{"shopline: west's shop in the body only, at east's URL", to(westShopBodyOnly, "east"), http.StatusUnauthorized},
		{"shopline: east's shop signed with south's app", func() request {
			r := east.signed(sl, slBody, slHeaders)
			r.header.Set(shopline.HeaderHmac, shopline.Sign(testOtherAppSecret, r.body))
			return r
		}(), http.StatusUnauthorized},
		{"shopline: the shared app at the default URL", to(east.signed(sl, slBody, slHeaders), ""), http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			before := h.stored()
			a := h.do(c.r)
			wantCode(t, a, c.code)
			wantErrorBody(t, a)
			if n := h.stored(); n != before {
				t.Errorf("%d messages stored by a refused request", n-before)
			}
		})
	}

	// Each account's own webhooks pass: west's shop at west's URL, with
	// the app secret it shares with east; south's with its own app.
	t.Run("the accounts' own", func(t *testing.T) {
		h.t = t
		wantCode(t, h.do(westShop), http.StatusOK)
		south := h.as("south")
		wantCode(t, south.do(south.signed(sl, slBody, slHeaders)), http.StatusOK)
	})

	// A Snipcart token validated for east is remembered as east's: the
	// same request, resent to west's URL, is refused (west's Snipcart does
	// not know the token), and so is it at the default URL.
	t.Run("snipcart: a token east validated proves nothing to west", func(t *testing.T) {
		h.t = t
		r := east.signed(sc, scBody, scHeaders)
		wantCode(t, h.do(r), http.StatusOK)
		before := h.stored()
		wantCode(t, h.do(to(r, "west")), http.StatusUnauthorized)
		wantCode(t, h.do(to(r, "")), http.StatusUnauthorized)
		if n := h.stored(); n != before {
			t.Errorf("%d messages stored", n-before)
		}
		if again := h.do(r); again.code != http.StatusOK || again.body["status"] != "duplicate" {
			t.Errorf("east's resend answered %d %v, want 200 duplicate", again.code, again.body)
		}
		// The token is remembered as east's, for every replica: another
		// one accepts east's resend without asking east's Snipcart again.
		kv, err := h.js.KeyValue(context.Background(), gateway.BucketSnipcartTokens)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Get(context.Background(), "east."+r.header.Get(snipcart.HeaderRequestToken)); err != nil {
			t.Errorf("east's token is not remembered as east's: %v", err)
		}
		validations := h.senders["east"].snipcart.Validations()
		if again := h.replica().do(r); again.code != http.StatusOK {
			t.Errorf("east's resend to another replica answered %d %v", again.code, again.body)
		}
		if n := h.senders["east"].snipcart.Validations(); n != validations {
			t.Errorf("the other replica asked east's Snipcart again (%d validations, want %d)", n, validations)
		}
	})
}

// A request for an account that is not configured is answered 404
// unknown_account before anything is authenticated (a Snipcart token is
// not spent) or stored. An account whose provider secret is missing
// answers 503, as the default account's route does.
func TestUnknownAndUnconfiguredAccounts(t *testing.T) {
	h := newAccountsHarness(t, nil)
	east := h.as("east")
	sc, scBody, scHeaders := exampleOf(t, "snipcart", "order.completed")
	token := east.signed(sc, scBody, scHeaders)
	for _, path := range []string{
		"/webhooks/shipstation/nobody?token=east-shipstation-token",
		"/webhooks/shipstation/v2/nobody",
		"/webhooks/snipcart/nobody",
		"/webhooks/shopline/nobody",
		"/webhooks/shopline/east/extra",
		"/webhooks/snipcart/south", // a SHOPLINE account, not a Snipcart one
		"/webhooks/shipstation/" + strings.Repeat("x", 500),
	} {
		r := token
		r.path = path
		a := h.do(r)
		wantCode(t, a, http.StatusNotFound)
		wantErrorBody(t, a)
		if a.body["error"] != "unknown_account" {
			t.Errorf("%s: error %v, want unknown_account", path, a.body["error"])
		}
		if msg, _ := a.body["message"].(string); len(msg) > 200 {
			t.Errorf("%s: message of %d bytes repeats the whole path", path, len(msg))
		}
	}
	if n := h.senders["east"].snipcart.Validations(); n != 0 {
		t.Errorf("%d Snipcart validations for unknown accounts, want 0", n)
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
	// The token was not spent: it still passes at east's URL.
	wantCode(t, h.do(token), http.StatusOK)

	ss, ssBody, ssHeaders := exampleOf(t, "shipstation", "ORDER_NOTIFY")
	r := h.as("north").signed(ss, ssBody, ssHeaders)
	a := h.do(r)
	wantCode(t, a, http.StatusServiceUnavailable)
	if msg, _ := a.body["message"].(string); !strings.Contains(msg, "north") || !strings.Contains(msg, "webhook_token") {
		t.Errorf("message %q does not say north lacks a webhook_token", msg)
	}
	if a.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if n := h.stored(); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
	if metrics := h.get("/metrics"); !strings.Contains(metrics, `hookstream_gateway_requests_total{code="404",route="shipstation"} 2`) {
		t.Errorf("unknown accounts not counted under their provider's route:\n%s", grepLines(metrics, "requests_total"))
	}
}

// The account's Snipcart API is the one its request tokens are validated
// at: east's Snipcart answering 503 makes east's route answer 503, and
// neither west's nor the default route asks it.
func TestSnipcartAccountsValidateAtTheirOwnAPI(t *testing.T) {
	h := newAccountsHarness(t, nil)
	east, west := h.as("east"), h.as("west")
	et, body, headers := exampleOf(t, "snipcart", "order.completed")
	h.senders["east"].snipcart.FailNext(1, http.StatusServiceUnavailable)
	wantCode(t, h.do(east.signed(et, body, headers)), http.StatusServiceUnavailable)
	wantCode(t, h.do(west.signed(et, body, headers)), http.StatusOK)
	wantCode(t, h.do(h.signed(et, body, headers)), http.StatusOK)
	for name, want := range map[string]int{"east": 1, "west": 1} {
		if n := h.senders[name].snipcart.Validations(); n != want {
			t.Errorf("%s's Snipcart: %d validations, want %d", name, n, want)
		}
	}
	if n := h.snipcart.Validations(); n != 1 {
		t.Errorf("the default Snipcart: %d validations, want 1", n)
	}
}

// When the default account's SHOPLINE app is also named shops' app, the
// default route refuses those shops' webhooks: they are the named
// accounts', at their own routes. Other shops of the app still pass.
func TestDefaultRouteRefusesNamedShopsOfItsApp(t *testing.T) {
	h := newAccountsHarness(t, map[string]string{"SHOPLINE_APP_SECRET": testSharedAppSecret})
	west := h.as("west")
	sl, body, headers := exampleOf(t, "shopline", "fulfillment_order/create")
	r := west.signed(sl, body, headers)
	wantCode(t, h.do(r), http.StatusOK) // at west's route

	atDefault := r
	atDefault.path = "/webhooks/shopline"
	a := h.do(atDefault)
	wantCode(t, a, http.StatusUnauthorized)
	if msg, _ := a.body["message"].(string); !strings.Contains(msg, "named account") {
		t.Errorf("message %q", msg)
	}
	other := func(shop string) request {
		o := r
		o.path = "/webhooks/shopline"
		o.body = bytes.ReplaceAll(o.body, []byte(testWestShopID), []byte(shop))
		o.header = r.header.Clone()
		o.header.Set(shopline.HeaderShopID, shop)
		o.header.Set(shopline.HeaderHmac, shopline.Sign(testSharedAppSecret, o.body))
		return o
	}
	wantCode(t, h.do(other("1610418000001")), http.StatusOK) // a shop no account names
	if n := h.stored(); n != 2 {
		t.Errorf("%d messages stored, want 2", n)
	}
}

// A configuration in which one secret would authenticate two accounts'
// webhooks is refused at start-up, naming both accounts.
func TestAccountsSharingASecretAreRefused(t *testing.T) {
	ns := natstest.Run(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for name, c := range map[string]struct {
		env  map[string]string
		set  accounts.Set
		want string
	}{
		"a ShipStation token of the default account and a named one": {
			env:  map[string]string{"SHIPSTATION_WEBHOOK_TOKEN": "t"},
			set:  accounts.Set{ShipStation: []accounts.ShipStation{{Name: "east", WebhookToken: "t"}}},
			want: "shipstation accounts default and east have the same webhook token",
		},
		"a Snipcart key of two named accounts": {
			set:  accounts.Set{Snipcart: []accounts.Snipcart{{Name: "a", SecretKey: "k"}, {Name: "b", SecretKey: "k"}}},
			want: "snipcart accounts a and b have the same secret key",
		},
		"a SHOPLINE shop of two accounts": {
			set: accounts.Set{Shopline: []accounts.Shopline{
				{Name: "a", ShopID: "1", AppSecrets: []string{"s"}}, {Name: "b", ShopID: "1", AppSecrets: []string{"s"}}}},
			want: "shopline accounts a and b have the same shop id",
		},
		"a SHOPLINE account without a shop": {
			set:  accounts.Set{Shopline: []accounts.Shopline{{Name: "a", AppSecrets: []string{"s"}}}},
			want: "shop id is required",
		},
		"a bad name": {
			set:  accounts.Set{Snipcart: []accounts.Snipcart{{Name: "v2", SecretKey: "k"}}},
			want: "reserved",
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := gateway.Load(envconf.Map(c.env))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Accounts = c.set
			if _, err := gateway.New(cfg, nc, zap.NewNop()); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: %v, want an error containing %q", err, c.want)
			}
		})
	}
}
