package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/subscriptions"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// webhooksEnv points `hookstream webhooks` at a test dev's sandboxes and
// gateway through the variables an operator sets.
func webhooksEnv(env *devEnv) map[string]string {
	return map[string]string{
		envGatewayPublicURL:         env.gatewayURL,
		"SHIPSTATION_API_URL":       env.apiURL,
		"SHIPSTATION_API_KEY":       devShipStationKey,
		"SHIPSTATION_API_SECRET":    devShipStationSec,
		"SHIPSTATION_WEBHOOK_TOKEN": devShipStationToken,
		"SHIPSTATION_V2_API_URL":    env.sandboxURL,
		"SHIPSTATION_V2_API_KEY":    devShipStationV2Key,
		"SHOPLINE_API_URL":          env.sandboxURL + sandbox.ShoplinePrefix,
		"SHOPLINE_ACCESS_TOKEN":     devShoplineAccessToken,
	}
}

// providerCall sends one request to a sandboxed provider API, as another
// system (or a person in a dashboard) would, and fails the test unless it
// is answered 2xx.
func providerCall(t *testing.T, method, target string, auth func(*http.Request), body any) []byte {
	t.Helper()
	var in io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, in)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	auth(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, target, resp.StatusCode, data)
	}
	return data
}

// listed runs `webhooks list -json`.
func listed(t *testing.T) []listedSubscription {
	t.Helper()
	return listedAs(t)
}

// count counts the rows of provider, ours or not.
func count(rows []listedSubscription, provider string, ours bool) int {
	n := 0
	for _, r := range rows {
		if r.Provider == provider && r.Ours != nil && *r.Ours == ours {
			n++
		}
	}
	return n
}

