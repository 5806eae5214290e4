package envconf_test

import (
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/envconf"
)

// A development setup's values: a dev- secret, an http provider URL (the
// sandbox's) and a sandbox-only switch.
var devValues = map[string]string{
	"PASSWORD":   "dev-gateway-password",
	"API_URL":    "http://sandbox:8091",
	"ALLOW_HTTP": "true",
}

func loadDevValues(setup string) (*envconf.Loader, error) {
	env := map[string]string{}
	for k, v := range devValues {
		env[k] = v
	}
	if setup != "" {
		env[envconf.SetupVar] = setup
	}
	l := envconf.New(envconf.Map(env))
	l.Secret("PASSWORD")
	l.URL("API_URL", "https://api.example.com")
	l.SandboxOnly("ALLOW_HTTP")
	return l, l.Err()
}

func TestProductionRefusesDevelopmentSecretsAndSandboxURLs(t *testing.T) {
	l, err := loadDevValues(envconf.SetupProduction)
	if l.Setup() != envconf.SetupProduction {
		t.Errorf("Setup = %q", l.Setup())
	}
	if err == nil {
		t.Fatal("production accepted development values")
	}
	for name := range devValues {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

func TestDevelopmentAndUnsetSetupsAcceptThem(t *testing.T) {
	for _, setup := range []string{envconf.SetupDevelopment, ""} {
		l, err := loadDevValues(setup)
		if err != nil {
			t.Errorf("%s=%q: %v", envconf.SetupVar, setup, err)
		}
		if l.Setup() != setup {
			t.Errorf("Setup = %q, want %q", l.Setup(), setup)
		}
	}
}

func TestProductionAcceptsRealValues(t *testing.T) {
	l := envconf.New(envconf.Map(map[string]string{
		envconf.SetupVar: envconf.SetupProduction,
		"PASSWORD":       "9f2c1e7a0b",
		"API_URL":        "https://ssapi.shipstation.com",
	}))
	l.Secret("PASSWORD")
	if got := l.URL("API_URL", ""); got != "https://ssapi.shipstation.com" {
		t.Errorf("URL = %q", got)
	}
	if l.SandboxOnly("ALLOW_HTTP") {
		t.Error("an unset sandbox switch is on")
	}
	if err := l.Err(); err != nil {
		t.Error(err)
	}
}

func TestSetupAndURLRefuseNonsense(t *testing.T) {
	l := envconf.New(envconf.Map(map[string]string{envconf.SetupVar: "staging", "U": "sandbox:8091"}))
	l.URL("U", "")
	err := l.Err()
	if err == nil || !strings.Contains(err.Error(), envconf.SetupVar+":") || !strings.Contains(err.Error(), "U:") {
		t.Errorf("want errors naming %s and U, got %v", envconf.SetupVar, err)
	}
}
