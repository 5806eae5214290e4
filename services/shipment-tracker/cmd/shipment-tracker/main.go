// Command shipment-tracker runs hookstream's shipment-tracker against a
// NATS server. All configuration comes from environment variables; see the
// README.
package main

import (
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/process"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

func main() {
	process.Main("shipment-tracker", shipmenttracker.Load, func(cfg shipmenttracker.Config, nc *nats.Conn, log *zap.Logger) (process.Service, error) {
		return shipmenttracker.New(cfg, nc, log)
	})
}
