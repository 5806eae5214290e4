package shipstation

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/envconf"
)

// V2Settings are the ShipStation V2 API settings every consumer service
// reads from its environment. LoadV2Settings reads them; NewClient builds
// the shared V2Client.
type V2Settings struct {
	// APIKey is SHIPSTATION_V2_API_KEY (or its _FILE variant). Without it
	// the service has no V2Client and sends the V2 events that need one to
	// the DLQ naming the variable.
	APIKey string
	// APIURL is SHIPSTATION_V2_API_URL (default https://api.shipstation.com).
	// Set to a sandbox, its host:port and scheme become the only ones V2
	// resource URLs may name.
	APIURL string
	// ResourceHosts overrides the V2 resource_url host pattern
	// (SHIPSTATION_V2_RESOURCE_HOSTS). For sandboxes only.
	ResourceHosts *regexp.Regexp
	// RequestsPerMinute is the client-side budget of the key
	// (SHIPSTATION_V2_REQUESTS_PER_MINUTE, default 200). Services sharing a
	// key should split it.
	RequestsPerMinute int
}

// LoadV2Settings reads the SHIPSTATION_V2_* API variables, recording
// problems in l.
func LoadV2Settings(l *envconf.Loader) V2Settings {
	return V2Settings{
		APIKey:            l.Secret("SHIPSTATION_V2_API_KEY"),
		APIURL:            l.URL("SHIPSTATION_V2_API_URL", DefaultV2BaseURL),
		ResourceHosts:     l.Regexp("SHIPSTATION_V2_RESOURCE_HOSTS"),
		RequestsPerMinute: int(l.Int("SHIPSTATION_V2_REQUESTS_PER_MINUTE", DefaultV2RequestsPerMinute, 1)),
	}
}

// Policy is the V2 resource_url policy: api.shipstation.com by default,
// exactly the configured API host when SHIPSTATION_V2_API_URL names another
// (a sandbox), or SHIPSTATION_V2_RESOURCE_HOSTS.
func (s V2Settings) Policy() ResourcePolicy {
	allowHTTP := strings.HasPrefix(s.APIURL, "http:")
	switch {
	case s.ResourceHosts != nil:
		return ResourcePolicy{Hosts: s.ResourceHosts, AllowHTTP: allowHTTP}
	case s.APIURL == DefaultV2BaseURL || s.APIURL == "":
		return ResourcePolicy{}
	}
	u, err := url.Parse(s.APIURL)
	if err != nil {
		return ResourcePolicy{} // LoadV2Settings refused it already
	}
	return ResourcePolicy{Hosts: regexp.MustCompile("^" + regexp.QuoteMeta(strings.ToLower(u.Host)) + "$"), AllowHTTP: allowHTTP}
}

// NewClient builds the V2Client these settings describe, or returns nil
// when no key is configured.
func (s V2Settings) NewClient(log *zap.Logger, metrics prometheus.Registerer) (*V2Client, error) {
	if s.APIKey == "" {
		return nil, nil
	}
	c, err := NewV2Client(V2ClientConfig{
		APIKey:            s.APIKey,
		BaseURL:           s.APIURL,
		Resources:         s.Policy(),
		RequestsPerMinute: s.RequestsPerMinute,
		Logger:            log,
		Metrics:           metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("shipstation v2 client: %w", err)
	}
	return c, nil
}

// String renders the settings with the key redacted.
func (s V2Settings) String() string {
	return fmt.Sprintf("SHIPSTATION_V2_API_URL=%s SHIPSTATION_V2_API_KEY=%s SHIPSTATION_V2_REQUESTS_PER_MINUTE=%d",
		s.APIURL, envconf.Redact(s.APIKey), s.RequestsPerMinute)
}
