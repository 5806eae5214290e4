package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/subscriptions"
)

// envGatewayPublicURL is the variable of -gateway-url.
const envGatewayPublicURL = "GATEWAY_PUBLIC_URL"

// Names of the webhook APIs, for -provider and the reports.
const (
	apiShipStationV1 = "shipstation"
	apiShipStationV2 = "shipstation-v2"
	apiShopline      = "shopline"
	apiSnipcart      = "snipcart"
)

var webhookAPIs = []string{apiShipStationV1, apiShipStationV2, apiShopline, apiSnipcart}

// defaultShoplineAPIVersion is the SHOPLINE API and event version used when
// SHOPLINE_API_VERSION is unset: the one whose order bodies the
// order-enricher reads.
const defaultShoplineAPIVersion = shopline.DefaultAPIVersion

// webhooksOptions are the flags of `hookstream webhooks`.
type webhooksOptions struct {
	gatewayURL string
	stores     string
	providers  string
	json       bool
	dev        bool
	account    string
}

// runWebhooks is `hookstream webhooks list|subscribe|unsubscribe|check`.
func runWebhooks(ctx context.Context, args []string, stdout io.Writer) error {
	const usage = "list|subscribe|unsubscribe|check [flags]"
	var o webhooksOptions
	fs := newFlags("webhooks", usage, stdout)
	fs.StringVar(&o.gatewayURL, "gateway-url", "", "the gateway's public base URL, which the providers deliver to (default $"+envGatewayPublicURL+")")
	fs.StringVar(&o.stores, "store", "", "ShipStation store ids, comma-separated (default: one subscription for all stores)")
	fs.StringVar(&o.providers, "provider", "", "only these, comma-separated: "+strings.Join(webhookAPIs, ", ")+" (default: every one configured)")
	fs.BoolVar(&o.json, "json", false, "list: print JSON")
	fs.StringVar(&o.account, "account", "", "a named account of $"+accounts.FileVar+": its credentials and its webhook URLs (/webhooks/<provider>/<account>)")
	fs.BoolVar(&o.dev, "dev", false, "use the sandboxes and development secrets of a `hookstream dev` on its default addresses")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "usage: hookstream webhooks %s\n\n", usage)
		fmt.Fprint(stdout, `  list         every subscription at each provider, hookstream's marked
  subscribe    make hookstream's subscriptions exactly the wanted ones (idempotent)
  unsubscribe  delete hookstream's subscriptions (those to the gateway URL), nothing else
  check        report missing, wrong and extra subscriptions; exit 1 when one is missing or wrong

Credentials come from the services' variables (each secret also as NAME_FILE):
  ShipStation V1  SHIPSTATION_API_KEY, SHIPSTATION_API_SECRET, SHIPSTATION_WEBHOOK_TOKEN, SHIPSTATION_API_URL
  ShipStation V2  SHIPSTATION_V2_API_KEY, SHIPSTATION_V2_API_URL
  SHOPLINE        SHOPLINE_ACCESS_TOKEN, SHOPLINE_SHOP_HANDLE (or SHOPLINE_API_URL), SHOPLINE_API_VERSION
  Snipcart        none: it has no webhook API; check prints what to set in its dashboard
With -account, the account's entries in $HOOKSTREAM_ACCOUNTS_FILE instead (ShipStation: api_key,
api_secret, webhook_token, v2_api_key; SHOPLINE: access_token, shop_handle or api_url).

flags:
`)
		fs.PrintDefaults()
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs.Usage()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errors.New("webhooks needs a subcommand: list, subscribe, unsubscribe or check")
	}
	sub := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("webhooks %s takes no arguments, got %q", sub, fs.Args())
	}
	lookup := envconf.New(nil)
	if o.dev {
		lookup = envconf.New(envconf.Map(devWebhooksEnv()))
	}
	providers, snipcartURL, err := loadHookProviders(lookup, o)
	if err != nil {
		return err
	}
	var secrets []string
	for _, p := range providers {
		secrets = append(secrets, p.secrets...)
	}
	w := &redactingWriter{w: stdout, secrets: secrets}
	switch sub {
	case "list":
		err = listWebhooks(ctx, w, providers, o.json)
	case "subscribe":
		err = subscribeWebhooks(ctx, w, providers, snipcartURL)
	case "unsubscribe":
		err = unsubscribeWebhooks(ctx, w, providers)
	case "check":
		err = checkWebhooks(ctx, w, providers, snipcartURL)
	default:
		fs.Usage()
		return fmt.Errorf("unknown webhooks subcommand %q", sub)
	}
	if err != nil {
		return errors.New(redact(err.Error(), secrets))
	}
	return nil
}

// listedSubscription is a row of `webhooks list`.
type listedSubscription struct {
	Provider string `json:"provider"`
	subscriptions.Subscription
	Ours *bool `json:"ours,omitempty"` // nil without a gateway URL
}

