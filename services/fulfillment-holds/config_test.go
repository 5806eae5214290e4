package fulfillmentholds_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/streams"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := fulfillmentholds.Load(envconf.Map(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OverdueAfter != 24*time.Hour || cfg.Timers.MaxAge != 24*time.Hour+7*24*time.Hour ||
		cfg.Fulfillment.MaxAge != streams.DefaultCanonicalMaxAge || cfg.HealthAddr != fulfillmentholds.DefaultHealthAddr ||
		cfg.Replicas != 1 {
		t.Errorf("defaults %+v", cfg)
	}
	cfg, err = fulfillmentholds.Load(envconf.Map(map[string]string{"HOLD_OVERDUE_AFTER": "72h", "STREAM_REPLICAS": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timers.MaxAge != 72*time.Hour+7*24*time.Hour || cfg.Replicas != 3 {
		t.Errorf("timers follow HOLD_OVERDUE_AFTER, replicas STREAM_REPLICAS: %+v, %d", cfg.Timers, cfg.Replicas)
	}
}

// Every bad variable is named in the error.
func TestConfigRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"overdue below a second":   {map[string]string{"HOLD_OVERDUE_AFTER": "500ms"}, "HOLD_OVERDUE_AFTER"},
		"overdue not a duration":   {map[string]string{"HOLD_OVERDUE_AFTER": "a day"}, "HOLD_OVERDUE_AFTER"},
		"timers shorter than hold": {map[string]string{"HOLD_OVERDUE_AFTER": "48h", "HOLD_TIMERS_MAX_AGE": "24h"}, "HOLD_TIMERS_MAX_AGE"},
		"key without secret":       {map[string]string{"SHIPSTATION_API_KEY": "k"}, "SHIPSTATION_API_KEY"},
		"API URL not a URL":        {map[string]string{"SHIPSTATION_API_URL": "ssapi.shipstation.com"}, "SHIPSTATION_API_URL"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := fulfillmentholds.Load(envconf.Map(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestConfigStringRedactsSecrets(t *testing.T) {
	t.Parallel()
	cfg, err := fulfillmentholds.Load(envconf.Map(map[string]string{
		"SHIPSTATION_API_KEY": "key-123456789", "SHIPSTATION_API_SECRET": "secret-987654321",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.String()
	if strings.Contains(s, "key-123456789") || strings.Contains(s, "secret-987654321") {
		t.Errorf("secrets in %q", s)
	}
	if !strings.Contains(s, "HOLD_OVERDUE_AFTER=24h0m0s") {
		t.Errorf("String() lacks HOLD_OVERDUE_AFTER: %q", s)
	}
}
