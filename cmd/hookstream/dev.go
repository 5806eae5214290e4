package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natsconn"
	"github.com/hookstream/hookstream/pkg/obs"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/pkg/tracing"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
	"github.com/hookstream/hookstream/services/gateway"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
	"github.com/hookstream/hookstream/services/reconciler"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// Development secrets. They are printed at start-up and are worthless
// anywhere else: never set them on a real deployment.
const (
	devShipStationToken = "dev-shipstation-token"
	devSnipcartKey      = "dev-snipcart-secret-key"
	devShoplineSecret   = "dev-shopline-app-secret"
	devShipStationKey   = "dev-shipstation-api-key"
	devShipStationSec   = "dev-shipstation-api-secret"
	devShipStationV2Key = "dev-shipstation-v2-api-key"
)

// Default addresses of `hookstream dev`, which `hookstream send` uses too.
const (
	defaultGatewayURL = "http://127.0.0.1:8080"
	defaultSandboxURL = "http://127.0.0.1:8090"
	// defaultShipStationAPI is the ShipStation V1 API sandbox. It has a
	// listener of its own because resource URLs must name /orders,
	// /shipments or /fulfillments at the root.
	defaultShipStationAPI = "http://127.0.0.1:8091"
)

// devOptions are the flags of `hookstream dev`.
type devOptions struct {
	dataDir     string
	natsPort    int
	gatewayAddr string
	sandboxAddr string
	apiAddr     string
	overdue     time.Duration
	reconcile   time.Duration
	settle      time.Duration // the reconciler's RECONCILE_SETTLE; tests set it
	// apiBudget, when set, replaces ShipStation's 40 requests a minute at
	// the V1 sandbox and in every client; tests set it.
	apiBudget int
	logLevel  string
	// accountsFile names the gateway's named accounts (an accounts file,
	// see package accounts); their secrets are read from this process's
	// environment or from files.
	accountsFile string
}

func runDev(ctx context.Context, args []string, stdout io.Writer) error {
	var o devOptions
	fs := newFlags("dev", "[flags]", stdout)
	fs.StringVar(&o.dataDir, "data", ".data", "JetStream store directory")
	fs.IntVar(&o.natsPort, "nats-port", 4222, "port on 127.0.0.1 where the embedded NATS server listens for the nats CLI")
	fs.StringVar(&o.gatewayAddr, "addr", "127.0.0.1:8080", "gateway listen address (loopback: the development secrets are well known)")
	fs.StringVar(&o.sandboxAddr, "sandbox-addr", "127.0.0.1:8090", "sandbox provider APIs listen address (loopback)")
	fs.StringVar(&o.apiAddr, "shipstation-api-addr", "127.0.0.1:8091", "ShipStation V1 API sandbox listen address (loopback)")
	fs.DurationVar(&o.overdue, "hold-overdue-after", 2*time.Minute, "how long a fulfillment hold may stay open before hold_overdue (production default 24h)")
	fs.DurationVar(&o.reconcile, "reconcile-interval", 30*time.Second, "how often the reconciler lists the sandbox providers' changes (production default 5m)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level")
	fs.StringVar(&o.accountsFile, "accounts", "", "accounts file (as "+accounts.FileVar+", docs/accounts.md): the gateway serves these named accounts' routes too, and the consumers call their APIs with their keys; secret references read this process's environment")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := obs.NewLogger(o.logLevel, true)
	if err != nil {
		return err
	}
	defer log.Sync()
	// OTEL_EXPORTER_OTLP_ENDPOINT and friends trace the whole pipeline
	// into one collector, as service hookstream-dev.
	l := envconf.New(nil)
	traces := tracing.LoadConfig(l)
	if err := l.Err(); err != nil {
		return err
	}
	stopTracing, err := traces.Start(ctx, "hookstream-dev")
	if err != nil {
		return err
	}
	defer func() { _ = stopTracing(context.Background()) }()
	env, err := startDev(ctx, o, log)
	if err != nil {
		return err
	}
	env.printBanner(stdout)
	<-ctx.Done()
	log.Info("shutting down")
	return env.stop()
}

