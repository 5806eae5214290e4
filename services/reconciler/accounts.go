package reconciler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/provider/subscriptions"
)

// inAccount makes kinds the named account's: each keeps a checkpoint of
// its own, and every resource it lists is weighed against the account's
// canonical state and published with the account (source and ce-account),
// as the account's webhooks are. The default account ("") keeps kinds as
// they are.
func inAccount(kinds []kind, account string) []kind {
	if account == "" {
		return kinds
	}
	out := make([]kind, len(kinds))
	for i, k := range kinds {
		list := k.list
		k.account = account
		k.list = func(ctx context.Context, start, end time.Time, each func([]resource) error) error {
			return list(ctx, start, end, func(page []resource) error {
				for j := range page {
					page[j].key = accountKey(page[j].key, account)
					page[j].orderKey = accountKey(page[j].orderKey, account)
				}
				return each(page)
			})
		}
		out[i] = k
	}
	return out
}

// accountKey is a default-account KV key as the named account's:
// "shipstation.123" becomes "shipstation.east.123", as model.AccountID
// makes "shipstation:east:123" of "shipstation:123".
func accountKey(key, account string) string {
	provider, rest, ok := strings.Cut(key, ".")
	if !ok || account == "" {
		return key
	}
	return provider + "." + account + "." + rest
}

// checkpointKey is the kind's key in BucketCheckpoints:
// <provider>.<kind>, or <provider>.<account>.<kind> for a named account's.
func (k kind) checkpointKey() string {
	if k.account == "" {
		return k.provider + "." + k.name
	}
	return k.provider + "." + k.account + "." + k.name
}

// accountKinds are the lists of the named accounts of the accounts file
// that have API credentials: ShipStation's with the account's key pair
// (its own budget, of which the reconciler takes what the consumers
// leave), Snipcart's with the account's secret key, SHOPLINE's with the
// shop's access token and handle or API URL.
func (s *Service) accountKinds(set accounts.Set) ([]kind, error) {
	var out []kind
	for _, a := range set.ShipStation {
		if a.APIKey == "" {
			continue
		}
		settings := s.cfg.ShipStation
		settings.Primary.Key, settings.Primary.Secret = a.APIKey, a.APISecret
		settings.Secondary.Key, settings.Secondary.Secret = "", ""
		if a.APIURL != "" {
			settings.APIURL = a.APIURL
		}
		c, err := s.shipStationClient(settings, a.Name)
		if err != nil {
			return nil, fmt.Errorf("shipstation account %s: %w", a.Name, err)
		}
		out = append(out, inAccount(shipStationKinds(c), a.Name)...)
	}
	for _, a := range set.Snipcart {
		apiURL := a.APIURL
		if apiURL == "" {
			apiURL = s.cfg.Snipcart.APIURL
		}
		c, err := snipcart.NewOrdersClient(snipcart.OrdersConfig{SecretKey: a.SecretKey, APIURL: apiURL})
		if err != nil {
			return nil, fmt.Errorf("snipcart account %s: %w", a.Name, err)
		}
		out = append(out, inAccount(snipcartKinds(c, s.cfg.Snipcart.Mode, s.cfg.Snipcart.Reread), a.Name)...)
	}
	for _, a := range set.Shopline {
		store := strings.TrimRight(a.APIURL, "/")
		if store == "" && a.ShopHandle != "" {
			store = subscriptions.ShoplineStoreURL(a.ShopHandle)
		}
		if a.AccessToken == "" || store == "" {
			continue
		}
		c, err := shopline.NewOrdersClient(shopline.OrdersConfig{APIURL: shopline.APIURL(store, s.cfg.Shopline.APIVersion), AccessToken: a.AccessToken})
		if err != nil {
			return nil, fmt.Errorf("shopline account %s: %w", a.Name, err)
		}
		out = append(out, inAccount(shoplineKinds(c), a.Name)...)
	}
	return out, nil
}
