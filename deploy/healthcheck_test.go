package deploy_test

import (
	"testing"

	"github.com/hookstream/hookstream/pkg/process"
)

// TestLocalURL: the -healthcheck mode reaches a service on its own host
// whatever its listen address.
func TestLocalURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{":8081", "http://127.0.0.1:8081"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080"},
		{"[::]:8082", "http://127.0.0.1:8082"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"10.1.2.3:8083", "http://10.1.2.3:8083"},
		{"[::1]:8084", "http://[::1]:8084"},
		{"", ""},      // HEALTH_ADDR=- (off)
		{"8081", ""},  // no port
		{"host:", ""}, // no port
	} {
		if got := process.LocalURL(tc.addr); got != tc.want {
			t.Errorf("LocalURL(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
