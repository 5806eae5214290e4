// Command reconciler runs hookstream's reconciler against a NATS server.
// All configuration comes from environment variables; see
// docs/reconciliation.md.
package main

import (
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/services/reconciler"
)

func main() {
	process.Main("reconciler", reconciler.Load, func(cfg reconciler.Config, nc *nats.Conn, log *zap.Logger) (process.Service, error) {
		return reconciler.New(cfg, nc, log)
	})
}
