package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/tracing"
)

// route is one webhook endpoint: the default account's, or a named
// account's.
type route struct {
	path string
	// pattern is the path with the account as {account}: the http.route
	// of the request's span, one value per provider route.
	pattern string
	label   string // metrics and logs: shipstation, shipstation_v2, snipcart, shopline
	// account is the named account the route serves, "" the default one.
	account  string
	verifier provider.Verifier
	// notConfigured is the 503's message when verifier is nil: what to
	// configure.
	notConfigured string
	// stored and took are the route's series for 200 answers and for
	// durations, looked up once; every account's route of a provider
	// shares its provider's.
	stored prometheus.Counter
	took   prometheus.Observer
}

// routes are the webhook routes by path: a map, so that a deployment of
// hundreds of accounts finds a route as fast as one of a single account.
type routes struct {
	byPath map[string]*route
	all    []*route // in the order built: the default routes first
}

// The default account's routes. A named account's are these plus
// "/<account>".
const (
	pathShipStation   = "/webhooks/shipstation"
	pathShipStationV2 = "/webhooks/shipstation/v2"
	pathSnipcart      = "/webhooks/snipcart"
	pathShopline      = "/webhooks/shopline"
)

// accountPrefixes are the paths under which a named account's routes
// are, with the label of their provider route; the longer one first, as
// /webhooks/shipstation/v2/ is under /webhooks/shipstation/.
var accountPrefixes = []struct{ prefix, label string }{
	{pathShipStationV2 + "/", "shipstation_v2"},
	{pathShipStation + "/", "shipstation"},
	{pathSnipcart + "/", "snipcart"},
	{pathShopline + "/", "shopline"},
}

// routeBuilder makes the routes of one configuration: the default
// account's, then each named account's, their verifiers sharing what can
// be shared.
type routeBuilder struct {
	cfg    Config
	tokens *kvTokens
	// v2 is every ShipStation V2 route's verifier: ShipStation signs V2
	// webhooks with its own keys, whatever the account, so one JWKS cache
	// serves them all; the URL names the account.
	v2 provider.Verifier
	// snipcartClient validates every Snipcart account's request tokens.
	snipcartClient *http.Client
	rs             routes
}

func buildRoutes(cfg Config, tokens *kvTokens) (routes, error) {
	b := &routeBuilder{
		cfg:            cfg,
		tokens:         tokens,
		snipcartClient: &http.Client{Timeout: cfg.VerifyTimeout, Transport: tracing.Transport(nil, "snipcart")},
		rs:             routes{byPath: map[string]*route{}},
	}
	if cfg.ShipStationV2JWKSURL != "" {
		v2, err := shipstation.NewV2Verifier(shipstation.V2Config{
			JWKSURL:    cfg.ShipStationV2JWKSURL,
			HTTPClient: &http.Client{Timeout: cfg.VerifyTimeout, Transport: tracing.Transport(nil, "shipstation")},
		})
		if err != nil {
			return routes{}, fmt.Errorf("gateway: shipstation v2: %w", err)
		}
		b.v2 = v2
	}
	if err := distinct(cfg); err != nil {
		return routes{}, err
	}
	if err := b.defaults(); err != nil {
		return routes{}, err
	}
	if err := b.named(cfg.Accounts); err != nil {
		return routes{}, err
	}
	return b.rs, nil
}

// defaults adds the default account's routes, configured by the
// environment variables.
func (b *routeBuilder) defaults() error {
	cfg := b.cfg
	v1, err := b.v1(cfg.ShipStationToken)
	if err != nil {
		return fmt.Errorf("gateway: shipstation: %w", err)
	}
	sc, err := b.snipcart(cfg.SnipcartSecretKey, cfg.SnipcartAPIURL, b.tokens)
	if err != nil {
		return fmt.Errorf("gateway: snipcart: %w", err)
	}
	sl, err := b.shopline(cfg.ShoplineAppSecrets, "", sharingShops(cfg)...)
	if err != nil {
		return fmt.Errorf("gateway: shopline: %w", err)
	}
	return errors.Join(
		b.add("", "shipstation", pathShipStation, v1, "set SHIPSTATION_WEBHOOK_TOKEN"),
		b.add("", "shipstation_v2", pathShipStationV2, b.v2, "set SHIPSTATION_V2_JWKS_URL"),
		b.add("", "snipcart", pathSnipcart, sc, "set SNIPCART_SECRET_KEY"),
		b.add("", "shopline", pathShopline, sl, "set SHOPLINE_APP_SECRET"),
	)
}

