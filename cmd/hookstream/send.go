package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/schemas"
)

// sendOptions are the flags of `hookstream send`.
type sendOptions struct {
	gatewayURL     string
	sandboxURL     string
	file           string
	shipstationTok string
	shipstationAPI string
	shipstationV2  string
	shoplineSecret string
	account        string
	shopID         string
	n              int
	drop           float64
}

// v2Fetched are the ShipStation V2 events whose resource_url the consumers
// fetch: `send` points their resource_url at -shipstation-v2-api (default
// the sandbox's V2 API), as it does V1 bodies' at -shipstation-api.
var v2Fetched = map[string]bool{"FULFILLMENT_SHIPPED_V2": true, "FULFILLMENT_REJECTED_V2": true, "SALES_ORDERS_IMPORTED_V2": true}

func runSend(ctx context.Context, args []string, stdout io.Writer) error {
	var o sendOptions
	fs := newFlags("send", "[flags] <provider> <event>", stdout)
	fs.StringVar(&o.gatewayURL, "url", defaultGatewayURL, "gateway base URL")
	fs.StringVar(&o.sandboxURL, "sandbox", defaultSandboxURL, "sandbox provider APIs (Snipcart request tokens, ShipStation V2 signing)")
	fs.StringVar(&o.file, "file", "", "send this body instead of the catalog's example")
	fs.StringVar(&o.shipstationTok, "shipstation-token", devShipStationToken, "ShipStation V1 webhook token")
	fs.StringVar(&o.shipstationAPI, "shipstation-api", defaultShipStationAPI, "point ShipStation V1 samples' resource_url at this API (the dev sandbox); empty sends them unchanged")
	fs.StringVar(&o.shipstationV2, "shipstation-v2-api", "", "point the resource_url of the ShipStation V2 samples the consumers fetch at this API (default: the -sandbox address, where the dev sandbox serves it)")
	fs.StringVar(&o.shoplineSecret, "shopline-secret", devShoplineSecret, "SHOPLINE app secret")
	fs.StringVar(&o.account, "account", "", "post to this named account's route, /webhooks/<provider>/<account> (docs/accounts.md); give its secret with -shipstation-token or -shopline-secret")
	fs.StringVar(&o.shopID, "shop-id", "", "SHOPLINE: the webhook is about this shop (X-Shopline-Shop-Id and the sample body's shop_id), a named account's shop")
	fs.IntVar(&o.n, "n", 1, "ShipStation V1 events, Snipcart order.completed and SHOPLINE orders/*: create this many new resources at the sandbox, each with its webhook")
	fs.Float64Var(&o.drop, "drop", 0, "with -n: this share (0 to 1) of the webhooks is not delivered, as a provider that drops them; the reconciler finds their resources")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: hookstream send [flags] <provider> <event>\n\nflags:")
		fs.PrintDefaults()
		fmt.Fprintln(stdout, "\nevents (provider event):")
		for _, et := range catalog.Webhooks() {
			fmt.Fprintf(stdout, "  %-12s %s\n", et.Provider, et.Event)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.account != "" {
		if err := accounts.CheckName(o.account); err != nil {
			return fmt.Errorf("-account: %w", err)
		}
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("send needs a provider and an event")
	}
	et, err := catalog.Webhook(fs.Arg(0), fs.Arg(1))
	if err != nil {
		return err
	}
	if !et.Known {
		return fmt.Errorf("%s %s is not in the catalog; run `hookstream send -h` for the list", fs.Arg(0), fs.Arg(1))
	}
	body, headers, err := schemas.Example(et)
	if err != nil {
		return err
	}
	if o.file != "" {
		if body, headers, err = readBodyFile(o.file); err != nil {
			return err
		}
	}
	if o.shopID != "" {
		if et.Provider != catalog.Shopline {
			return errors.New("-shop-id is for SHOPLINE webhooks")
		}
		body, headers = aboutShop(body, headers, o.shopID)
	}
	if o.n != 1 || o.drop != 0 {
		return o.sendMany(ctx, et, body, headers, stdout)
	}
	return o.send(ctx, et, body, headers, stdout)
}

// send delivers one webhook to the gateway and prints the answer.
func (o sendOptions) send(ctx context.Context, et catalog.EventType, body []byte, headers map[string]string, stdout io.Writer) error {
	req, err := o.signedRequest(ctx, et, body, headers)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post to gateway: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(stdout, "%s %s → %s\n%s", et.Provider, et.Event, resp.Status, answer)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("gateway answered %s", resp.Status)
	}
	return nil
}

