package shipstation

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/hookstream/hookstream/pkg/provider"
)

// MaxResourceURLLen is the longest V1 resource_url accepted, in bytes.
// ShipStation documents 200 characters; its URLs are ASCII, where bytes and
// characters coincide.
const MaxResourceURLLen = 200

// defaultResourceHosts matches ShipStation's V1 API hosts: ssapi.shipstation.com
// and the numbered ssapi7.shipstation.com and the like.
var defaultResourceHosts = regexp.MustCompile(`^ssapi\d*\.shipstation\.com$`)

// resourcePaths are the V1 collections a webhook's resource_url may name.
var resourcePaths = map[string]bool{"/orders": true, "/shipments": true, "/fulfillments": true}

// ResourcePolicy decides which V1 resource_url values may be fetched with the
// account's API credentials. The V1 verifier applies it to every webhook, and
// the V1 API client applies it again before it sends credentials.
//
// The zero value is the production policy: at most MaxResourceURLLen bytes
// of printable ASCII without backslashes; https only; a host matching
// ^ssapi\d*\.shipstation\.com$, written plainly (no %-escapes) and compared
// lower-cased, on port 443 or none; no user info, no fragment; and a path of
// exactly /orders, /shipments or /fulfillments (the query is free).
type ResourcePolicy struct {
	// Hosts, when set, replaces the default host pattern. It is matched
	// against the lower-cased host *with* its port (u.Host, "127.0.0.1:4567"),
	// so a sandbox on loopback can be allowed with ^127\.0\.0\.1:\d+$, and no
	// port rule applies. Only a match that covers the whole host counts, so
	// an unanchored pattern cannot admit 127.0.0.1.evil.example; build it
	// with [ParseResourceHosts], which anchors it, so that alternations are
	// tried against the whole host. Default: nil, the ShipStation hosts on
	// port 443.
	Hosts *regexp.Regexp
	// AllowHTTP admits http as well as https, for a sandbox. Default false.
	AllowHTTP bool
}

// ParseResourceHosts compiles a host pattern for [ResourcePolicy.Hosts],
// anchored at both ends: "127\.0\.0\.1:\d+" becomes ^(?:127\.0\.0\.1:\d+)$.
func ParseResourceHosts(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("shipstation: resource host pattern: %w", err)
	}
	return re, nil
}

// Check parses raw and returns it when the policy allows it to be fetched
// with credentials. Errors wrap provider.ErrMalformed and say which rule
// failed, without echoing the URL.
func (p ResourcePolicy) Check(raw string) (*url.URL, error) {
	return p.check(raw, v1Resources)
}

// resourceRules are what sets the V1 and V2 resource_url checks apart.
type resourceRules struct {
	maxLen       int
	defaultHosts *regexp.Regexp
	pathAllowed  func(escapedPath string) bool
	pathRule     string // what refusing a path says
}

var v1Resources = resourceRules{
	maxLen:       MaxResourceURLLen,
	defaultHosts: defaultResourceHosts,
	pathAllowed:  func(p string) bool { return resourcePaths[p] },
	pathRule:     "is not /orders, /shipments or /fulfillments",
}

func (p ResourcePolicy) check(raw string, rules resourceRules) (*url.URL, error) {
	refuse := func(reason string) (*url.URL, error) {
		return nil, provider.Errorf(provider.ErrMalformed, "resource_url %s", reason)
	}
	if len(raw) > rules.maxLen {
		return refuse(fmt.Sprintf("is longer than %d bytes", rules.maxLen))
	}
	// Only printable ASCII, and no backslash: parsers disagree on '\' and on
	// non-ASCII hosts, and ShipStation sends neither.
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return refuse("has a character other than printable ASCII")
		}
	}
	if strings.ContainsRune(raw, '#') {
		return refuse("has a fragment")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return refuse("is not a URL")
	}
	switch {
	case !u.IsAbs() || u.Opaque != "" || u.Host == "":
		return refuse("is not an absolute URL")
	case u.Scheme != "https" && !(p.AllowHTTP && u.Scheme == "http"):
		return refuse("scheme is not allowed")
	case u.User != nil:
		return refuse("has user info")
	}
	// url.Parse unescapes %XX in the host; the host must be written plainly,
	// exactly as it is compared. With no user info and no fragment, the
	// authority is everything between "//" and the first '/' or '?'.
	_, rest, _ := strings.Cut(raw, "//")
	if end := strings.IndexAny(rest, "/?"); end >= 0 {
		rest = rest[:end]
	}
	if rest != u.Host {
		return refuse("host is encoded")
	}
	if !p.hostAllowed(u, rules.defaultHosts) {
		return refuse("host is not allowed")
	}
	// The escaped form, so that /%6Frders is not taken for /orders.
	if !rules.pathAllowed(u.EscapedPath()) {
		return refuse("path " + rules.pathRule)
	}
	return u, nil
}

func (p ResourcePolicy) hostAllowed(u *url.URL, defaultHosts *regexp.Regexp) bool {
	if p.Hosts == nil {
		host := u.Hostname()
		return (u.Host == host || u.Host == host+":443") && defaultHosts.MatchString(strings.ToLower(host))
	}
	host := strings.ToLower(u.Host)
	loc := p.Hosts.FindStringIndex(host)
	return loc != nil && loc[0] == 0 && loc[1] == len(host)
}
