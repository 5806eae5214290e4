// Package accounts reads the accounts file: the named provider accounts
// one hookstream deployment serves beside the account its environment
// variables configure.
//
// An agency or a 3PL runs many stores: several ShipStation accounts, each
// with its own webhook token and API key pair; several Snipcart shops, each
// with its own secret API key; several SHOPLINE shops, each checked against
// its app's secret. The file (HOOKSTREAM_ACCOUNTS_FILE, YAML) names each of
// them; secrets are never written in it, only referenced:
//
//	shipstation:
//	  - account: east
//	    webhook_token: {env: EAST_SHIPSTATION_WEBHOOK_TOKEN}
//	    api_key: {env: EAST_SHIPSTATION_API_KEY}
//	    api_secret: {file: /run/secrets/east_shipstation_api_secret}
//	snipcart:
//	  - account: shop-a
//	    secret_key: {env: SHOP_A_SNIPCART_SECRET_KEY}
//	shopline:
//	  - account: shop-1
//	    shop_id: "1610418123456"
//	    app_secret: {env: SHOPLINE_APP_SECRET}
//
// {env: NAME} reads NAME, or the file NAME_FILE names, as every other
// hookstream secret; {file: PATH} reads PATH. The account of the
// environment variables alone is the default account: its webhooks arrive
// at /webhooks/<provider> and its ids carry no account. A named account's
// arrive at /webhooks/<provider>/<account>, and the account is part of
// every id, key, subject and source that comes of them (see docs/accounts.md).
package accounts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookstream/hookstream/pkg/envconf"
)

// FileVar names the variable holding the accounts file's path.
const FileVar = "HOOKSTREAM_ACCOUNTS_FILE"

// Extension is the CloudEvents extension attribute (ce-account) naming a
// named account on the webhooks the gateway stores and on the canonical
// events that come of them. The default account's events have none.
const Extension = "account"

// Set is the named accounts of a deployment, per provider, in the file's
// order. The zero Set has none: the default account alone.
type Set struct {
	ShipStation []ShipStation
	Snipcart    []Snipcart
	Shopline    []Shopline
}

// ShipStation is one named ShipStation account.
type ShipStation struct {
	// Name is the account's name, in its webhook URL and its ids.
	Name string
	// WebhookToken authenticates the account's V1 webhooks (the token in
	// the target URL); without one its V1 route answers 503.
	WebhookToken string
	// APIKey and APISecret are the account's V1 API key pair; its API
	// budget is the pair's own.
	APIKey, APISecret string
	// APIURL overrides the API base (a sandbox); "" is the consumers'
	// SHIPSTATION_API_URL.
	APIURL string
	// V2APIKey is the account's ShipStation V2 API key, optional.
	V2APIKey string
}

// Snipcart is one named Snipcart account.
type Snipcart struct {
	// Name is the account's name, in its webhook URL and its ids.
	Name string
	// SecretKey is the account's secret API key: it validates the
	// account's request tokens and reads its orders.
	SecretKey string
	// APIURL overrides the API base (a sandbox); "" is SNIPCART_API_URL.
	APIURL string
}

// Shopline is one named SHOPLINE shop.
type Shopline struct {
	// Name is the account's name, in its webhook URL and its ids.
	Name string
	// ShopID is the shop's id: a webhook for the account must name it in
	// X-Shopline-Shop-Id and, where the body names a shop, in the body.
	ShopID string
	// AppSecrets are the secrets of the app the shop installed (several
	// during a rotation); two shops of one app reference the same secret.
	AppSecrets []string
	// AccessToken is the shop's open-API access token, optional: it lets
	// `hookstream webhooks` manage the shop's subscriptions and the
	// reconciler read its orders.
	AccessToken string
	// ShopHandle is the shop's handle (<handle>.myshopline.com), for its
	// open API; APIURL overrides the API base (a sandbox).
	ShopHandle, APIURL string
}

// namePattern is what an account name may be: it becomes a URL path
// segment, a NATS subject token and a KV key token.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// reserved names cannot be accounts: "v2" is the ShipStation V2 route,
// "default" the name logs give the environment's account.
var reserved = map[string]bool{"v2": true, "default": true}

// CheckName reports why name cannot be an account's name, nil when it can.
func CheckName(name string) error {
	switch {
	case reserved[name]:
		return fmt.Errorf("account name %q is reserved", name)
	case !namePattern.MatchString(name):
		return fmt.Errorf("account name %q: want 1-40 characters of a-z, 0-9, '-' and '_', starting with a letter or digit", name)
	}
	return nil
}