// devEnv is a running `hookstream dev`: embedded NATS, sandbox APIs, gateway.
type devEnv struct {
	ns         *server.Server
	nc         *nats.Conn
	sandboxes  *sandboxSet
	sandboxURL string
	apiURL     string
	gatewayURL string
	wg         sync.WaitGroup
	errs       chan error // one slot per server or consumer goroutine
	opts       devOptions
	reconciler *reconciler.Service
	cancel     context.CancelFunc
	// accounts are the named accounts of dev -accounts, served by the
	// gateway, the consumers and the reconciler.
	accounts devAccounts
}

// startDev starts every part and returns once all of them listen.
func startDev(ctx context.Context, o devOptions, log *zap.Logger) (_ *devEnv, err error) {
	env := &devEnv{errs: make(chan error, 9), opts: o}
	ctx, cancel := context.WithCancel(ctx)
	env.cancel = cancel
	defer func() {
		if err != nil {
			cancel()
			_ = env.stop()
		}
	}()
	if env.ns, err = startEmbeddedNATS(o.dataDir, o.natsPort); err != nil {
		return nil, err
	}
	if env.nc, err = nats.Connect("", append(gateway.NATSOptions(), nats.InProcessServer(env.ns), nats.Name("hookstream-dev"))...); err != nil {
		return nil, fmt.Errorf("connect in-process: %w", err)
	}

	if env.sandboxes, err = startSandboxes(o.sandboxAddr, o.apiAddr, devSnipcartKey,
		sandbox.ShipStationKey{Key: devShipStationKey, Secret: devShipStationSec}, devShipStationV2Key, env.goServe); err != nil {
		return nil, err
	}
	env.sandboxURL, env.apiURL = env.sandboxes.url, env.sandboxes.apiURL
	if o.apiBudget > 0 {
		env.sandboxes.shipStation.SetRateLimit(o.apiBudget, time.Minute)
	}

	named, err := loadDevAccounts(o.accountsFile)
	if err != nil {
		return nil, err
	}
	env.accounts = named
	cfg, err := gateway.Load(named.lookup(map[string]string{
		"GATEWAY_ADDR":                    o.gatewayAddr,
		"SHIPSTATION_WEBHOOK_TOKEN":       devShipStationToken,
		"SHIPSTATION_RESOURCE_HOSTS":      `^(ssapi\d*\.shipstation\.com(:443)?|127\.0\.0\.1:\d+)$`,
		"SHIPSTATION_RESOURCE_ALLOW_HTTP": "true",
		"SHIPSTATION_V2_JWKS_URL":         env.sandboxURL + sandbox.ShipStationV2JWKSPath,
		"SNIPCART_SECRET_KEY":             devSnipcartKey,
		"SNIPCART_API_URL":                env.sandboxURL + sandbox.SnipcartPrefix,
		"SHOPLINE_APP_SECRET":             devShoplineSecret,
	}))
	if err != nil {
		return nil, err
	}
	gw, err := gateway.New(cfg, env.nc, log.Named("gateway"))
	if err != nil {
		return nil, err
	}
	if err := gw.EnsureStreams(ctx); err != nil {
		return nil, err
	}
	gwLn, err := net.Listen("tcp", o.gatewayAddr)
	if err != nil {
		return nil, fmt.Errorf("gateway listen: %w", err)
	}
	env.gatewayURL = "http://" + loopbackAddr(gwLn.Addr())
	if tcp, ok := gwLn.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		log.Warn("the development gateway listens beyond this machine, and it accepts webhooks signed with the "+
			"well-known development secrets: anyone who can reach it can inject events. Use a loopback -addr "+
			"unless that is what you want.", zap.String("addr", gwLn.Addr().String()))
	}
	env.goServe(func() error { return gw.Serve(ctx, gwLn) })

	overdue := o.overdue
	if overdue <= 0 {
		overdue = 2 * time.Minute
	}
	consumerVars := map[string]string{
		"SHIPSTATION_API_KEY":    devShipStationKey,
		"SHIPSTATION_API_SECRET": devShipStationSec,
		"SHIPSTATION_API_URL":    env.apiURL,
		"SHIPSTATION_V2_API_KEY": devShipStationV2Key,
		"SHIPSTATION_V2_API_URL": env.sandboxURL,
		"HEALTH_ADDR":            "-",
		"HOLD_OVERDUE_AFTER":     overdue.String(),
	}
	if o.apiBudget > 0 {
		consumerVars["SHIPSTATION_RATE_LIMIT"] = strconv.Itoa(o.apiBudget)
	}
	consumerEnv := named.lookup(consumerVars)
	if err := startConsumer(ctx, env, log, "order-enricher", consumerEnv, orderenricher.Load,
		func(c orderenricher.Config, nc *nats.Conn, l *zap.Logger) (consumer, error) {
			return orderenricher.New(c, nc, l)
		}); err != nil {
		return nil, err
	}
	if err := startConsumer(ctx, env, log, "shipment-tracker", consumerEnv, shipmenttracker.Load,
		func(c shipmenttracker.Config, nc *nats.Conn, l *zap.Logger) (consumer, error) {
			return shipmenttracker.New(c, nc, l)
		}); err != nil {
		return nil, err
	}
	if err := startConsumer(ctx, env, log, "fulfillment-holds", consumerEnv, fulfillmentholds.Load,
		func(c fulfillmentholds.Config, nc *nats.Conn, l *zap.Logger) (consumer, error) {
			return fulfillmentholds.New(c, nc, l)
		}); err != nil {
		return nil, err
	}
	if err := startReconciler(ctx, env, log, o); err != nil {
		return nil, err
	}
	return env, nil
}