func listWebhooks(ctx context.Context, w io.Writer, providers []hookProvider, asJSON bool) error {
	rows := []listedSubscription{}
	var errs []error
	for _, p := range providers {
		if p.api == nil {
			continue
		}
		subs, err := p.api.List(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range subs {
			row := listedSubscription{Provider: p.name, Subscription: s}
			row.URL = redactURL(s.URL)
			if p.target != "" {
				ours := p.ours(s.URL)
				row.Ours = &ours
			}
			rows = append(rows, row)
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
		return errors.Join(errs...)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tID\tEVENT\tSTORE\tOURS\tURL")
	for _, r := range rows {
		ours := "?"
		if r.Ours != nil {
			ours = map[bool]string{true: "yes", false: "no"}[*r.Ours]
		}
		store := storeName(r.StoreID)
		if r.Provider == apiShopline {
			store = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Provider, r.ID, r.Event, store, ours, r.URL)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d %s\n", len(rows), plural(len(rows), "subscription", "subscriptions"))
	printSkipped(w, providers)
	return errors.Join(errs...)
}

// compareAll lists each configured provider and compares; it needs the
// gateway URL.
func compareAll(ctx context.Context, providers []hookProvider, each func(p hookProvider, have []subscriptions.Subscription, plan subscriptions.Plan) error) error {
	var errs []error
	configured := 0
	for _, p := range providers {
		if p.api == nil {
			continue
		}
		configured++
		if p.target == "" {
			return fmt.Errorf("no gateway URL: give -gateway-url or set %s", envGatewayPublicURL)
		}
		have, err := p.api.List(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := each(p, have, subscriptions.Compare(p.want, have, p.ours)); err != nil {
			errs = append(errs, err)
		}
	}
	if configured == 0 && len(providers) > 0 {
		errs = append(errs, errors.New("no provider's webhook API is configured (see `hookstream webhooks -h`)"))
	}
	return errors.Join(errs...)
}

func subscribeWebhooks(ctx context.Context, w io.Writer, providers []hookProvider, snipcartURL string) error {
	err := compareAll(ctx, providers, func(p hookProvider, _ []subscriptions.Subscription, plan subscriptions.Plan) error {
		changes, err := subscriptions.Apply(ctx, p.api, plan)
		printChanges(w, p, changes)
		fmt.Fprintf(w, "%s: %d in place, %d created or repaired, %d extra deleted, %d of other systems left alone\n",
			p.label, len(plan.OK), len(plan.Missing)+len(plan.Wrong), len(plan.Extra), len(plan.Foreign))
		return err
	})
	printSkipped(w, providers)
	printSnipcart(w, snipcartURL)
	return err
}

func unsubscribeWebhooks(ctx context.Context, w io.Writer, providers []hookProvider) error {
	err := compareAll(ctx, providers, func(p hookProvider, have []subscriptions.Subscription, _ subscriptions.Plan) error {
		changes, err := subscriptions.Remove(ctx, p.api, have, p.ours)
		printChanges(w, p, changes)
		fmt.Fprintf(w, "%s: %d deleted, %d of other systems left alone\n", p.label, len(changes), len(have)-len(changes))
		return err
	})
	printSkipped(w, providers)
	return err
}

func checkWebhooks(ctx context.Context, w io.Writer, providers []hookProvider, snipcartURL string) error {
	missing, wrong := 0, 0
	err := compareAll(ctx, providers, func(p hookProvider, _ []subscriptions.Subscription, plan subscriptions.Plan) error {
		fmt.Fprintf(w, "%s: %d ok, %d missing, %d wrong, %d extra, %d of other systems\n",
			p.label, len(plan.OK), len(plan.Missing), len(plan.Wrong), len(plan.Extra), len(plan.Foreign))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, m := range plan.Missing {
			fmt.Fprintf(tw, "  missing\t%s\tstore %s\t\twant %s\n", m.Event, storeName(m.StoreID), redactURL(m.URL))
		}
		for _, r := range plan.Wrong {
			fmt.Fprintf(tw, "  wrong\t%s\tstore %s\tid %s\t%s (%s)\n", r.Have.Event, storeName(r.Have.StoreID), r.Have.ID,
				redactURL(r.Have.URL), wrongness(r))
		}
		for _, s := range plan.Extra {
			fmt.Fprintf(tw, "  extra\t%s\tstore %s\tid %s\t%s\n", s.Event, storeName(s.StoreID), s.ID, redactURL(s.URL))
		}
		tw.Flush()
		missing += len(plan.Missing)
		wrong += len(plan.Wrong)
		return nil
	})
	printSkipped(w, providers)
	printSnipcart(w, snipcartURL)
	if err != nil {
		return err
	}
	if missing+wrong > 0 {
		return fmt.Errorf("webhooks check: %d missing, %d wrong; `hookstream webhooks subscribe` repairs them", missing, wrong)
	}
	fmt.Fprintln(w, "webhooks check: every subscription in place")
	return nil
}
