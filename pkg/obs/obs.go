// Package obs is hookstream's observability: the zap logger every service
// is given, the Prometheus registry its metrics live in, and the /healthz
// and /readyz handlers.
package obs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hookstream/hookstream/pkg/envconf"
)

// NewLogger returns a JSON logger at level ("debug", "info", "warn",
// "error"); with development true it logs human-readable console lines.
func NewLogger(level string, development bool) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("obs: log level: %w", err)
	}
	cfg := zap.NewProductionConfig()
	if development {
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil // a webhook log line is rare and precious; never drop it
	return cfg.Build()
}

// NewRegistry returns a Prometheus registry with the Go runtime and process
// collectors, for one service's metrics.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// MetricsHandler serves the registry in the Prometheus exposition format.
func MetricsHandler(r *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(r, promhttp.HandlerOpts{Registry: r})
}

// Check is one readiness condition; it returns nil when satisfied.
type Check func(ctx context.Context) error

// Health serves /healthz (the process answers) and /readyz (every check
// passes within Timeout).
type Health struct {
	// Checks are all run by /readyz; every failure is reported by name.
	Checks map[string]Check
	// Timeout bounds all checks together; default 2s.
	Timeout time.Duration
}

// Live answers 200 while the process can answer at all.
func (h *Health) Live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Ready answers 200 when every check passes and 503 naming the failures
// otherwise.
func (h *Health) Ready(w http.ResponseWriter, r *http.Request) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	failed := map[string]string{}
	for name, check := range h.Checks {
		if err := check(ctx); err != nil {
			failed[name] = err.Error()
		}
	}
	if len(failed) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failed": failed})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// LogConfig is how a service logs: LOG_LEVEL (default info) and LOG_FORMAT
// (json, the default, or console).
type LogConfig struct {
	Level  string
	Format string
}

// LoadLogConfig reads LOG_LEVEL and LOG_FORMAT.
func LoadLogConfig(l *envconf.Loader) LogConfig {
	c := LogConfig{Level: l.String("LOG_LEVEL", "info"), Format: l.String("LOG_FORMAT", "json")}
	if _, err := zapcore.ParseLevel(c.Level); err != nil {
		l.Fail("LOG_LEVEL", "want debug, info, warn or error, got %q", c.Level)
	}
	if c.Format != "json" && c.Format != "console" {
		l.Fail("LOG_FORMAT", "want json or console, got %q", c.Format)
	}
	return c
}

// Logger builds the logger c describes.
func (c LogConfig) Logger() (*zap.Logger, error) { return NewLogger(c.Level, c.Format == "console") }

// ServeHealth serves /healthz, /readyz and /metrics on addr until ctx is
// cancelled, for services whose only HTTP is their health (the consumers).
// An empty addr serves nothing and returns when ctx ends.
func ServeHealth(ctx context.Context, addr string, h *Health, reg *prometheus.Registry, log *zap.Logger) error {
	if addr == "" {
		<-ctx.Done()
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.Live)
	mux.HandleFunc("GET /readyz", h.Ready)
	mux.Handle("GET /metrics", MetricsHandler(reg))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("health endpoints listening", zap.String("addr", addr))
	select {
	case err := <-errc:
		return fmt.Errorf("obs: health server: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
