package gateway_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/services/gateway"
)

func TestLoadDefaults(t *testing.T) {
	cfg, err := gateway.Load(envconf.Map(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.MaxBodyBytes != 1<<20 || cfg.PublishTimeout != 3*time.Second ||
		cfg.NATS.URL != "nats://127.0.0.1:4222" || cfg.SnipcartAPIURL != "https://app.snipcart.com/api" ||
		cfg.Webhooks.DuplicateWindow != time.Hour {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
}

// A bad deployment is reported in one error naming every bad variable.
func TestLoadNamesEveryBadVariable(t *testing.T) {
	_, err := gateway.Load(envconf.Map(map[string]string{
		"GATEWAY_PUBLISH_TIMEOUT":    "fast",
		"GATEWAY_MAX_BODY_BYTES":     "0",
		"SNIPCART_API_URL":           "ftp://snipcart",
		"SHIPSTATION_V2_JWKS_URL":    "not a url",
		"SHIPSTATION_RESOURCE_HOSTS": "(",
		"STREAM_REPLICAS":            "0",
		"LOG_LEVEL":                  "loud",
		"NATS_CREDS":                 "/creds", "NATS_USER": "u",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"GATEWAY_PUBLISH_TIMEOUT", "GATEWAY_MAX_BODY_BYTES", "SNIPCART_API_URL",
		"SHIPSTATION_V2_JWKS_URL", "SHIPSTATION_RESOURCE_HOSTS", "STREAM_REPLICAS", "LOG_LEVEL", "NATS_CREDS"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

// Secrets come from NAME or NAME_FILE and never appear in the printed
// configuration.
func TestSecretsAreReadAndRedacted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shopline")
	if err := os.WriteFile(path, []byte("rot-1,rot-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := gateway.Load(envconf.Map(map[string]string{
		"SHOPLINE_APP_SECRET_FILE":  path,
		"SNIPCART_SECRET_KEY":       "snip-secret",
		"SHIPSTATION_WEBHOOK_TOKEN": "ship-token",
		"NATS_PASSWORD":             "nats-pw",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.ShoplineAppSecrets) != 2 || cfg.ShoplineAppSecrets[1] != "rot-2" {
		t.Errorf("SHOPLINE secrets %q", cfg.ShoplineAppSecrets)
	}
	printed := cfg.String()
	for _, secret := range []string{"rot-1", "rot-2", "snip-secret", "ship-token", "nats-pw"} {
		if strings.Contains(printed, secret) {
			t.Errorf("configuration printout leaks %q: %s", secret, printed)
		}
	}
	if !strings.Contains(printed, "SNIPCART_SECRET_KEY=(set, redacted)") {
		t.Errorf("printout does not say the secret is set: %s", printed)
	}
}

// The accounts file is read with the rest: its accounts are listed by name
// in the printed configuration, their secrets never; a bad file is an
// error naming HOOKSTREAM_ACCOUNTS_FILE.
func TestLoadReadsTheAccountsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts.yaml")
	if err := os.WriteFile(path, []byte(`
shipstation:
  - account: east
    webhook_token: {env: EAST_TOKEN}
shopline:
  - account: shop-1
    shop_id: "1610418123456"
    app_secret: {env: APP_SECRET}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := gateway.Load(envconf.Map(map[string]string{
		"HOOKSTREAM_ACCOUNTS_FILE": path, "EAST_TOKEN": "east-token-value", "APP_SECRET": "app-secret-value",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if east, ok := cfg.Accounts.ShipStationAccount("east"); !ok || east.WebhookToken != "east-token-value" {
		t.Errorf("east = %+v, %v", east, ok)
	}
	printed := cfg.String()
	if strings.Contains(printed, "east-token-value") || strings.Contains(printed, "app-secret-value") {
		t.Errorf("configuration printout leaks an account's secret: %s", printed)
	}
	if !strings.Contains(printed, "shipstation=east") || !strings.Contains(printed, "shopline=shop-1") {
		t.Errorf("printout does not list the accounts: %s", printed)
	}

	_, err = gateway.Load(envconf.Map(map[string]string{"HOOKSTREAM_ACCOUNTS_FILE": path}))
	if err == nil || !strings.Contains(err.Error(), "HOOKSTREAM_ACCOUNTS_FILE") || !strings.Contains(err.Error(), "EAST_TOKEN") {
		t.Errorf("unset secret variable: error %v", err)
	}
}
