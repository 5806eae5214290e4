package reconciler

import "github.com/hookstream/hookstream/pkg/process"

// HealthURL is the base URL of /healthz and /readyz from the service's own
// host: HEALTH_ADDR with a wildcard host made 127.0.0.1, or "" when
// HEALTH_ADDR is "-". The binary's -healthcheck mode (process.Main) asks it.
func (c Config) HealthURL() string { return process.LocalURL(c.HealthAddr) }