// consumer is a consumer service as dev runs it.
type consumer interface {
	Provision(ctx context.Context) error
	Run(ctx context.Context) error
}

// startConsumer loads a consumer service's configuration from lookup,
// builds it on the in-process connection, provisions its streams and runs
// it until ctx ends.
func startConsumer[C any](ctx context.Context, env *devEnv, log *zap.Logger, name string, lookup func(string) (string, bool),
	load func(func(string) (string, bool)) (C, error), build func(C, *nats.Conn, *zap.Logger) (consumer, error)) error {
	cfg, err := load(lookup)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	svc, err := build(cfg, env.nc, log.Named(name))
	if err != nil {
		return err
	}
	if err := svc.Provision(ctx); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	env.goServe(func() error { return svc.Run(ctx) })
	return nil
}

// startEmbeddedNATS starts JetStream with its store under dir, listening on
// 127.0.0.1:port for the nats CLI (port 0 picks a free one).
func startEmbeddedNATS(dir string, port int) (*server.Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "hookstream-dev",
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   abs,
		NoSigs:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats did not start (is port " + strconv.Itoa(port) + " in use?)")
	}
	return ns, nil
}

func (env *devEnv) goServe(serve func() error) {
	env.wg.Add(1)
	go func() {
		defer env.wg.Done()
		if err := serve(); err != nil {
			env.errs <- err
		}
	}()
}

// stop shuts everything down in order: HTTP (the gateway stops when the
// context given to startDev is cancelled), the NATS connection, the embedded
// server. It reports the first error a server returned.
func (env *devEnv) stop() error {
	if env.sandboxes != nil {
		env.sandboxes.shutdown()
	}
	env.wg.Wait()
	if env.nc != nil {
		_ = natsconn.Drain(env.nc, 5*time.Second)
	}
	if env.ns != nil {
		env.ns.Shutdown()
		env.ns.WaitForShutdown()
	}
	select {
	case err := <-env.errs:
		return err
	default:
		return nil
	}
}

