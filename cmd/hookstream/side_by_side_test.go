package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// Two ShipStation accounts whose ShipStations hold the same import batch
// (the same order ids and numbers), and two SHOPLINE shops of one app that
// send the same order, run side by side in one hookstream dev, through
// its real gateway: every account has its own canonical orders, and a
// cancellation in one shop leaves the other shop's order as it was.
func TestTwoAccountsSideBySide(t *testing.T) {
	type shipStation struct {
		name, token string
		api         *sandbox.ShipStationAPI
		url         string
	}
	var accountsYAML strings.Builder
	accountsYAML.WriteString("shipstation:\n")
	var ships []shipStation
	for _, name := range []string{"east", "west"} {
		s := shipStation{name: name, token: name + "-webhook-token"}
		s.api, s.url = consumertest.ShipStationSandbox(t, sandbox.ShipStationKey{Key: name + "-key", Secret: name + "-secret"})
		s.api.SetBatchSize("same", 3)
		ships = append(ships, s)
		upper := strings.ToUpper(name)
		t.Setenv("HOOKSTREAM_TEST_"+upper+"_TOKEN", s.token)
		t.Setenv("HOOKSTREAM_TEST_"+upper+"_KEY", name+"-key")
		t.Setenv("HOOKSTREAM_TEST_"+upper+"_SECRET", name+"-secret")
		accountsYAML.WriteString("  - account: " + name + "\n    webhook_token: {env: HOOKSTREAM_TEST_" + upper + "_TOKEN}\n" +
			"    api_key: {env: HOOKSTREAM_TEST_" + upper + "_KEY}\n    api_secret: {env: HOOKSTREAM_TEST_" + upper + "_SECRET}\n" +
			"    api_url: " + s.url + "\n")
	}
	shops := map[string]string{"shop-1": "1610418000001", "shop-2": "1610418000002"}
	t.Setenv("HOOKSTREAM_TEST_APP_SECRET", devShoplineSecret) // one app, two shops
	accountsYAML.WriteString("shopline:\n")
	for _, name := range []string{"shop-1", "shop-2"} {
		accountsYAML.WriteString("  - account: " + name + "\n    shop_id: \"" + shops[name] + "\"\n    app_secret: {env: HOOKSTREAM_TEST_APP_SECRET}\n")
	}
	file := consumertest.AccountsFile(t, accountsYAML.String())
	env := startTestDevWith(t, devOptions{accountsFile: file})

	for _, s := range ships {
		body, _ := json.Marshal(map[string]string{"resource_url": s.url + "/orders?storeID=123456&importBatch=same", "resource_type": "ORDER_NOTIFY"})
		resp, err := http.Post(env.gatewayURL+"/webhooks/shipstation/"+s.name+"?token="+s.token, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s's ORDER_NOTIFY: %s", s.name, resp.Status)
		}
	}
	send := func(args ...string) {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"send", "-url", env.gatewayURL}, args...), &out); err != nil || !strings.Contains(out.String(), "200 OK") {
			t.Fatalf("send %v: %v\n%s", args, err, out.String())
		}
	}
	for _, name := range []string{"shop-1", "shop-2"} {
		send("-account", name, "-shop-id", shops[name], "shopline", "orders/create")
	}
	send("-account", "shop-1", "-shop-id", shops["shop-1"], "shopline", "orders/cancelled")

	js := devJetStream(t, env)
	natstest.Eventually(t, "every account's orders", func() bool {
		return countOn(t, js, catalog.StreamOrders, "orders.shipstation.upserted.east") == 3 &&
			countOn(t, js, catalog.StreamOrders, "orders.shipstation.upserted.west") == 3 &&
			countOn(t, js, catalog.StreamOrders, "orders.shopline.upserted.shop-1") == 2 &&
			countOn(t, js, catalog.StreamOrders, "orders.shopline.upserted.shop-2") == 1
	})
	checkContract(t, js, catalog.StreamOrders)

	byAccount := map[string][]model.Order{}
	for _, o := range lastOrders(t, js) {
		if o.Account == "" {
			t.Errorf("order %s of the default account: nothing was sent to it", o.ID)
		}
		if !strings.HasPrefix(o.ID, o.Provider+":"+o.Account+":") {
			t.Errorf("order %s is not its account %s's", o.ID, o.Account)
		}
		byAccount[o.Account] = append(byAccount[o.Account], o)
	}
	numbers := func(account string) []string {
		var out []string
		for _, o := range byAccount[account] {
			out = append(out, strings.TrimPrefix(o.ID, o.Provider+":"+account+":")+"/"+o.Number)
		}
		slices.Sort(out)
		return out
	}
	if east, west := numbers("east"), numbers("west"); len(east) != 3 || !slices.Equal(east, west) {
		t.Errorf("east's orders %v, west's %v: want the same three ids and numbers, apart", east, west)
	}
	for account, want := range map[string]model.Status{"shop-1": model.StatusCancelled, "shop-2": ""} {
		orders := byAccount[account]
		if len(orders) != 1 || orders[0].Number != "#1001" || orders[0].Store != shops[account] ||
			(orders[0].Status == model.StatusCancelled) != (want == model.StatusCancelled) {
			t.Errorf("%s's orders: %+v", account, orders)
		}
	}
}

// lastOrders returns the newest state of every order in ORDERS.
func lastOrders(t *testing.T, js jetstream.JetStream) map[string]model.Order {
	t.Helper()
	out := map[string]model.Order{}
	eachMsg(t, js, catalog.StreamOrders, "", func(m *jetstream.RawStreamMsg) {
		var o model.Order // binary mode: the payload is the event's data
		if err := json.Unmarshal(m.Data, &o); err != nil {
			t.Fatal(err)
		}
		out[o.ID] = o
	})
	return out
}
