package gateway

import "github.com/hookstream/hookstream/pkg/process"

// HealthURL is the base URL of /healthz and /readyz from the gateway's own
// host: GATEWAY_ADDR with a wildcard host made 127.0.0.1. The binary's
// -healthcheck mode (process.Main) asks it.
func (c Config) HealthURL() string { return process.LocalURL(c.Addr) }
