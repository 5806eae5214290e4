package consumer

import (
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// shipStationClients are a service's ShipStation API clients by account
// ("" for the default one): a nil client is an account without API keys.
// Every client of one key pair, in every process, shares the pair's
// budget (shipstation.Settings.ClientConfig).
type shipStationClients struct {
	v1 map[string]*shipstation.Client
	v2 map[string]*shipstation.V2Client
}

// newShipStationClients builds the default account's clients from
// settings and one pair for each named ShipStation account, with the
// deployment's rate-limit settings and the account's keys and API URLs.
func newShipStationClients(settings Settings, js jetstream.JetStream, log *zap.Logger, reg prometheus.Registerer) (shipStationClients, error) {
	c := shipStationClients{v1: map[string]*shipstation.Client{}, v2: map[string]*shipstation.V2Client{}}
	add := func(account string, v1 shipstation.Settings, v2 shipstation.V2Settings) error {
		l := log
		if account != "" {
			l = log.With(zap.String("account", account))
		}
		var err error
		cfg := v1.ClientConfig(js, settings.Replicas, l.Named("shipstation"), reg)
		cfg.Account = account
		if c.v1[account], err = v1.NewClient(cfg); err != nil {
			return err
		}
		c.v2[account], err = v2.NewClient(l.Named("shipstation_v2"), reg)
		return err
	}
	if err := add("", settings.ShipStation, settings.ShipStationV2); err != nil {
		return c, err
	}
	for _, a := range settings.Accounts.ShipStation {
		v1, v2 := settings.ShipStation, settings.ShipStationV2
		v1.Primary, v1.Secondary = shipstation.Credentials{Key: a.APIKey, Secret: a.APISecret}, shipstation.Credentials{}
		v2.APIKey = a.V2APIKey
		if a.APIURL != "" {
			v1.APIURL = a.APIURL
		}
		if err := add(a.Name, v1, v2); err != nil {
			return c, fmt.Errorf("account %s: %w", a.Name, err)
		}
	}
	return c, nil
}

// forAccount returns the account's client from clients, or a permanent
// error naming what to configure: variables for the default account, the
// accounts file for a named one.
func forAccount[C any](clients map[string]*C, account, what, variables, field string) (*C, error) {
	client, known := clients[account]
	switch {
	case client != nil:
		return client, nil
	case account == "":
		return nil, fmt.Errorf("%s is not configured: set %s, then redrive", what, variables)
	case !known:
		return nil, fmt.Errorf("ShipStation account %q is not in this service's %s: add it, then redrive", account, accounts.FileVar)
	}
	return nil, fmt.Errorf("ShipStation account %q has no %s: add its %s in %s, then redrive", account, what, field, accounts.FileVar)
}
