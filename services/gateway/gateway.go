// Package gateway is hookstream's webhook gateway: it authenticates
// webhooks from ShipStation, Snipcart and SHOPLINE, checks that they are
// well formed, wraps each raw body unchanged in a CloudEvent and publishes
// it to the WEBHOOKS stream. It answers 2xx only after JetStream has
// acknowledged the message, and 503 with Retry-After when it cannot be
// stored, so the provider retries and nothing it was told is stored is lost.
//
// Each provider has a route for the default account, which the environment
// variables configure, and one for each named account of the accounts file,
// /webhooks/<provider>/<account>, with the account's own secrets; a named
// account's webhooks are stored with the account in their id, source and
// ce-account (see routes.go and docs/accounts.md).
//
// The gateway is thin on purpose: it never calls a provider API on the
// request path, except Snipcart's request-token check, which must happen on
// receipt.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/obs"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
	"github.com/hookstream/hookstream/services/gateway/internal/groupcommit"
)

// Gateway serves the webhook routes and publishes to JetStream. Build it
// with New, serve Handler, or call Run.
type Gateway struct {
	cfg     Config
	log     *zap.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	pub     *groupcommit.Publisher
	routes  routes
	metrics *metrics
	health  *obs.Health
	// healthz, readyz and metrics serve the operational endpoints, written
	// for net/http, on the gateway's HTTP server.
	healthz, readyz, metricsz fasthttp.RequestHandler
}

// maxHeaderBytes bounds a request's request line and headers together: it
// is the HTTP server's read buffer, one per connection being served.
const maxHeaderBytes = 64 << 10

// readTimeout bounds the time a request takes to arrive, and the time a
// refused connection spends discarding what the client still sends.
const readTimeout = 15 * time.Second

// NATSOptions are the options the gateway's NATS connection should be made
// with: no reconnect buffer, so that while NATS is away a publish fails at
// once and the provider gets a prompt 503 instead of a request that hangs
// until the publish timeout.
func NATSOptions() []nats.Option {
	return []nats.Option{nats.ReconnectBufSize(-1)}
}

// New builds a gateway publishing on nc. It does not touch the network:
// Run provisions the stream and listens. A gateway served through Handler
// instead of Run should be closed with Close after its last request.
func New(cfg Config, nc *nats.Conn, log *zap.Logger) (*Gateway, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("gateway: jetstream: %w", err)
	}
	tokens := &kvTokens{js: js, log: log}
	routes, err := buildRoutes(cfg, tokens)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:     cfg,
		log:     log,
		nc:      nc,
		js:      js,
		routes:  routes,
		metrics: newMetrics(routes.all),
	}
	tokens.mu.Lock()
	tokens.failures = g.metrics.tokenMemory
	tokens.mu.Unlock()
	// Concurrent requests share JetStream acknowledgements: see
	// groupcommit.Publisher. Each request still waits for its own message.
	g.pub = groupcommit.New(nc, js, groupcommit.Options{
		MaxBatch: cfg.PublishBatch,
		Atomic:   cfg.PublishAtomic,
		Timeout:  cfg.PublishTimeout,
		OnBatch:  g.metrics.observeBatch,
	})
	g.health = &obs.Health{Checks: map[string]obs.Check{
		"nats":   g.checkConnected,
		"stream": g.checkStream,
	}}
	g.healthz = fasthttpadaptor.NewFastHTTPHandlerFunc(g.health.Live)
	g.readyz = fasthttpadaptor.NewFastHTTPHandlerFunc(g.health.Ready)
	g.metricsz = fasthttpadaptor.NewFastHTTPHandler(obs.MetricsHandler(g.metrics.registry))
	return g, nil
}

// EnsureStreams creates or updates the WEBHOOKS stream and the bucket of
// validated Snipcart tokens.
func (g *Gateway) EnsureStreams(ctx context.Context) error {
	if err := streams.Ensure(ctx, g.js, streams.Webhooks(g.cfg.Webhooks)); err != nil {
		return err
	}
	_, err := state.EnsureBucket(ctx, g.js, snipcartTokensBucket(g.cfg.Webhooks.Replicas))
	return err
}

// Run provisions the stream (retrying while NATS is unreachable), serves
// HTTP on cfg.Addr, and shuts down gracefully when ctx is cancelled: it
// stops accepting connections and lets in-flight requests finish their
// publish. It returns nil after a clean shutdown.
func (g *Gateway) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", g.cfg.Addr)
	if err != nil {
		return fmt.Errorf("gateway: listen: %w", err)
	}
	return g.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened.
//
// The HTTP server is fasthttp's rather than net/http's: on the gateway's
// hot path net/http spent about twice the CPU per request (see
// docs/performance.md), and the gateway serves nothing that needs more than
// HTTP/1.1 (a TLS-terminating proxy or load balancer sits in front).
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	go func() {
		if streams.Provision(ctx, g.log, g.EnsureStreams) == nil {
			g.log.Info("stream ready", zap.String("stream", catalog.StreamWebhooks))
		}
	}()
	// A refused request is drained, up to twice the body limit, before
	// its connection closes, so that the client can read the answer.
	lln := newLingerListener(ln, 2*g.cfg.MaxBodyBytes, readTimeout)
	defer lln.stop()
	srv := &fasthttp.Server{
		Handler:      g.route,
		ErrorHandler: g.transportError,
		// A request must arrive within ReadTimeout; the answer may wait
		// for the publish.
		ReadTimeout:                  readTimeout,
		WriteTimeout:                 g.cfg.PublishTimeout + 15*time.Second,
		IdleTimeout:                  90 * time.Second,
		MaxRequestBodySize:           int(g.cfg.MaxBodyBytes),
		ReadBufferSize:               maxHeaderBytes,
		NoDefaultServerHeader:        true,
		DisablePreParseMultipartForm: true,
		CloseOnShutdown:              true,
		// fasthttp's own log lines quote the request they failed on (a
		// query token among it), SecureErrorLogMessage or not: only their
		// format is logged, never their arguments.
		SecureErrorLogMessage: true,
		Logger:                formatOnlyLogger{g.log.Named("http")},
		Concurrency:           g.cfg.MaxConns,
		MaxConnsPerIP:         g.cfg.MaxConnsPerIP,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lln) }()
	g.log.Info("gateway listening", zap.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return fmt.Errorf("gateway: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), g.cfg.PublishTimeout+10*time.Second)
	defer cancel()
	err := srv.ShutdownWithContext(shutdownCtx)
	lln.stop()
	g.Close()
	if err != nil {
		return fmt.Errorf("gateway: shutdown: %w", err)
	}
	g.log.Info("gateway stopped")
	return nil
}

// Close stops the gateway's publisher; requests still arriving get 503.
// Run and Serve call it once the HTTP server has shut down.
func (g *Gateway) Close() { g.pub.Close() }

func (g *Gateway) checkConnected(context.Context) error {
	if s := g.nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("nats connection is %s", s)
	}
	return nil
}

func (g *Gateway) checkStream(ctx context.Context) error {
	if g.nc.Status() != nats.CONNECTED {
		return errors.New("unknown while NATS is not connected")
	}
	_, err := g.js.Stream(ctx, catalog.StreamWebhooks)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s does not exist yet", catalog.StreamWebhooks)
	}
	return err
}
