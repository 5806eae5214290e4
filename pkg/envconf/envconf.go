// Package envconf reads a service's configuration from environment
// variables. Each service builds one typed Config with a Loader; the loader
// collects every problem and reports them together, each naming its
// variable, so an operator fixes a bad deployment in one pass.
//
// Secrets may be given as NAME or as NAME_FILE (a path whose contents, with
// trailing white space trimmed, are the value), as Docker and Kubernetes
// secrets are mounted. Setting both is an error.
//
// HOOKSTREAM_SETUP=production makes the loader refuse what only a
// development setup has (development secrets, http provider URLs,
// sandbox-only switches); see SetupVar.
package envconf

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Loader reads typed values from a lookup function (os.LookupEnv in
// production, a map in tests) and remembers every error.
type Loader struct {
	lookup func(string) (string, bool)
	errs   []error
	setup  string // HOOKSTREAM_SETUP
}

// New returns a Loader over lookup; nil means os.LookupEnv.
func New(lookup func(string) (string, bool)) *Loader {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	l := &Loader{lookup: lookup}
	l.setup = l.readSetup()
	return l
}

// Map returns a lookup function over m, for tests and for `hookstream dev`.
func Map(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Err returns all errors seen so far, joined, or nil.
func (l *Loader) Err() error { return errors.Join(l.errs...) }

// Fail records a validation error for name; services use it for checks that
// span several values.
func (l *Loader) Fail(name, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (l *Loader) raw(name string) (string, bool) {
	v, ok := l.lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return "", false
	}
	return strings.TrimSpace(v), true
}

// String returns the variable's value, or def when it is unset or empty.
func (l *Loader) String(name, def string) string {
	if v, ok := l.raw(name); ok {
		return v
	}
	return def
}

// Secret returns the value of name or the contents of the file named by
// name_FILE; "" when neither is set. In production a development secret
// (DevSecretPrefix) is an error.
func (l *Loader) Secret(name string) string {
	v, ok := l.raw(name)
	path, fromFile := l.raw(name + "_FILE")
	switch {
	case ok && fromFile:
		l.Fail(name, "set either %s or %s_FILE, not both", name, name)
		return ""
	case fromFile:
		b, err := os.ReadFile(path)
		if err != nil {
			l.Fail(name+"_FILE", "%v", err)
			return ""
		}
		v = strings.TrimSpace(string(b))
	}
	l.checkSecret(name, v)
	return v
}

// Duration parses a Go duration ("90s", "1h"); it must be positive.
func (l *Loader) Duration(name string, def time.Duration) time.Duration {
	v, ok := l.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		l.Fail(name, "want a positive duration such as 30s or 1h, got %q", v)
		return def
	}
	return d
}

// Int parses a whole number no smaller than min.
func (l *Loader) Int(name string, def, min int64) int64 {
	v, ok := l.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min {
		l.Fail(name, "want a whole number of at least %d, got %q", min, v)
		return def
	}
	return n
}

// Bool parses true/false (and 1/0, yes/no).
func (l *Loader) Bool(name string, def bool) bool {
	v, ok := l.raw(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	l.Fail(name, "want true or false, got %q", v)
	return def
}

// Regexp compiles a regular expression; nil when unset.
func (l *Loader) Regexp(name string) *regexp.Regexp {
	v, ok := l.raw(name)
	if !ok {
		return nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		l.Fail(name, "not a regular expression: %v", err)
		return nil
	}
	return re
}

// Redact returns a placeholder that says whether a secret is set, for
// printing configurations.
func Redact(secret string) string {
	if secret == "" {
		return "(unset)"
	}
	return "(set, redacted)"
}
