package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// sandboxOptions are the flags of `hookstream sandbox`.
type sandboxOptions struct {
	addr, apiAddr         string
	snipcartKey           string
	shipStationKey, ssSec string
	shipStationV2Key      string
	healthcheck           bool
}

// runSandbox serves the sandbox provider APIs on their own, for deployments
// that run the services as separate processes (docker compose's `sandbox`
// profile): Snipcart's request validation and the ShipStation V2 signer on
// -addr, ShipStation's V1 API on -shipstation-api-addr. The services reach
// them through SNIPCART_API_URL, SHIPSTATION_V2_JWKS_URL and
// SHIPSTATION_API_URL; see the README. With -healthcheck it asks a running
// sandbox's /healthz on both addresses instead, and exits.
func runSandbox(ctx context.Context, args []string, stdout io.Writer) error {
	var o sandboxOptions
	fs := newFlags("sandbox", "[flags]", stdout)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "Snipcart request validation and ShipStation V2 signer listen address")
	fs.StringVar(&o.apiAddr, "shipstation-api-addr", "127.0.0.1:8091", "ShipStation V1 API sandbox listen address")
	fs.StringVar(&o.snipcartKey, "snipcart-secret-key", devSnipcartKey, "the SNIPCART_SECRET_KEY the gateway uses")
	fs.StringVar(&o.shipStationKey, "shipstation-api-key", devShipStationKey, "the SHIPSTATION_API_KEY the consumers use")
	fs.StringVar(&o.ssSec, "shipstation-api-secret", devShipStationSec, "the SHIPSTATION_API_SECRET the consumers use")
	fs.StringVar(&o.shipStationV2Key, "shipstation-v2-api-key", devShipStationV2Key, "the SHIPSTATION_V2_API_KEY the consumers use")
	fs.BoolVar(&o.healthcheck, "healthcheck", false, "check a running sandbox on these addresses and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("sandbox takes no arguments, got %q", fs.Args())
	}
	if o.healthcheck {
		return checkSandbox(ctx, o)
	}

	errc := make(chan error, 2)
	set, err := startSandboxes(o.addr, o.apiAddr, o.snipcartKey,
		sandbox.ShipStationKey{Key: o.shipStationKey, Secret: o.ssSec}, o.shipStationV2Key,
		func(serve func() error) { go func() { errc <- serve() }() })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `
hookstream sandbox — SANDBOX provider APIs: development secrets, no real provider is called.
Run it only inside a private network (a compose project, loopback).

  %[1]s   Snipcart request validation (SNIPCART_API_URL=<base>%[3]s)
  %[1]s   ShipStation V2 signing keys (SHIPSTATION_V2_JWKS_URL=<base>%[4]s)
  %[1]s   ShipStation V2 API: /v2/fulfillments, /v2/sales_orders (SHIPSTATION_V2_API_URL=<base>)
  %[2]s   ShipStation V1 API: orders, shipments, fulfillments (SHIPSTATION_API_URL=<base>)
  %[2]s   ShipStation V1 webhook subscriptions
  %[1]s   ShipStation V2 webhook subscriptions (SHIPSTATION_V2_API_URL=<base>)
  %[1]s   SHOPLINE open API: webhook subscriptions, store, orders (SHOPLINE_API_URL=<base>%[5]s)

Ctrl-C stops it.
`, set.url, set.apiURL, sandbox.SnipcartPrefix, sandbox.ShipStationV2JWKSPath, sandbox.ShoplinePrefix)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	set.shutdown()
	return serveErr
}

// sandboxSet is the sandbox provider APIs on their two listeners: Snipcart
// request validation and the ShipStation V2 signer on one, ShipStation's V1
// API on the other (resource URLs must name /orders, /shipments or
// /fulfillments at the root). `hookstream dev` and `hookstream sandbox` both
// run one.
type sandboxSet struct {
	servers     []*http.Server
	url, apiURL string // base URLs a client can dial
	shipStation *sandbox.ShipStationAPI
}

// startSandboxes listens on addr and apiAddr and hands each server's
// blocking Serve to goServe, which runs it and reports its error.
func startSandboxes(addr, apiAddr, snipcartKey string, shipStation sandbox.ShipStationKey, shipStationV2Key string, goServe func(serve func() error)) (*sandboxSet, error) {
	dev, err := sandbox.NewDev(snipcartKey)
	if err != nil {
		return nil, err
	}
	dev = sandbox.WithShipStationV2API(dev, shipStationV2Key)
	set := &sandboxSet{shipStation: sandbox.NewShipStationAPI(shipStation)}
	devH, apiH := withSubscriptionSandboxes(dev, set.shipStation, shipStation)
	for _, s := range []struct {
		addr string
		h    http.Handler
		url  *string
	}{{addr, devH, &set.url}, {apiAddr, apiH, &set.apiURL}} {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			set.shutdown()
			return nil, fmt.Errorf("sandbox listen: %w", err)
		}
		srv := &http.Server{Handler: withHealthz(s.h), ReadHeaderTimeout: 5 * time.Second}
		set.servers = append(set.servers, srv)
		*s.url = "http://" + loopbackAddr(ln.Addr())
		goServe(func() error { return ignoreClosed(srv.Serve(ln)) })
	}
	return set, nil
}

// shutdown stops every server, letting requests in flight finish.
func (set *sandboxSet) shutdown() {
	for _, srv := range set.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
	}
}

// withHealthz answers GET /healthz itself and passes everything else to h.
func withHealthz(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(sandbox.HeaderSandbox, "hookstream")
		_, _ = io.WriteString(w, `{"status":"ok","sandbox":true}`)
	})
	mux.Handle("/", h)
	return mux
}

// checkSandbox asks /healthz on both of a running sandbox's listeners.
func checkSandbox(ctx context.Context, o sandboxOptions) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var errs []error
	for _, addr := range []string{o.addr, o.apiAddr} {
		base := process.LocalURL(addr)
		if base == "" {
			errs = append(errs, fmt.Errorf("not a listen address: %q", addr))
			continue
		}
		errs = append(errs, process.CheckReady(ctx, base+"/healthz"))
	}
	return errors.Join(errs...)
}
