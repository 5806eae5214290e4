package orderenricher_test

import (
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// eastKey is the API key pair of the named ShipStation account "east",
// whose orders live on a ShipStation of their own.
var eastKey = sandbox.ShipStationKey{Key: "east-key", Secret: "east-secret"}

// Two ShipStation accounts whose import batches hold the very same order
// ids, and two Snipcart accounts with the same order token: every order is
// fetched with its own account's keys and becomes a canonical order of its
// own, on its own subject and key, with its account in the event. A
// webhook of an account without API keys, or of an account this service
// does not know, goes to the DLQ saying what to configure.
func TestNamedAccountsKeepOrdersApart(t *testing.T) {
	east, eastURL := consumertest.ShipStationSandbox(t, eastKey)
	file := consumertest.AccountsFile(t, `
shipstation:
  - account: east
    api_key: {env: EAST_KEY}
    api_secret: {env: EAST_SECRET}
    api_url: `+eastURL+`
  - account: west
    webhook_token: {env: WEST_TOKEN}
`)
	h := newHarness(t, map[string]string{
		accounts.FileVar: file, "EAST_KEY": eastKey.Key, "EAST_SECRET": eastKey.Secret, "WEST_TOKEN": "west-token",
	})
	h.start()

	h.api.SetBatchSize("same", 2)
	east.SetBatchSize("same", 2)
	h.Webhook(catalog.ShipStation, "ORDER_NOTIFY", resourceBody(h.url+"/orders?storeID=123456&importBatch=same"))
	h.Webhook(catalog.ShipStation, "ORDER_NOTIFY", resourceBody(eastURL+"/orders?storeID=123456&importBatch=same"),
		consumertest.WithExtension(accounts.Extension, "east"))
	h.Webhook(catalog.Snipcart, "order.completed", snipcartOrder(t, "order.completed", "2024-05-01T10:00:00Z"))
	h.Webhook(catalog.Snipcart, "order.completed", snipcartOrder(t, "order.completed", "2024-05-01T10:00:00Z"),
		consumertest.WithExtension(accounts.Extension, "shop-a"))
	natstest.Eventually(t, "six orders", func() bool { return h.published("orders.>") >= 6 })
	h.settled()

	if n := h.published(shipstationUpserted); n != 4 {
		t.Errorf("%d ShipStation order events, want 4: two per account", n)
	}
	if n := h.published("orders.shipstation.upserted.east.*"); n != 2 {
		t.Errorf("%d events on east's subjects, want 2", n)
	}
	if east.RequestsFor("/orders") == 0 {
		t.Error("east's orders were not fetched from east's ShipStation")
	}
	if _, ok := h.stored("snipcart." + snipcartToken); !ok {
		t.Error("the default account's Snipcart order is not stored under its key")
	}
	if o, ok := h.stored("snipcart.shop-a." + snipcartToken); !ok || o.ID != "snipcart:shop-a:"+snipcartToken || o.Account != "shop-a" {
		t.Errorf("shop-a's order: %+v, %v", o, ok)
	}
	for _, e := range h.Events(catalog.StreamOrders) {
		account, _ := e.Event.Extensions()[accounts.Extension].(string)
		named := strings.Contains(e.Event.Subject(), ":east:") || strings.Contains(e.Event.Subject(), ":shop-a:")
		switch {
		case named && (account == "" || !strings.HasSuffix(e.Event.Source(), "/accounts/"+account) || !strings.Contains(e.Subject, "."+account+".")):
			t.Errorf("%s: account %q, source %q, subject %s", e.Event.Subject(), account, e.Event.Source(), e.Subject)
		case !named && (account != "" || strings.Contains(e.Event.Source(), "/accounts/")):
			t.Errorf("the default account's %s carries account %q, source %q", e.Event.Subject(), account, e.Event.Source())
		}
	}

	h.Webhook(catalog.ShipStation, "ORDER_NOTIFY", resourceBody(h.url+"/orders?importBatch=w"), consumertest.WithExtension(accounts.Extension, "west"))
	h.Webhook(catalog.ShipStation, "ORDER_NOTIFY", resourceBody(h.url+"/orders?importBatch=n"), consumertest.WithExtension(accounts.Extension, "north"))
	natstest.Eventually(t, "two DLQ entries", func() bool { return len(h.dlq()) == 2 })
	for _, want := range []string{`account "west" has no ShipStation API credentials`, `account "north" is not in this service's HOOKSTREAM_ACCOUNTS_FILE`} {
		found := false
		for _, e := range h.dlq() {
			found = found || strings.Contains(e.Error, want)
		}
		if !found {
			t.Errorf("no DLQ entry says %q: %+v", want, h.dlq())
		}
	}
}