// named adds every named account's routes.
func (b *routeBuilder) named(set accounts.Set) error {
	hint := func(field string) string { return "give the account a " + field + " in " + accounts.FileVar }
	for _, a := range set.ShipStation {
		if err := accounts.CheckName(a.Name); err != nil {
			return fmt.Errorf("gateway: shipstation: %w", err)
		}
		v1, err := b.v1(a.WebhookToken)
		if err != nil {
			return fmt.Errorf("gateway: shipstation account %s: %w", a.Name, err)
		}
		if err := b.add(a.Name, "shipstation", pathShipStation, v1, hint("webhook_token")); err != nil {
			return err
		}
		if err := b.add(a.Name, "shipstation_v2", pathShipStationV2, b.v2, "set SHIPSTATION_V2_JWKS_URL"); err != nil {
			return err
		}
	}
	for _, a := range set.Snipcart {
		if err := accounts.CheckName(a.Name); err != nil {
			return fmt.Errorf("gateway: snipcart: %w", err)
		}
		apiURL := a.APIURL
		if apiURL == "" {
			apiURL = b.cfg.SnipcartAPIURL
		}
		// The account's validated tokens are its own in the shared
		// memory: a token another account's route validated proves
		// nothing here.
		sc, err := b.snipcart(a.SecretKey, apiURL, b.tokens.forAccount(a.Name))
		if err != nil {
			return fmt.Errorf("gateway: snipcart account %s: %w", a.Name, err)
		}
		if err := b.add(a.Name, "snipcart", pathSnipcart, sc, hint("secret_key")); err != nil {
			return err
		}
	}
	for _, a := range set.Shopline {
		if err := accounts.CheckName(a.Name); err != nil {
			return fmt.Errorf("gateway: shopline: %w", err)
		}
		if strings.TrimSpace(a.ShopID) == "" {
			return fmt.Errorf("gateway: shopline account %s: a shop id is required", a.Name)
		}
		sl, err := b.shopline(a.AppSecrets, a.ShopID)
		if err != nil {
			return fmt.Errorf("gateway: shopline account %s: %w", a.Name, err)
		}
		if err := b.add(a.Name, "shopline", pathShopline, sl, hint("app_secret")); err != nil {
			return err
		}
	}
	return nil
}

// add adds the route of account ("" the default) under base, the
// provider route's default path. A nil verifier makes a route answering
// 503: configure is what to do about it.
func (b *routeBuilder) add(account, label, base string, v provider.Verifier, configure string) error {
	rt := &route{path: base, pattern: base, label: label, account: account, verifier: v,
		notConfigured: label + " webhooks are not configured: " + configure}
	if account != "" {
		rt.path, rt.pattern = base+"/"+account, base+"/{account}"
		rt.notConfigured = fmt.Sprintf("%s webhooks of account %s are not configured: %s", label, account, configure)
	}
	if _, dup := b.rs.byPath[rt.path]; dup {
		return fmt.Errorf("gateway: %s account %s is configured twice", label, account)
	}
	b.rs.byPath[rt.path] = rt
	b.rs.all = append(b.rs.all, rt)
	return nil
}

// v1 is a ShipStation V1 verifier for token, nil without one. Every
// account's resource_url is held to the same policy.
func (b *routeBuilder) v1(token string) (provider.Verifier, error) {
	if token == "" {
		return nil, nil
	}
	return shipstation.NewV1Verifier(shipstation.V1Config{
		Token: token,
		Resources: shipstation.ResourcePolicy{
			Hosts:     b.cfg.ShipStationResourceHosts,
			AllowHTTP: b.cfg.ShipStationResourceAllowHTTP,
		},
	})
}

// snipcart is a Snipcart verifier for secretKey at apiURL, remembering
// the tokens it validates in shared, nil without a key.
func (b *routeBuilder) snipcart(secretKey, apiURL string, shared snipcart.SharedTokens) (provider.Verifier, error) {
	if secretKey == "" {
		return nil, nil
	}
	return snipcart.NewVerifier(snipcart.Config{
		SecretKey:  secretKey,
		APIURL:     apiURL,
		HTTPClient: b.snipcartClient,
		// Every replica shares the tokens it validated, so that
		// Snipcart's resend of a request we answered 503 is accepted
		// wherever it lands.
		Shared:        shared,
		OnSharedError: b.tokens.reportError,
	})
}

// shopline is a SHOPLINE verifier for secrets, of any shop but others
// when shopID is "", else of that shop only; nil without a secret.
func (b *routeBuilder) shopline(secrets []string, shopID string, others ...string) (provider.Verifier, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	return shopline.NewVerifier(shopline.Config{Secrets: secrets, ShopID: shopID, OtherShops: others})
}

