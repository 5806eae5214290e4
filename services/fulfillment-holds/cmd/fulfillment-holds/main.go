// Command fulfillment-holds runs hookstream's fulfillment-holds service
// against a NATS server. All configuration comes from environment
// variables; see the README.
package main

import (
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/process"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
)

func main() {
	process.Main("fulfillment-holds", fulfillmentholds.Load, func(cfg fulfillmentholds.Config, nc *nats.Conn, log *zap.Logger) (process.Service, error) {
		return fulfillmentholds.New(cfg, nc, log)
	})
}
