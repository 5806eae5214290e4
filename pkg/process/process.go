// Package process is the start-up and shutdown every hookstream service
// command shares: read and validate the configuration, build the logger,
// print the configuration (secrets redacted), connect to NATS, run the
// service until SIGINT or SIGTERM, then drain the connection. A service's
// cmd/<name>/main.go is one call to Main.
package process

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/jsx"
	"github.com/hookstream/hookstream/pkg/obs"
)

// Env is the part of the configuration every service has: NATS_URL,
// NATS_CREDS, NATS_USER, NATS_PASSWORD, LOG_LEVEL and LOG_FORMAT. Service
// configurations embed it.
type Env struct {
	NATS jsx.ConnConfig
	Log  obs.LogConfig
}

// LoadEnv reads the variables of Env.
func LoadEnv(l *envconf.Loader) Env {
	return Env{NATS: jsx.LoadConnConfig(l), Log: obs.LoadLogConfig(l)}
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

// drainTimeout bounds the NATS drain at exit.
const drainTimeout = 10 * time.Second

// Main runs the service called name and exits: status 0 after a clean
// stop, 1 with the error on stderr otherwise. load reads the configuration
// from a lookup function (nil: the environment); build makes the service
// on the connection; opts are extra NATS connection options.
func Main[C Config](name string, load func(lookup func(string) (string, bool)) (C, error),
	build func(cfg C, nc *nats.Conn, log *zap.Logger) (Service, error), opts ...nats.Option) {
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
	log.Info("starting", zap.String("service", name), zap.Stringer("config", cfg))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, err := jsx.Connect(env.NATS, "hookstream-"+name, log, opts...)
	if err != nil {
		return err
	}
	defer func() {
		if err := jsx.Drain(nc, drainTimeout); err != nil {
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
