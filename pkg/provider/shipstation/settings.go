package shipstation

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/tracing"
	"github.com/prometheus/client_golang/prometheus"
)

// Settings are the ShipStation API settings every consumer service reads
// from its environment. LoadSettings reads them; NewClient builds the
// shared Client.
type Settings struct {
	// Primary is SHIPSTATION_API_KEY and SHIPSTATION_API_SECRET (or their
	// _FILE variants). Without it the service has no Client and sends
	// ShipStation events to the DLQ naming these variables.
	Primary Credentials
	// Secondary is SHIPSTATION_API_KEY_SECONDARY and
	// SHIPSTATION_API_SECRET_SECONDARY, the rotation pair, optional.
	Secondary Credentials
	// APIURL is SHIPSTATION_API_URL (default https://ssapi.shipstation.com).
	// Set to a sandbox, its host:port and scheme become the only ones
	// resource URLs may name.
	APIURL string
	// ResourceHosts overrides the resource_url host pattern
	// (SHIPSTATION_RESOURCE_HOSTS), as in the gateway. For sandboxes only.
	ResourceHosts *regexp.Regexp
	// RequestsPerMinute is the client-side budget per key
	// (SHIPSTATION_REQUESTS_PER_MINUTE, default 40). Services sharing a key
	// should split it.
	RequestsPerMinute int
}

// LoadSettings reads the SHIPSTATION_* API variables, recording problems
// in l.
func LoadSettings(l *envconf.Loader) Settings {
	s := Settings{
		Primary:           Credentials{Key: l.Secret("SHIPSTATION_API_KEY"), Secret: l.Secret("SHIPSTATION_API_SECRET")},
		Secondary:         Credentials{Key: l.Secret("SHIPSTATION_API_KEY_SECONDARY"), Secret: l.Secret("SHIPSTATION_API_SECRET_SECONDARY")},
		APIURL:            l.URL("SHIPSTATION_API_URL", DefaultBaseURL),
		ResourceHosts:     l.Regexp("SHIPSTATION_RESOURCE_HOSTS"),
		RequestsPerMinute: int(l.Int("SHIPSTATION_REQUESTS_PER_MINUTE", DefaultRequestsPerMinute, 1)),
	}
	for name, cred := range map[string]Credentials{"SHIPSTATION_API_KEY": s.Primary, "SHIPSTATION_API_KEY_SECONDARY": s.Secondary} {
		if (cred.Key == "") != (cred.Secret == "") {
			l.Fail(name, "set the key and its secret together")
		}
	}
	if s.Primary.Key == "" && s.Secondary.Key != "" {
		l.Fail("SHIPSTATION_API_KEY", "a secondary pair is set without a primary one")
	}
	return s
}

// Policy is the resource_url policy the client enforces before it sends
// credentials: ShipStation's own hosts by default, exactly the configured
// API host when SHIPSTATION_API_URL names another (a sandbox), or
// SHIPSTATION_RESOURCE_HOSTS.
func (s Settings) Policy() ResourcePolicy {
	allowHTTP := strings.HasPrefix(s.APIURL, "http:")
	switch {
	case s.ResourceHosts != nil:
		return ResourcePolicy{Hosts: s.ResourceHosts, AllowHTTP: allowHTTP}
	case s.APIURL == DefaultBaseURL || s.APIURL == "":
		return ResourcePolicy{}
	}
	u, err := url.Parse(s.APIURL)
	if err != nil {
		return ResourcePolicy{} // LoadSettings refused it already
	}
	return ResourcePolicy{Hosts: regexp.MustCompile("^" + regexp.QuoteMeta(strings.ToLower(u.Host)) + "$"), AllowHTTP: allowHTTP}
}

// NewClient builds the Client these settings describe, or returns nil when
// no credentials are configured.
func (s Settings) NewClient(log *zap.Logger, metrics prometheus.Registerer) (*Client, error) {
	if s.Primary.Key == "" {
		return nil, nil
	}
	c, err := NewClient(ClientConfig{
		Primary:           s.Primary,
		Secondary:         s.Secondary,
		BaseURL:           s.APIURL,
		Resources:         s.Policy(),
		RequestsPerMinute: s.RequestsPerMinute,
		Logger:            log,
		Metrics:           metrics,
		// A span per API call when tracing is on (a child of the
		// consumer's span); the client's internals stay as they are.
		HTTPClient: &http.Client{Transport: tracing.Transport(nil, "shipstation")},
	})
	if err != nil {
		return nil, fmt.Errorf("shipstation client: %w", err)
	}
	return c, nil
}

// String renders the settings with the keys redacted.
func (s Settings) String() string {
	return fmt.Sprintf("SHIPSTATION_API_URL=%s SHIPSTATION_API_KEY=%s SHIPSTATION_API_KEY_SECONDARY=%s SHIPSTATION_REQUESTS_PER_MINUTE=%d",
		s.APIURL, envconf.Redact(s.Primary.Key), envconf.Redact(s.Secondary.Key), s.RequestsPerMinute)
}
