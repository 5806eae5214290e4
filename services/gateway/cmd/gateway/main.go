// Command gateway runs hookstream's webhook gateway against a NATS server.
// All configuration comes from environment variables; see the README.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/jsx"
	"github.com/hookstream/hookstream/services/gateway"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := gateway.Load(nil)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log, err := cfg.Log.Logger()
	if err != nil {
		return err
	}
	defer log.Sync()
	log.Info("starting", zap.Stringer("config", cfg))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, err := jsx.Connect(cfg.NATS, "hookstream-gateway", log, gateway.NATSOptions()...)
	if err != nil {
		return err
	}
	defer func() {
		if err := jsx.Drain(nc, 10*time.Second); err != nil {
			log.Warn("nats drain", zap.Error(err))
		}
	}()
	g, err := gateway.New(cfg, nc, log)
	if err != nil {
		return err
	}
	return g.Run(ctx)
}
