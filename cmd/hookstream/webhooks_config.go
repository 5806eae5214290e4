package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/subscriptions"
)

// webhookTarget is where a provider should deliver: the gateway's public
// base URL and the provider's route (the account's, for a named account),
// with the V1 token for ShipStation V1. The one place target URLs are made.
func webhookTarget(gateway *url.URL, api, v1Token, account string) string {
	u := *gateway
	u.RawQuery, u.Fragment = "", ""
	route := map[string]string{
		apiShipStationV1: "/webhooks/shipstation",
		apiShipStationV2: "/webhooks/shipstation/v2",
		apiShopline:      "/webhooks/shopline",
		apiSnipcart:      "/webhooks/snipcart",
	}[api]
	u.Path = strings.TrimRight(u.Path, "/") + route
	if account != "" {
		u.Path += "/" + account
	}
	if api == apiShipStationV1 {
		u.RawQuery = url.Values{shipstation.V1TokenParam: {v1Token}}.Encode()
	}
	return u.String()
}

// hookProvider is one webhook API as configured.
type hookProvider struct {
	name    string
	label   string            // for the report: "shipstation (V1)"
	api     subscriptions.API // nil when not configured
	unset   string            // why api is nil
	target  string            // "" without -gateway-url
	want    []subscriptions.Want
	secrets []string // to keep out of anything printed
}

// store names a store for the reports, "" for SHOPLINE, whose
// subscriptions belong to the token's store.
func (p hookProvider) store(id string) string {
	if p.name == apiShopline {
		return ""
	}
	return "store " + storeName(id) + ", "
}

// ours says whether url is this provider's gateway route.
func (p hookProvider) ours(u string) bool {
	return p.target != "" && subscriptions.SameEndpoint(u, p.target)
}

// loadHookProviders reads the configuration of the selected providers.
// snipcartURL is Snipcart's target ("" when Snipcart is not selected or the
// gateway URL is unknown).
func loadHookProviders(l *envconf.Loader, o webhooksOptions) (_ []hookProvider, snipcartURL string, _ error) {
	gatewayRaw := o.gatewayURL
	if gatewayRaw == "" {
		gatewayRaw = l.String(envGatewayPublicURL, "")
	}
	var gateway *url.URL
	if gatewayRaw != "" {
		u, err := url.Parse(gatewayRaw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return nil, "", fmt.Errorf("-gateway-url: want the gateway's public base URL (https://host[/path]), got %q", gatewayRaw)
		}
		gateway = u
	}
	selected := webhookAPIs
	explicit := o.providers != ""
	if explicit {
		selected = splitList(o.providers)
		for _, s := range selected {
			if !slices.Contains(webhookAPIs, s) {
				return nil, "", fmt.Errorf("-provider %q: not one of %s", s, strings.Join(webhookAPIs, ", "))
			}
		}
	}
	stores := splitList(o.stores)
	if len(stores) == 0 {
		stores = []string{""}
	}
	target := func(api, token string) string {
		if gateway == nil {
			return ""
		}
		return webhookTarget(gateway, api, token, o.account)
	}

	ss := shipstation.LoadSettings(l)
	v1Token := l.Secret("SHIPSTATION_WEBHOOK_TOKEN")
	v2Key := l.Secret("SHIPSTATION_V2_API_KEY")
	v2URL := l.URL("SHIPSTATION_V2_API_URL", subscriptions.DefaultShipStationV2URL)
	slToken := l.Secret("SHOPLINE_ACCESS_TOKEN")
	slHandle := l.String("SHOPLINE_SHOP_HANDLE", "")
	slURL := ""
	if l.String("SHOPLINE_API_URL", "") != "" {
		slURL = strings.TrimRight(l.URL("SHOPLINE_API_URL", ""), "/")
	} else if slHandle != "" {
		slURL = subscriptions.ShoplineStoreURL(slHandle)
	}
	slVersion := l.String("SHOPLINE_API_VERSION", defaultShoplineAPIVersion)
	if o.account != "" {
		set := accounts.Load(l)
		ssAccount, inShipStation := set.ShipStationAccount(o.account)
		slAccount, inShopline := set.ShoplineAccount(o.account)
		_, inSnipcart := set.SnipcartAccount(o.account)
		if !inShipStation && !inShopline && !inSnipcart && l.Err() == nil {
			return nil, "", fmt.Errorf("-account %q: not in %s", o.account, accounts.FileVar)
		}
		// Only the account's own credentials: a provider it has none for
		// is reported unset, never served with the default account's.
		ss.Primary, ss.Secondary = shipstation.Credentials{Key: ssAccount.APIKey, Secret: ssAccount.APISecret}, shipstation.Credentials{}
		if ssAccount.APIURL != "" {
			ss.APIURL = ssAccount.APIURL
		}
		v1Token, v2Key = ssAccount.WebhookToken, ssAccount.V2APIKey
		slToken, slHandle, slURL = slAccount.AccessToken, slAccount.ShopHandle, strings.TrimRight(slAccount.APIURL, "/")
		if slURL == "" && slHandle != "" {
			slURL = subscriptions.ShoplineStoreURL(slHandle)
		}
	}
	if err := l.Err(); err != nil {
		return nil, "", err
	}
	v2Events, err := subscriptions.ShipStationV2Events()
	if err != nil {
		return nil, "", err
	}

	var out []hookProvider
	for _, name := range selected {
		p := hookProvider{name: name}
		switch name {
		case apiShipStationV1:
			p.label, p.secrets = "shipstation (V1)", []string{ss.Primary.Key, ss.Primary.Secret, v1Token}
			p.target = target(name, v1Token)
			switch {
			case ss.Primary.Key == "":
				p.unset = "SHIPSTATION_API_KEY and SHIPSTATION_API_SECRET are unset"
			case v1Token == "":
				p.unset = "SHIPSTATION_WEBHOOK_TOKEN is unset"
			default:
				p.api = subscriptions.NewShipStationV1(ss.APIURL, ss.Primary.Key, ss.Primary.Secret, nil)
			}
			p.want = wants(subscriptions.ShipStationV1Events(), stores, p.target, "")
		case apiShipStationV2:
			p.label, p.secrets = "shipstation (V2)", []string{v2Key}
			p.target = target(name, "")
			if v2Key == "" {
				p.unset = "SHIPSTATION_V2_API_KEY is unset"
			} else {
				p.api = subscriptions.NewShipStationV2(v2URL, v2Key, nil)
			}
			p.want = wants(v2Events, stores, p.target, "")
		case apiShopline:
			p.label, p.secrets = "shopline", []string{slToken}
			p.target = target(name, "")
			switch {
			case slToken == "":
				p.unset = "SHOPLINE_ACCESS_TOKEN is unset"
			case slURL == "":
				p.unset = "SHOPLINE_SHOP_HANDLE (or SHOPLINE_API_URL) is unset"
			default:
				p.api = subscriptions.NewShopline(slURL, slVersion, slToken, nil)
			}
			p.want = wants(subscriptions.ShoplineTopics(), []string{""}, p.target, slVersion)
		case apiSnipcart:
			snipcartURL = target(name, "")
			continue
		}
		if p.api == nil && explicit {
			return nil, "", fmt.Errorf("%s: %s", p.label, p.unset)
		}
		out = append(out, p)
	}
	return out, snipcartURL, nil
}

// wants is one subscription per event and store.
func wants(events, stores []string, target, version string) []subscriptions.Want {
	var ws []subscriptions.Want
	for _, store := range stores {
		for _, e := range events {
			ws = append(ws, subscriptions.Want{Event: e, URL: target, StoreID: store, Version: version})
		}
	}
	return ws
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
