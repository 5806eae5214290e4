package accounts_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/envconf"
)

func TestLoadResolvesSecretsByReference(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "east_secret")
	if err := os.WriteFile(secretFile, []byte("east-api-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "west_token")
	if err := os.WriteFile(tokenFile, []byte("west-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "accounts.yaml")
	if err := os.WriteFile(path, []byte(`
shipstation:
  - account: east
    webhook_token: {env: EAST_TOKEN}
    api_key: {env: EAST_KEY}
    api_secret: {file: `+secretFile+`}
    api_url: http://127.0.0.1:1/
  - account: west
    webhook_token: {env: WEST_TOKEN}
snipcart:
  - account: shop-a
    secret_key: {env: SHOP_A_KEY}
shopline:
  - account: shop-1
    shop_id: "1610418123456"
    app_secret: {env: APP_SECRET}
  - account: shop-2
    shop_id: "1610418999999"
    app_secret: {env: APP_SECRET}
    access_token: {env: SHOP_2_TOKEN}
    shop_handle: shop-two
`), 0o600); err != nil {
		t.Fatal(err)
	}
	l := envconf.New(envconf.Map(map[string]string{
		accounts.FileVar:  path,
		"EAST_TOKEN":      "east-token",
		"EAST_KEY":        "east-key",
		"WEST_TOKEN_FILE": tokenFile,
		"SHOP_A_KEY":      "shop-a-key",
		"APP_SECRET":      "old,new",
		"SHOP_2_TOKEN":    "shop-2-token",
	}))
	s := accounts.Load(l)
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	east, ok := s.ShipStationAccount("east")
	if !ok || east.WebhookToken != "east-token" || east.APIKey != "east-key" || east.APISecret != "east-api-secret" || east.APIURL != "http://127.0.0.1:1/" {
		t.Errorf("east = %+v, %v", east, ok)
	}
	if west, _ := s.ShipStationAccount("west"); west.WebhookToken != "west-token" {
		t.Errorf("west token from WEST_TOKEN_FILE = %q", west.WebhookToken)
	}
	if a, _ := s.SnipcartAccount("shop-a"); a.SecretKey != "shop-a-key" {
		t.Errorf("shop-a = %+v", a)
	}
	if a, _ := s.ShoplineAccount("shop-2"); a.ShopID != "1610418999999" || strings.Join(a.AppSecrets, "|") != "old|new" || a.AccessToken != "shop-2-token" || a.ShopHandle != "shop-two" {
		t.Errorf("shop-2 = %+v", a)
	}
	if _, ok := s.ShipStationAccount("north"); ok {
		t.Error("an account not in the file was found")
	}
	if got := s.String(); strings.Contains(got, "east-token") || !strings.Contains(got, "shipstation=east,west") {
		t.Errorf("String() = %q", got)
	}
}

func TestLoadWithoutFileIsDefaultOnly(t *testing.T) {
	l := envconf.New(envconf.Map(nil))
	if s := accounts.Load(l); !s.Empty() || l.Err() != nil {
		t.Fatalf("Load = %+v, %v", s, l.Err())
	}
}

func TestParseRefusesBadFiles(t *testing.T) {
	env := envconf.Map(map[string]string{"TOKEN": "t", "KEY": "k"})
	for _, tc := range []struct{ name, yaml, want string }{
		{"inline secret", "shipstation:\n  - account: east\n    webhook_token: plain-text\n", "by reference"},
		{"both env and file", "snipcart:\n  - account: a\n    secret_key: {env: KEY, file: /x}\n", "exactly one of env and file"},
		{"unset variable", "snipcart:\n  - account: a\n    secret_key: {env: NOPE}\n", "NOPE (or NOPE_FILE) is not set"},
		{"missing file", "snipcart:\n  - account: a\n    secret_key: {file: /nonexistent/secret}\n", "no such file"},
		{"unknown field", "snipcart:\n  - account: a\n    secret: {env: KEY}\n", "not found"},
		{"twice", "snipcart:\n  - account: a\n    secret_key: {env: KEY}\n  - account: a\n    secret_key: {env: KEY}\n", "listed twice"},
		{"bad name", "snipcart:\n  - account: Shop A\n    secret_key: {env: KEY}\n", "want 1-40 characters"},
		{"reserved name", "shipstation:\n  - account: v2\n    webhook_token: {env: TOKEN}\n", "reserved"},
		{"no credentials", "shipstation:\n  - account: east\n", "neither a webhook token nor API keys"},
		{"half a key pair", "shipstation:\n  - account: east\n    api_key: {env: KEY}\n", "go together"},
		{"shop without id", "shopline:\n  - account: s\n    app_secret: {env: KEY}\n", "shop_id: required"},
		{"not yaml", "shipstation: [", "yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := accounts.Parse([]byte(tc.yaml), envconf.New(env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if s, err := accounts.Parse(nil, envconf.New(env)); err != nil || !s.Empty() {
		t.Fatalf("empty file: %+v, %v", s, err)
	}
}
