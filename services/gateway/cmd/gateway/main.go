// Command gateway runs hookstream's webhook gateway against a NATS server.
// All configuration comes from environment variables; see the README.
package main

import (
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/process"
	"github.com/hookstream/hookstream/services/gateway"
)

func main() {
	process.Main("gateway", gateway.Load, func(cfg gateway.Config, nc *nats.Conn, log *zap.Logger) (process.Service, error) {
		return gateway.New(cfg, nc, log)
	}, gateway.NATSOptions()...)
}
