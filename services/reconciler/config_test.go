package reconciler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/services/reconciler"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	base := map[string]string{"SHIPSTATION_API_KEY": "k", "SHIPSTATION_API_SECRET": "s"}
	cfg, err := reconciler.Load(envconf.Map(base))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interval != reconciler.DefaultInterval || cfg.Overlap != reconciler.DefaultOverlap || cfg.Settle != reconciler.DefaultSettle ||
		cfg.Lookback != reconciler.DefaultLookback || cfg.Lease != 3*reconciler.DefaultInterval || cfg.HealthAddr != reconciler.DefaultHealthAddr {
		t.Errorf("defaults: %+v", cfg)
	}
	if s := cfg.String(); strings.Contains(s, "=s ") || !strings.Contains(s, "RECONCILE_INTERVAL=5m0s") {
		t.Errorf("String() = %s", s)
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	if cfg.Snipcart.SecretKey != "" || cfg.Snipcart.Mode != "live" || cfg.Snipcart.Reread != reconciler.DefaultSnipcartReread {
		t.Errorf("Snipcart defaults: %+v", cfg.Snipcart)
	}
	// Snipcart alone is enough.
	if cfg, err := reconciler.Load(envconf.Map(map[string]string{"SNIPCART_SECRET_KEY": "sk", "SNIPCART_MODE": "test"})); err != nil || cfg.Snipcart.Mode != "test" {
		t.Errorf("Snipcart alone: %+v, %v", cfg.Snipcart, err)
	} else if strings.Contains(cfg.String(), "sk ") {
		t.Errorf("String() shows the Snipcart key: %s", cfg.String())
	}
	if cfg.Shopline.Enabled() || cfg.Shopline.APIVersion != "v20260301" {
		t.Errorf("SHOPLINE defaults: %+v", cfg.Shopline)
	}
	// SHOPLINE alone is enough: a token and a store handle (or API URL).
	if cfg, err := reconciler.Load(envconf.Map(map[string]string{"SHOPLINE_ACCESS_TOKEN": "slt", "SHOPLINE_SHOP_HANDLE": "demo"})); err != nil ||
		!cfg.Shopline.Enabled() || cfg.Shopline.StoreURL != "https://demo.myshopline.com" {
		t.Errorf("SHOPLINE alone: %+v, %v", cfg.Shopline, err)
	} else if s := cfg.String(); strings.Contains(s, "slt") || !strings.Contains(s, "SHOPLINE_API_URL=https://demo.myshopline.com") {
		t.Errorf("String() = %s", s)
	}
	if cfg, err := reconciler.Load(envconf.Map(with(map[string]string{"SHOPLINE_ACCESS_TOKEN": "slt", "SHOPLINE_SHOP_HANDLE": "demo",
		"SHOPLINE_API_URL": "http://127.0.0.1:8090/shopline/", "SHOPLINE_API_VERSION": "v20250601"}))); err != nil ||
		cfg.Shopline.StoreURL != "http://127.0.0.1:8090/shopline" || cfg.Shopline.APIVersion != "v20250601" {
		t.Errorf("SHOPLINE_API_URL: %+v, %v", cfg.Shopline, err)
	}
	cfg, err = reconciler.Load(envconf.Map(with(map[string]string{"RECONCILE_INTERVAL": "1m", "HEALTH_ADDR": "-"})))
	if err != nil || cfg.Interval != time.Minute || cfg.Lease != 3*time.Minute || cfg.HealthAddr != "" {
		t.Errorf("RECONCILE_INTERVAL=1m: %+v, %v", cfg, err)
	}
	for name, env := range map[string]map[string]string{
		"SHIPSTATION_API_KEY":  {"SHIPSTATION_API_KEY": "", "SHIPSTATION_API_SECRET": ""},
		"RECONCILE_LEASE":      with(map[string]string{"RECONCILE_LEASE": "5m"}),
		"RECONCILE_SETTLE":     with(map[string]string{"RECONCILE_SETTLE": "-1s"}),
		"RECONCILE_OVERLAP":    with(map[string]string{"RECONCILE_OVERLAP": "soon"}),
		"SNIPCART_MODE":        with(map[string]string{"SNIPCART_MODE": "Live"}),
		"SHOPLINE_SHOP_HANDLE": with(map[string]string{"SHOPLINE_ACCESS_TOKEN": "slt"}),
		"SHOPLINE_API_VERSION": with(map[string]string{"SHOPLINE_API_VERSION": "latest"}),
	} {
		if _, err := reconciler.Load(envconf.Map(env)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming it", name, err)
		}
	}
}