// signedRequest builds the request the provider would send for et.
func (o sendOptions) signedRequest(ctx context.Context, et catalog.EventType, body []byte, headers map[string]string) (*http.Request, error) {
	base := strings.TrimRight(o.gatewayURL, "/")
	account := ""
	if o.account != "" {
		account = "/" + o.account
	}
	target := base + "/webhooks/" + et.Provider + account
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range headers {
		h.Set(k, v)
	}
	switch {
	case et.Provider == catalog.ShipStation && strings.HasSuffix(et.Schema, "shipstation-v2.schema.json"): // the V2 events and API_TRACK
		target = base + "/webhooks/shipstation/v2" + account
		if v2Fetched[et.Event] {
			var err error
			api := o.shipstationV2
			if api == "" {
				api = o.sandboxURL
			}
			if body, err = rebaseResourceURL(body, api); err != nil {
				return nil, err
			}
		}
		var signed map[string]string
		if err := o.sandboxCall(ctx, sandbox.ShipStationV2SignPath, body, &signed); err != nil {
			return nil, err
		}
		for k, v := range signed {
			h.Set(k, v)
		}
	case et.Provider == catalog.ShipStation:
		target += "?token=" + url.QueryEscape(o.shipstationTok)
		if o.shipstationAPI != "" {
			var err error
			if body, err = rebaseResourceURL(body, o.shipstationAPI); err != nil {
				return nil, err
			}
		}
	case et.Provider == catalog.Snipcart:
		var issued struct{ Token string }
		if err := o.sandboxCall(ctx, sandbox.SnipcartIssuePath, nil, &issued); err != nil {
			return nil, err
		}
		h.Set(snipcart.HeaderRequestToken, issued.Token)
	case et.Provider == catalog.Shopline:
		h.Set(shopline.HeaderHmac, shopline.Sign(o.shoplineSecret, body))
		h.Set(shopline.HeaderTopic, et.Event)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h
	return req, nil
}

// aboutShop makes a SHOPLINE sample about shop: X-Shopline-Shop-Id, and
// the sample shop's id wherever the body repeats it (its shop_id), become
// shop's.
func aboutShop(body []byte, headers map[string]string, shop string) ([]byte, map[string]string) {
	out := map[string]string{shopline.HeaderShopID: shop}
	for k, v := range headers {
		if !strings.EqualFold(k, shopline.HeaderShopID) {
			out[k] = v
		} else if v != "" {
			body = bytes.ReplaceAll(body, []byte(`"`+v+`"`), []byte(`"`+shop+`"`))
		}
	}
	return body, out
}

// readBodyFile reads a body to send and its sibling <name>.headers.json,
// when there is one (as under schemas/examples/); the example's own headers
// must not travel with another body, or its delivery id would make the new
// body a duplicate.
func readBodyFile(path string) ([]byte, map[string]string, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	raw, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".headers.json")
	if errors.Is(err, os.ErrNotExist) {
		return body, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var headers map[string]string
	if err := json.Unmarshal(raw, &headers); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return body, headers, nil
}

// rebaseResourceURL points a ShipStation body's resource_url at api
// (scheme and host), keeping its path and query, so that the consumers
// fetch from the sandbox.
func rebaseResourceURL(body []byte, api string) ([]byte, error) {
	var hook map[string]string
	if err := json.Unmarshal(body, &hook); err != nil {
		return nil, fmt.Errorf("ShipStation sample: %w", err)
	}
	res, err := url.Parse(hook["resource_url"])
	if err != nil {
		return nil, fmt.Errorf("ShipStation sample resource_url: %w", err)
	}
	base, err := url.Parse(api)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("-shipstation-api %q is not a URL", api)
	}
	res.Scheme, res.Host = base.Scheme, base.Host
	hook["resource_url"] = res.String()
	return json.Marshal(hook)
}

// sandboxCall posts body to a sandbox endpoint and decodes its JSON answer.
func (o sendOptions) sandboxCall(ctx context.Context, path string, body []byte, into any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.sandboxURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox (is `hookstream dev` running?): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sandbox %s answered %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}