// Load reads the file FileVar names through l, which also resolves the
// {env: NAME} references; an unset FileVar is the zero Set. Problems are
// recorded in l, each naming the account and field.
func Load(l *envconf.Loader) Set {
	path := l.String(FileVar, "")
	if path == "" {
		return Set{}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		l.Fail(FileVar, "%v", err)
		return Set{}
	}
	s, err := Parse(data, l)
	if err != nil {
		l.Fail(FileVar, "%s: %v", path, err)
		return Set{}
	}
	return s
}

// Parse reads an accounts file's contents, resolving secret references
// through l.
func Parse(data []byte, l *envconf.Loader) (Set, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) { // an empty file names no account
		return Set{}, err
	}
	r := resolver{l: l}
	var s Set
	names := map[string]map[string]bool{}
	seen := func(provider, name string) {
		if err := CheckName(name); err != nil {
			r.fail(provider, name, "account", "%v", err)
			return
		}
		if names[provider] == nil {
			names[provider] = map[string]bool{}
		}
		if names[provider][name] {
			r.fail(provider, name, "account", "listed twice")
		}
		names[provider][name] = true
	}
	for _, a := range f.ShipStation {
		seen("shipstation", a.Account)
		ss := ShipStation{
			Name:         a.Account,
			WebhookToken: r.secret("shipstation", a.Account, "webhook_token", a.WebhookToken),
			APIKey:       r.secret("shipstation", a.Account, "api_key", a.APIKey),
			APISecret:    r.secret("shipstation", a.Account, "api_secret", a.APISecret),
			APIURL:       a.APIURL,
			V2APIKey:     r.secret("shipstation", a.Account, "v2_api_key", a.V2APIKey),
		}
		if (ss.APIKey == "") != (ss.APISecret == "") {
			r.fail("shipstation", a.Account, "api_key", "api_key and api_secret go together")
		}
		if ss.WebhookToken == "" && ss.APIKey == "" && ss.V2APIKey == "" {
			r.fail("shipstation", a.Account, "webhook_token", "the account has neither a webhook token nor API keys")
		}
		s.ShipStation = append(s.ShipStation, ss)
	}
	for _, a := range f.Snipcart {
		seen("snipcart", a.Account)
		sc := Snipcart{Name: a.Account, SecretKey: r.secret("snipcart", a.Account, "secret_key", a.SecretKey), APIURL: a.APIURL}
		if sc.SecretKey == "" {
			r.fail("snipcart", a.Account, "secret_key", "required")
		}
		s.Snipcart = append(s.Snipcart, sc)
	}
	for _, a := range f.Shopline {
		seen("shopline", a.Account)
		sl := Shopline{Name: a.Account, ShopID: strings.TrimSpace(a.ShopID), ShopHandle: a.ShopHandle, APIURL: a.APIURL,
			AccessToken: r.secret("shopline", a.Account, "access_token", a.AccessToken)}
		if secret := r.secret("shopline", a.Account, "app_secret", a.AppSecret); secret != "" {
			sl.AppSecrets = strings.Split(secret, ",")
		} else {
			r.fail("shopline", a.Account, "app_secret", "required")
		}
		if sl.ShopID == "" {
			r.fail("shopline", a.Account, "shop_id", "required: the shop's X-Shopline-Shop-Id")
		}
		s.Shopline = append(s.Shopline, sl)
	}
	return s, errors.Join(r.errs...)
}

// ShipStationAccount returns the named ShipStation account.
func (s Set) ShipStationAccount(name string) (ShipStation, bool) { return find(s.ShipStation, name) }

// SnipcartAccount returns the named Snipcart account.
func (s Set) SnipcartAccount(name string) (Snipcart, bool) { return find(s.Snipcart, name) }

// ShoplineAccount returns the named SHOPLINE account.
func (s Set) ShoplineAccount(name string) (Shopline, bool) { return find(s.Shopline, name) }

// Empty reports whether the set names no account.
func (s Set) Empty() bool { return len(s.ShipStation)+len(s.Snipcart)+len(s.Shopline) == 0 }

// String lists the accounts for the start-up log, secrets left out.
func (s Set) String() string {
	var b strings.Builder
	list := func(provider string, names []string) {
		if len(names) > 0 {
			fmt.Fprintf(&b, " %s=%s", provider, strings.Join(names, ","))
		}
	}
	list("shipstation", names(s.ShipStation))
	list("snipcart", names(s.Snipcart))
	list("shopline", names(s.Shopline))
	if b.Len() == 0 {
		return "accounts=(default only)"
	}
	return "accounts:" + b.String()
}

// named is an account of any provider.
type named interface{ name() string }

func (a ShipStation) name() string { return a.Name }
func (a Snipcart) name() string    { return a.Name }
func (a Shopline) name() string    { return a.Name }

func find[T named](list []T, name string) (T, bool) {
	for _, a := range list {
		if a.name() == name {
			return a, true
		}
	}
	var zero T
	return zero, false
}

func names[T named](list []T) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.name()
	}
	return out
}
