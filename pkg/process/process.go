// Package process is the start-up and shutdown every hookstream service
// command shares: read and validate the configuration, build the logger,
// print the configuration (secrets redacted), connect to NATS, run the
// service until SIGINT or SIGTERM, then drain the connection. A service's
// cmd/<name>/main.go is one call to Main.
//
// Run with the single argument -healthcheck, a service binary instead asks
// its own /readyz on this host and exits 0 when it answers 200: the health
// check of a container image that has no shell and no curl.
package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natsconn"
	"github.com/hookstream/hookstream/pkg/obs"
	"github.com/hookstream/hookstream/pkg/tracing"
)

// Env is the part of the configuration every service has: NATS_URL,
// NATS_CREDS, NATS_USER, NATS_PASSWORD, LOG_LEVEL, LOG_FORMAT, the OTEL_*
// tracing variables and HOOKSTREAM_SETUP. Service configurations embed it.
type Env struct {
	NATS natsconn.Config
	Log  obs.LogConfig
	// Tracing is OpenTelemetry tracing, off unless an OTLP endpoint is
	// configured (see tracing.Config).
	Tracing tracing.Config
	// Setup is HOOKSTREAM_SETUP (envconf.SetupVar): a development setup
	// says so in the log at start.
	Setup string
}

// LoadEnv reads the variables of Env.
func LoadEnv(l *envconf.Loader) Env {
	return Env{NATS: natsconn.LoadConfig(l), Log: obs.LoadLogConfig(l), Tracing: tracing.LoadConfig(l), Setup: l.Setup()}
}

// ProcessEnv returns e; through embedding it makes every service
// configuration a Config.
func (e Env) ProcessEnv() Env { return e }

// Config is a service's configuration as Main sees it.
type Config interface {
	fmt.Stringer // printed at start-up, secrets redacted
	ProcessEnv() Env
}

// Service is a built service; Run blocks until ctx is cancelled and the
// service has stopped.
type Service interface {
	Run(ctx context.Context) error
}

// HealthChecker is implemented by a service configuration whose service
// serves /healthz and /readyz; Main's -healthcheck mode asks it where.
type HealthChecker interface {
	// HealthURL is the base URL of the health endpoints as seen from the
	// service's own host ("http://127.0.0.1:8081"), or "" when they are
	// turned off. LocalURL derives it from a listen address.
	HealthURL() string
}

// HealthCheckArg is the argument that turns a service binary into its own
// health check (see Main).
const HealthCheckArg = "-healthcheck"

// healthCheckTimeout bounds the -healthcheck request; container runtimes
// give the whole check a few seconds.
const healthCheckTimeout = 3 * time.Second

// drainTimeout bounds the NATS drain at exit.
const drainTimeout = 10 * time.Second

// Main runs the service called name and exits: status 0 after a clean
// stop, 1 with the error on stderr otherwise. load reads the configuration
// from a lookup function (nil: the environment); build makes the service
// on the connection; opts are extra NATS connection options.
//
// With the single argument -healthcheck (HealthCheckArg), Main reads the
// configuration, GETs <HealthURL>/readyz and exits 0 on a 200, 1 otherwise;
// it needs a configuration that implements HealthChecker.
func Main[C Config](name string, load func(lookup func(string) (string, bool)) (C, error),
	build func(cfg C, nc *nats.Conn, log *zap.Logger) (Service, error), opts ...nats.Option) {
	if len(os.Args) == 2 && os.Args[1] == HealthCheckArg {
		if err := healthCheck(load); err != nil {
			fmt.Fprintf(os.Stderr, "%s: health check: %v\n", name, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if err := run(name, load, build, opts); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run[C Config](name string, load func(func(string) (string, bool)) (C, error),
	build func(C, *nats.Conn, *zap.Logger) (Service, error), opts []nats.Option) error {
	cfg, err := load(nil)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	env := cfg.ProcessEnv()
	log, err := env.Log.Logger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	log.Info("starting", zap.String("service", name), zap.Stringer("config", cfg), zap.Stringer("tracing", env.Tracing))
	if env.Setup == envconf.SetupDevelopment {
		log.Warn("DEVELOPMENT SETUP: development secrets and the sandbox provider APIs; not for production",
			zap.String("service", name), zap.String(envconf.SetupVar, env.Setup))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopTracing, err := env.Tracing.Start(ctx, name)
	if err != nil {
		return err
	}
	defer func() {
		// After the NATS drain (deferred later, so run first): the last
		// spans are those of the drain.
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		if err := stopTracing(ctx); err != nil {
			log.Warn("tracing shutdown", zap.Error(err))
		}
	}()
	nc, err := natsconn.Connect(env.NATS, "hookstream-"+name, log, opts...)
	if err != nil {
		return err
	}
	defer func() {
		if err := natsconn.Drain(nc, drainTimeout); err != nil {
			log.Warn("nats drain", zap.Error(err))
		}
	}()
	svc, err := build(cfg, nc, log)
	if err != nil {
		return err
	}
	err = svc.Run(ctx)
	log.Info("stopped", zap.String("service", name), zap.Error(err))
	return err
}

// healthCheck asks the running service's /readyz.
func healthCheck[C Config](load func(func(string) (string, bool)) (C, error)) error {
	cfg, err := load(nil)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	hc, ok := any(cfg).(HealthChecker)
	if !ok {
		return errors.New("this service has no health endpoint")
	}
	base := hc.HealthURL()
	if base == "" {
		return errors.New("the health endpoints are turned off")
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthCheckTimeout)
	defer cancel()
	return CheckReady(ctx, base+"/readyz")
}

// CheckReady GETs url and returns nil on a 200; otherwise an error with the
// status and the start of the answer (which names the failing checks).
func CheckReady(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", url, resp.Status, body)
	}
	return nil
}

// LocalURL turns a listen address into the base URL a process on the same
// host reaches it at: a wildcard or empty host (":8081", "0.0.0.0:8081",
// "[::]:8081") becomes 127.0.0.1. It returns "" for an empty or
// unparseable address.
func LocalURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