// `hookstream webhooks` against hookstream dev's sandboxed provider APIs:
// subscribe makes the wanted subscriptions once however often it runs,
// check finds a deleted and a tampered one (and exits non-zero as a
// process), subscribe repairs them, unsubscribe removes ours and leaves
// other systems' alone; no secret is ever printed.
func TestWebhooksSubscriptions(t *testing.T) {
	env := startTestDev(t)
	vars := webhooksEnv(env)
	for k, v := range vars {
		t.Setenv(k, v)
	}
	v1Auth := func(r *http.Request) { r.SetBasicAuth(devShipStationKey, devShipStationSec) }
	v2Auth := func(r *http.Request) { r.Header.Set("api-key", devShipStationV2Key) }
	slAuth := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+devShoplineAccessToken) }
	slBase := env.sandboxURL + sandbox.ShoplinePrefix + "/admin/openapi/" + defaultShoplineAPIVersion
	gw, _ := url.Parse(env.gatewayURL)
	v1Target := webhookTarget(gw, apiShipStationV1, devShipStationToken, "")
	slTarget := webhookTarget(gw, apiShopline, "", "")

	if rows := listed(t); len(rows) != 0 {
		t.Fatalf("a fresh sandbox lists %d subscriptions: %+v", len(rows), rows)
	}
	// Other systems' subscriptions, which nothing may touch.
	providerCall(t, "POST", env.apiURL+"/webhooks/subscribe", v1Auth, map[string]any{"target_url": "https://erp.example/hooks", "event": "ORDER_NOTIFY"})
	providerCall(t, "POST", slBase+"/webhooks.json", slAuth, map[string]any{"webhook": map[string]string{
		"address": "https://erp.example/shopline", "topic": "orders/create", "api_version": defaultShoplineAPIVersion}})

	out := hookstreamCmd(t, "webhooks", "subscribe")
	v2Events, err := subscriptions.ShipStationV2Events()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{apiShipStationV1: 6, apiShipStationV2: len(v2Events), apiShopline: len(subscriptions.ShoplineTopics())}
	rows := listed(t)
	for provider, n := range want {
		if got := count(rows, provider, true); got != n {
			t.Errorf("%s: %d subscriptions of ours after subscribe, want %d\n%s", provider, got, n, out)
		}
		if got := count(rows, provider, false); got != map[string]int{apiShipStationV1: 1, apiShopline: 1}[provider] {
			t.Errorf("%s: %d foreign subscriptions", provider, got)
		}
	}
	var v1Events []string
	for _, r := range rows {
		if r.Provider == apiShipStationV1 && *r.Ours {
			v1Events = append(v1Events, r.Event)
		}
	}
	if slices.Sort(v1Events); !slices.Equal(v1Events, sorted(shipstation.V1WebhookEvents)) {
		t.Errorf("V1 events %v, want %v", v1Events, shipstation.V1WebhookEvents)
	}
	if want := strings.Replace(v1Target, devShipStationToken, "REDACTED", 1); !slices.ContainsFunc(rows, func(r listedSubscription) bool { return r.URL == want }) {
		t.Errorf("no listed URL is %s", want)
	}

	// Idempotent: the same subscriptions, by id.
	ids := func(rows []listedSubscription) []string {
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.Provider+"/"+r.ID)
		}
		slices.Sort(ids)
		return ids
	}
	before := ids(rows)
	out = hookstreamCmd(t, "webhooks", "subscribe")
	if after := ids(listed(t)); !slices.Equal(before, after) {
		t.Errorf("a second subscribe changed the subscriptions:\n%v\n%v\n%s", before, after, out)
	}
	if out := hookstreamCmd(t, "webhooks", "check"); !strings.Contains(out, "every subscription in place") {
		t.Errorf("check after subscribe:\n%s", out)
	}

	// Break three: a V2 event deleted, a SHOPLINE address moved, a V1
	// subscription replaced by one with an old token.
	idOf := func(provider, event string) string {
		for _, r := range listed(t) {
			if r.Provider == provider && r.Event == event && *r.Ours {
				return r.ID
			}
		}
		t.Fatalf("no %s %s subscription", provider, event)
		return ""
	}
	providerCall(t, "DELETE", env.sandboxURL+"/v2/environment/webhooks/"+idOf(apiShipStationV2, "track_event_v2"), v2Auth, nil)
	providerCall(t, "PUT", slBase+"/"+idOf(apiShopline, "fulfillment_order/on_hold")+"/webhooks.json", slAuth,
		map[string]any{"webhook": map[string]string{"address": slTarget + "?moved=1"}})
	providerCall(t, "DELETE", env.apiURL+"/webhooks/"+idOf(apiShipStationV1, "SHIP_NOTIFY"), v1Auth, nil)
	providerCall(t, "POST", env.apiURL+"/webhooks/subscribe", v1Auth, map[string]any{
		"target_url": strings.Replace(v1Target, devShipStationToken, "old-token", 1), "event": "SHIP_NOTIFY"})

	var report bytes.Buffer
	err = run(context.Background(), []string{"webhooks", "check"}, &report)
	if err == nil || !strings.Contains(err.Error(), "1 missing, 2 wrong") {
		t.Errorf("check after tampering: %v", err)
	}
	for _, line := range []string{`(?m)^\s+missing\s+track_event_v2\s`, `(?m)^\s+wrong\s+fulfillment_order/on_hold\s.*moved=1`, `(?m)^\s+wrong\s+SHIP_NOTIFY\s.*token=REDACTED`} {
		if !regexp.MustCompile(line).MatchString(report.String()) {
			t.Errorf("check's report lacks %s:\n%s", line, report.String())
		}
	}
	// As a process, check exits 1.
	cmd := exec.Command(os.Args[0], "webhooks", "check")
	cmd.Env = append(os.Environ(), "HOOKSTREAM_TEST_MAIN=1")
	procOut, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Errorf("the check process ended with %v, want exit status 1\n%s", err, procOut)
	}

	out = hookstreamCmd(t, "webhooks", "subscribe")
	if out := hookstreamCmd(t, "webhooks", "check"); !strings.Contains(out, "every subscription in place") {
		t.Errorf("check after the repairing subscribe:\n%s", out)
	}
	rows = listed(t)
	for provider, n := range want {
		if got := count(rows, provider, true); got != n {
			t.Errorf("%s: %d subscriptions of ours after the repair, want %d\n%s", provider, got, n, out)
		}
	}

	// What was subscribed is the gateway's: a V1 webhook posted to the
	// target URL is accepted; the others reach their routes.
	body := `{"resource_url":"` + env.apiURL + `/orders?importBatch=subs-test","resource_type":"ORDER_NOTIFY"}`
	if resp, err := http.Post(v1Target, "application/json", strings.NewReader(body)); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("a webhook to the V1 target: %v %v", resp, err)
	}
	for _, api := range []string{apiShipStationV2, apiShopline, apiSnipcart} {
		resp, err := http.Post(webhookTarget(gw, api, "", ""), "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(answer), "no such route") {
			t.Errorf("%s's target %s is no gateway route", api, webhookTarget(gw, api, "", ""))
		}
	}

	out = hookstreamCmd(t, "webhooks", "unsubscribe")
	rows = listed(t)
	if len(rows) != 2 || count(rows, apiShipStationV1, false) != 1 || count(rows, apiShopline, false) != 1 {
		t.Errorf("after unsubscribe, want the two foreign subscriptions only: %+v\n%s", rows, out)
	}
	if err := run(context.Background(), []string{"webhooks", "check"}, io.Discard); err == nil {
		t.Error("check passed with nothing subscribed")
	}
}

