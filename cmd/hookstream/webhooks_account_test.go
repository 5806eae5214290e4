package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
)

// `hookstream webhooks -account east` manages the named account's
// subscriptions with the account's keys and to the account's URL: the
// default account's command sees them as another system's, east's sees
// them as its own, and unsubscribing east leaves the default account's.
func TestWebhooksForANamedAccount(t *testing.T) {
	env := startTestDev(t)
	for k, v := range webhooksEnv(env) {
		t.Setenv(k, v)
	}
	file := consumertest.AccountsFile(t, `
shipstation:
  - account: east
    webhook_token: {env: EAST_TOKEN}
    api_key: {env: EAST_KEY}
    api_secret: {env: EAST_SECRET}
`)
	t.Setenv(accounts.FileVar, file)
	t.Setenv("EAST_TOKEN", "east-webhook-token")
	t.Setenv("EAST_KEY", devShipStationKey) // the sandbox knows one key pair
	t.Setenv("EAST_SECRET", devShipStationSec)

	hookstreamCmd(t, "webhooks", "subscribe", "-provider", apiShipStationV1)
	out := hookstreamCmd(t, "webhooks", "subscribe", "-account", "east")
	if strings.Contains(out, "east-webhook-token") {
		t.Errorf("the account's token was printed:\n%s", out)
	}
	east := listedAs(t, "-account", "east")
	if n := count(east, apiShipStationV1, true); n != 6 {
		t.Errorf("east owns %d subscriptions, want 6", n)
	}
	for _, r := range east {
		if *r.Ours && !strings.Contains(r.URL, "/webhooks/shipstation/east?") {
			t.Errorf("east's subscription %s goes to %s", r.Event, r.URL)
		}
	}
	if rows := listedAs(t, "-provider", apiShipStationV1); count(rows, apiShipStationV1, true) != 6 || count(rows, apiShipStationV1, false) != 6 {
		t.Errorf("the default account sees %d of its own and %d others, want 6 and 6", count(rows, apiShipStationV1, true), count(rows, apiShipStationV1, false))
	}
	hookstreamCmd(t, "webhooks", "check", "-account", "east")
	hookstreamCmd(t, "webhooks", "unsubscribe", "-account", "east")
	if rows := listedAs(t, "-provider", apiShipStationV1); count(rows, apiShipStationV1, true) != 6 || count(rows, apiShipStationV1, false) != 0 {
		t.Errorf("after unsubscribing east: %d of the default's, %d others; want 6 and 0", count(rows, apiShipStationV1, true), count(rows, apiShipStationV1, false))
	}

	var buf bytes.Buffer
	if err := run(context.Background(), []string{"webhooks", "list", "-account", "north"}, &buf); err == nil || !strings.Contains(err.Error(), `"north": not in HOOKSTREAM_ACCOUNTS_FILE`) {
		t.Errorf("an unknown account: %v", err)
	}
}

// listedAs is `webhooks list -json` with more flags.
func listedAs(t *testing.T, flags ...string) []listedSubscription {
	t.Helper()
	var rows []listedSubscription
	if err := json.Unmarshal([]byte(hookstreamCmd(t, append([]string{"webhooks", "list", "-json"}, flags...)...)), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}
