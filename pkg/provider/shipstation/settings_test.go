package shipstation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

func TestBudgetSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    shipstation.Settings
		wantErr string // a variable the error names
	}{
		{
			name: "defaults: one shared budget of 40 a minute",
			env:  map[string]string{},
			want: shipstation.Settings{APIURL: shipstation.DefaultBaseURL, RateLimit: 40, RateWindow: time.Minute,
				SharedBudget: true, FallbackRateLimit: 5, BackgroundReservePercent: 25},
		},
		{
			name: "a sandbox's window",
			env: map[string]string{"SHIPSTATION_RATE_LIMIT": "10", "SHIPSTATION_RATE_WINDOW": "4s",
				"SHIPSTATION_SHARED_BUDGET": "false", "SHIPSTATION_FALLBACK_RATE_LIMIT": "2", "SHIPSTATION_BACKGROUND_RESERVE_PERCENT": "50"},
			want: shipstation.Settings{APIURL: shipstation.DefaultBaseURL, RateLimit: 10, RateWindow: 4 * time.Second,
				FallbackRateLimit: 2, BackgroundReservePercent: 50},
		},
		{
			name:    "the per-process split is gone, and says what replaced it",
			env:     map[string]string{"SHIPSTATION_REQUESTS_PER_MINUTE": "20"},
			wantErr: "SHIPSTATION_RATE_LIMIT",
		},
		{
			name:    "a fallback above the limit",
			env:     map[string]string{"SHIPSTATION_RATE_LIMIT": "10", "SHIPSTATION_FALLBACK_RATE_LIMIT": "11"},
			wantErr: "SHIPSTATION_FALLBACK_RATE_LIMIT",
		},
		{
			name:    "a reserve of everything",
			env:     map[string]string{"SHIPSTATION_BACKGROUND_RESERVE_PERCENT": "100"},
			wantErr: "SHIPSTATION_BACKGROUND_RESERVE_PERCENT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := envconf.New(envconf.Map(tt.env))
			got := shipstation.LoadSettings(l)
			err := l.Err()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want.String() {
				t.Errorf("settings = %s\nwant %s", got, tt.want)
			}
		})
	}
}