func (env *devEnv) printBanner(w io.Writer) {
	natsURL := env.ns.ClientURL()
	fmt.Fprintf(w, `
hookstream dev — everything in one process. SANDBOX: development secrets, no real provider is called.

  gateway       %[1]s   (POST /webhooks/{shipstation,shipstation/v2,snipcart,shopline})
  nats          %[2]s   (embedded JetStream, store %[3]s)
  sandbox APIs  %[4]s   (Snipcart request validation and orders, ShipStation V2 JWKS and API, SHOPLINE open API under /shopline)
                %[8]s   (ShipStation V1 API: orders, shipments, fulfillments)
  consumers     order-enricher (orders.>), shipment-tracker (shipments.>), fulfillment-holds (fulfillment.>)
  reconciler    every %[9]s, lists the sandbox's ShipStation, Snipcart and SHOPLINE changes and feeds the missed ones in
  accounts      %[10]s

  dev secrets   SHIPSTATION_WEBHOOK_TOKEN=%[5]s
                SNIPCART_SECRET_KEY=%[6]s
                SHOPLINE_APP_SECRET=%[7]s

Try, in another terminal:
  go run ./cmd/hookstream send shipstation ORDER_NOTIFY
  go run ./cmd/hookstream send snipcart order.completed
  go run ./cmd/hookstream send shopline fulfillment_order/update
  go run github.com/nats-io/natscli/nats@v0.5.1 -s %[2]s stream ls
  go run github.com/nats-io/natscli/nats@v0.5.1 -s %[2]s stream view WEBHOOKS
  go run github.com/nats-io/natscli/nats@v0.5.1 -s %[2]s sub 'webhooks.>'
  go run ./cmd/hookstream send shipstation SHIP_NOTIFY
  go run ./cmd/hookstream send -n 30 -drop 0.33 shipstation ORDER_NOTIFY   (the reconciler finds the orders of the 10 dropped)
  go run ./cmd/hookstream send -n 30 -drop 0.33 snipcart order.completed
  go run ./cmd/hookstream send -n 30 -drop 0.33 shopline orders/create
  go run ./cmd/hookstream send shipstation FULFILLMENT_SHIPPED_V2
  go run github.com/nats-io/natscli/nats@v0.5.1 -s %[2]s sub 'orders.>' --all
  go run github.com/nats-io/natscli/nats@v0.5.1 -s %[2]s sub 'shipments.>' --all
  go run ./cmd/hookstream send shipstation TRACK_EVENT_V2   (then -file schemas/examples/shipstation/track_event_v2.{exception,delivered}.json)
  go run github.com/nats-io/natscli/nats@v0.5.1 -s %[2]s sub 'shipments.*.delivered.>'
  go run github.com/nats-io/natscli/nats@v0.5.1 -s %[2]s sub 'fulfillment.>' --all
  go run ./cmd/hookstream holds list
  go run ./cmd/hookstream dlq list
  go run ./cmd/hookstream webhooks subscribe -dev   (then list, check, unsubscribe: the providers'
                                                    subscription APIs are sandboxed too)

Ctrl-C stops everything.
`, env.gatewayURL, natsURL, env.opts.dataDir, env.sandboxURL, devShipStationToken, devSnipcartKey, devShoplineSecret, env.apiURL, env.opts.reconcileInterval(), accountsBanner(env.accounts.set))
}

// accountsBanner is the banner's line of named accounts.
func accountsBanner(s accounts.Set) string {
	if s.Empty() {
		return "the default one only (-accounts FILE adds named accounts at /webhooks/<provider>/<account>)"
	}
	return strings.TrimPrefix(s.String(), "accounts: ") + "   (POST /webhooks/<provider>/<account>; send -account NAME)"
}

// devAccounts are the named accounts of `dev -accounts FILE`.
type devAccounts struct {
	path string
	set  accounts.Set
	// refs are the variables the file's secret references read from the
	// process environment: the only ones dev lets through.
	refs map[string]bool
}

// loadDevAccounts reads the accounts file of `dev -accounts`, its secret
// references from the process environment; "" names no account.
func loadDevAccounts(path string) (devAccounts, error) {
	a := devAccounts{path: path, refs: map[string]bool{}}
	if path == "" {
		return a, nil
	}
	l := envconf.New(func(name string) (string, bool) {
		if name == accounts.FileVar {
			return path, true
		}
		a.refs[name] = true
		return os.LookupEnv(name)
	})
	a.set = accounts.Load(l)
	return a, l.Err()
}

// lookup is a service's variables: vars, and the accounts file with the
// process variables its references read. Nothing else of the process
// environment reaches the services of dev.
func (a devAccounts) lookup(vars map[string]string) func(string) (string, bool) {
	m := envconf.Map(vars)
	return func(name string) (string, bool) {
		switch v, ok := m(name); {
		case ok:
			return v, true
		case a.path != "" && name == accounts.FileVar:
			return a.path, true
		case a.refs[name]:
			return os.LookupEnv(name)
		}
		return "", false
	}
}

// loopbackAddr turns a wildcard listen address into one a client can dial.
func loopbackAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