// sharingShops are the named SHOPLINE shops whose app is also the default
// account's (an app secret in common): their webhooks would pass the
// default route's signature check, so it refuses them, and they go to
// their own routes.
func sharingShops(cfg Config) []string {
	defaults := map[string]bool{}
	for _, s := range cfg.ShoplineAppSecrets {
		defaults[strings.TrimSpace(s)] = true
	}
	var shops []string
	for _, a := range cfg.Accounts.Shopline {
		for _, s := range a.AppSecrets {
			if defaults[strings.TrimSpace(s)] {
				shops = append(shops, a.ShopID)
				break
			}
		}
	}
	return shops
}

// distinct refuses a configuration where one secret would authenticate
// two accounts' webhooks: a ShipStation webhook token or a Snipcart
// secret key of two accounts (the default one included), or a SHOPLINE
// shop named by two accounts. Two shops sharing an app secret is how
// SHOPLINE works; their routes hold each webhook to its shop.
func distinct(cfg Config) error {
	var errs []error
	check := func(provider, what string, of map[string]string, account, value string) {
		if value == "" {
			return
		}
		if first, dup := of[value]; dup {
			errs = append(errs, fmt.Errorf("gateway: %s accounts %s and %s have the same %s: it would authenticate the webhooks of both",
				provider, accountName(first), accountName(account), what))
			return
		}
		of[value] = account
	}
	tokens, keys, shops := map[string]string{}, map[string]string{}, map[string]string{}
	check("shipstation", "webhook token", tokens, "", cfg.ShipStationToken)
	for _, a := range cfg.Accounts.ShipStation {
		check("shipstation", "webhook token", tokens, a.Name, a.WebhookToken)
	}
	check("snipcart", "secret key", keys, "", cfg.SnipcartSecretKey)
	for _, a := range cfg.Accounts.Snipcart {
		check("snipcart", "secret key", keys, a.Name, a.SecretKey)
	}
	for _, a := range cfg.Accounts.Shopline {
		check("shopline", "shop id", shops, a.Name, strings.TrimSpace(a.ShopID))
	}
	return errors.Join(errs...)
}

// route serves one HTTP request: the webhook routes, /healthz, /readyz
// and /metrics.
func (g *Gateway) route(c *fasthttp.RequestCtx) {
	path := c.Path()
	if rt, ok := g.routes.byPath[string(path)]; ok {
		g.serveWebhook(c, rt)
		return
	}
	if label, account, ok := accountPath(path); ok {
		g.unknownAccount(c, label, account)
		return
	}
	var h fasthttp.RequestHandler
	switch string(path) {
	case "/healthz":
		h = g.healthz
	case "/readyz":
		h = g.readyz
	case "/metrics":
		h = g.metricsz
	default:
		writeError(c, http.StatusNotFound, "not_found", "no such route; webhooks go to /webhooks/{shipstation,shipstation/v2,snipcart,shopline}[/<account>]")
		return
	}
	if !c.IsGet() && !c.IsHead() {
		c.Response.Header.Set("Allow", "GET, HEAD")
		writeError(c, http.StatusMethodNotAllowed, codeNames[http.StatusMethodNotAllowed], "use GET")
		return
	}
	h(c)
}

// accountPath reports whether path is a named account's route of a
// provider, /webhooks/<provider>/<account>, and returns the provider
// route's label and the account. The first prefix that matches decides:
// /webhooks/shipstation/v2/ names no account, of V2 or of V1.
func accountPath(path []byte) (label, account string, ok bool) {
	for _, p := range accountPrefixes {
		if rest, found := strings.CutPrefix(string(path), p.prefix); found {
			return p.label, rest, rest != ""
		}
	}
	return "", "", false
}

// maxQuotedAccount bounds how much of an unknown account's name the
// answer and the log repeat.
const maxQuotedAccount = 64

// unknownAccount answers a request for an account that is not configured
// 404, before its body is looked at or anything authenticated: nothing
// about it is stored.
func (g *Gateway) unknownAccount(c *fasthttp.RequestCtx, label, account string) {
	if len(account) > maxQuotedAccount {
		account = account[:maxQuotedAccount] + "…"
	}
	g.metrics.requests.WithLabelValues(label, "404").Inc()
	g.log.Warn("webhook for an unknown account refused", zap.String("provider", label), zap.String("account", account),
		zap.Int("status", http.StatusNotFound), zap.Stringer("remote", c.RemoteAddr()))
	writeError(c, http.StatusNotFound, "unknown_account",
		fmt.Sprintf("no %s account %q is configured (%s)", label, account, accounts.FileVar))
}
