package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// `dev -accounts FILE` serves the file's named accounts, and `send
// -account NAME` posts to the account's routes: each webhook is stored as
// the account's, and the consumers make the account's canonical orders
// (ShipStation's fetched with the account's keys). An account that is not configured is the gateway's 404,
// and a SHOPLINE webhook about another shop than the account's its 401.
func TestSendToANamedAccount(t *testing.T) {
	dir := t.TempDir()
	secret := func(name, value string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const eastShop = "1610418999999"
	// east's Snipcart is a sandbox of its own, with its own key: no two
	// accounts may share a key (the gateway refuses it).
	eastSnipcart := http.NewServeMux()
	eastSnipcart.Handle(sandbox.SnipcartPrefix+"/", http.StripPrefix(sandbox.SnipcartPrefix, sandbox.NewSnipcart("east-snipcart-key")))
	eastSandbox := httptest.NewServer(eastSnipcart)
	t.Cleanup(eastSandbox.Close)
	file := filepath.Join(dir, "accounts.yaml")
	if err := os.WriteFile(file, []byte(`
shipstation:
  - account: east
    webhook_token: {file: `+secret("token", "east-dev-token")+`}
    api_key: {env: HOOKSTREAM_TEST_EAST_API_KEY}
    api_secret: {file: `+secret("api-secret", devShipStationSec)+`}
snipcart:
  - account: east
    secret_key: {file: `+secret("snipcart", "east-snipcart-key")+`}
    api_url: `+eastSandbox.URL+sandbox.SnipcartPrefix+`
shopline:
  - account: east
    shop_id: "`+eastShop+`"
    app_secret: {file: `+secret("shopline", devShoplineSecret)+`}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOKSTREAM_TEST_EAST_API_KEY", devShipStationKey) // read through the file's reference
	env := startTestDevWith(t, devOptions{accountsFile: file})
	send := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL, "-shipstation-api", env.apiURL}, args...), &out)
		return out.String(), err
	}
	for _, args := range [][]string{
		{"-account", "east", "-shipstation-token", "east-dev-token", "shipstation", "ORDER_NOTIFY"},
		{"-account", "east", "shipstation", "TRACK_EVENT_V2"},
		{"-account", "east", "-sandbox", eastSandbox.URL, "snipcart", "order.completed"},
		{"-account", "east", "-shop-id", eastShop, "shopline", "fulfillment_order/create"},
	} {
		if out, err := send(args...); err != nil || !strings.Contains(out, "200 OK") || !strings.Contains(out, `"id":"east/`) {
			t.Errorf("send %v: %v\n%s", args, err, out)
		}
	}
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"unknown account":         {[]string{"-account", "west", "snipcart", "order.completed"}, "404"},
		"the examples' shop":      {[]string{"-account", "east", "shopline", "fulfillment_order/create"}, "401"},
		"the default token":       {[]string{"-account", "east", "shipstation", "ORDER_NOTIFY"}, "401"},
		"not an account name":     {[]string{"-account", "East Coast", "shipstation", "ORDER_NOTIFY"}, ""},
		"shop id for ShipStation": {[]string{"-shop-id", eastShop, "shipstation", "ORDER_NOTIFY"}, ""},
	} {
		out, err := send(c.args...)
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%s: send %v: %v\n%s", name, c.args, err, out)
		}
	}

	js := devJetStream(t, env)
	stored := 0
	eachMsg(t, js, catalog.StreamWebhooks, "", func(m *jetstream.RawStreamMsg) {
		stored++
		if m.Header.Get("ce-account") != "east" || !strings.Contains(m.Header.Get("ce-source"), "/accounts/east") {
			t.Errorf("%s: ce-account %q, ce-source %q", m.Subject, m.Header.Get("ce-account"), m.Header.Get("ce-source"))
		}
	})
	if stored != 4 {
		t.Errorf("%d webhooks stored, want 4", stored)
	}
	for _, subject := range []string{"orders.shipstation.upserted.east", "orders.snipcart.upserted.east"} {
		natstest.Eventually(t, "events on "+subject, func() bool { return countOn(t, js, catalog.StreamOrders, subject) > 0 })
	}
	checkContract(t, js, catalog.StreamOrders)
}