// The command never prints a credential: not the V1 token in a listed
// URL, nor a key in an error.
func TestWebhooksPrintNoSecret(t *testing.T) {
	env := startTestDev(t)
	for k, v := range webhooksEnv(env) {
		t.Setenv(k, v)
	}
	var out bytes.Buffer
	for _, args := range [][]string{{"subscribe"}, {"list"}, {"list", "-json"}, {"check"}} {
		if err := run(context.Background(), append([]string{"webhooks"}, args...), &out); err != nil {
			t.Fatalf("webhooks %v: %v", args, err)
		}
	}
	// A refused key: the error names the answer, not the key.
	t.Setenv("SHIPSTATION_V2_API_KEY", "dev-wrong-v2-key")
	err := run(context.Background(), []string{"webhooks", "check", "-provider", apiShipStationV2}, &out)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("check with a wrong key: %v", err)
	}
	all := out.String() + err.Error()
	for _, secret := range []string{devShipStationToken, devShipStationSec, devShipStationV2Key, "dev-wrong-v2-key", devShoplineAccessToken} {
		if strings.Contains(all, secret) {
			t.Errorf("the output holds the secret %q:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "snipcart: no webhook API") || !strings.Contains(all, webhookTarget(mustURL(t, env.gatewayURL), apiSnipcart, "", "")) {
		t.Errorf("check does not say what to set at Snipcart:\n%s", all)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// -store makes one V1 and V2 subscription per event and store; subscribe
// without it converges back to one for all stores, deleting the per-store
// ones.
func TestWebhooksPerStore(t *testing.T) {
	env := startTestDev(t)
	for k, v := range webhooksEnv(env) {
		t.Setenv(k, v)
	}
	hookstreamCmd(t, "webhooks", "subscribe", "-provider", "shipstation", "-store", "101,102")
	rows := listed(t)
	stores := map[string]int{}
	for _, r := range rows {
		stores[r.StoreID]++
	}
	if len(rows) != 12 || stores["101"] != 6 || stores["102"] != 6 {
		t.Fatalf("per store: %d rows, by store %v", len(rows), stores)
	}
	if out := hookstreamCmd(t, "webhooks", "check", "-provider", "shipstation", "-store", "101,102"); !strings.Contains(out, "every subscription in place") {
		t.Errorf("check per store:\n%s", out)
	}
	out := hookstreamCmd(t, "webhooks", "subscribe", "-provider", "shipstation")
	rows = listed(t)
	if len(rows) != 6 || slices.ContainsFunc(rows, func(r listedSubscription) bool { return r.StoreID != "" }) {
		t.Errorf("after subscribe for all stores: %+v\n%s", rows, out)
	}
}

// Without a gateway URL nothing is changed; a provider named with -provider
// must be configured.
func TestWebhooksRefusals(t *testing.T) {
	env := startTestDev(t)
	vars := webhooksEnv(env)
	delete(vars, envGatewayPublicURL)
	for k, v := range vars {
		t.Setenv(k, v)
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no gateway URL":      {[]string{"subscribe"}, "no gateway URL"},
		"gateway URL query":   {[]string{"check", "-gateway-url", "https://h/?token=x"}, "public base URL"},
		"unknown provider":    {[]string{"check", "-provider", "shopify"}, "not one of"},
		"unknown subcommand":  {[]string{"sync"}, "unknown webhooks subcommand"},
		"unconfigured, named": {[]string{"list", "-provider", "shopline", "-gateway-url", "https://h"}, "SHOPLINE_ACCESS_TOKEN is unset"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "unconfigured, named" {
				t.Setenv("SHOPLINE_ACCESS_TOKEN", "")
			}
			err := run(context.Background(), append([]string{"webhooks"}, tc.args...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
			}
		})
	}
	if rows := listed(t); len(rows) != 0 {
		t.Errorf("a refused command changed something: %+v", rows)
	}
}
