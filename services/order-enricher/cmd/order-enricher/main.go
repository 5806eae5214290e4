// Command order-enricher runs hookstream's order-enricher against a NATS
// server. All configuration comes from environment variables; see the
// README.
package main

import (
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/process"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
)

func main() {
	process.Main("order-enricher", orderenricher.Load, func(cfg orderenricher.Config, nc *nats.Conn, log *zap.Logger) (process.Service, error) {
		return orderenricher.New(cfg, nc, log)
	})
}
