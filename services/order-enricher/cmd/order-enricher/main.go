// Command order-enricher runs hookstream's order-enricher against a NATS
// server. All configuration comes from environment variables; see the
// README.
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
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "order-enricher:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := orderenricher.Load(nil)
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
	nc, err := jsx.Connect(cfg.NATS, "hookstream-order-enricher", log)
	if err != nil {
		return err
	}
	defer func() {
		if err := jsx.Drain(nc, 10*time.Second); err != nil {
			log.Warn("nats drain", zap.Error(err))
		}
	}()
	svc, err := orderenricher.New(cfg, nc, log)
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}
