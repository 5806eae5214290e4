package envconf

import (
	"net/url"
	"strings"
)

// SetupVar names the variable that says what a deployment is for:
// SetupDevelopment or SetupProduction. docker-compose.yml sets it in both
// of its setups; unset, neither check nor label applies.
const SetupVar = "HOOKSTREAM_SETUP"

// The setups HOOKSTREAM_SETUP names.
const (
	// SetupDevelopment runs with development secrets and the sandbox
	// provider APIs, as `hookstream dev` does; process.Main says so in the
	// log.
	SetupDevelopment = "development"
	// SetupProduction refuses what only a development setup has: a secret
	// beginning with DevSecretPrefix, a provider URL that is not https,
	// and the sandbox-only switches (SandboxOnly).
	SetupProduction = "production"
)

// DevSecretPrefix begins every development secret hookstream ships (the
// compose development setup's passwords, `hookstream dev` and `hookstream
// send`'s keys), so that production can tell one.
const DevSecretPrefix = "dev-"

// readSetup reads HOOKSTREAM_SETUP; New calls it.
func (l *Loader) readSetup() string {
	v, _ := l.raw(SetupVar)
	switch v {
	case "", SetupDevelopment, SetupProduction:
		return v
	}
	l.Fail(SetupVar, "want %s or %s, got %q", SetupDevelopment, SetupProduction, v)
	return ""
}

// Setup returns HOOKSTREAM_SETUP: SetupDevelopment, SetupProduction or ""
// when unset.
func (l *Loader) Setup() string { return l.setup }

// checkSecret refuses a development secret in production.
func (l *Loader) checkSecret(name, v string) {
	if l.setup == SetupProduction && strings.HasPrefix(v, DevSecretPrefix) {
		l.Fail(name, "is a development secret (it begins with %q) and %s=%s: set the real one", DevSecretPrefix, SetupVar, SetupProduction)
	}
}

// URL returns the absolute http(s) URL in name, or def when unset. In
// production it must be https: an http URL is a sandbox's.
func (l *Loader) URL(name, def string) string {
	v := l.String(name, def)
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		l.Fail(name, "want an absolute http(s) URL, got %q", v)
	case u.Scheme == "http" && l.setup == SetupProduction:
		l.Fail(name, "%q is not https, and %s=%s: http is for sandboxes", v, SetupVar, SetupProduction)
	}
	return v
}

// SandboxOnly reads a true/false switch meant for sandboxes (default
// false), and refuses true in production.
func (l *Loader) SandboxOnly(name string) bool {
	on := l.Bool(name, false)
	if on && l.setup == SetupProduction {
		l.Fail(name, "is for sandboxes only, and %s=%s", SetupVar, SetupProduction)
	}
	return on
}
