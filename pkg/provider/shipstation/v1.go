package shipstation

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
)

// V1TokenParam is the query parameter of the webhook target URL that carries
// the V1 secret token: register https://gateway.example/webhooks/shipstation?token=SECRET
// with ShipStation.
const V1TokenParam = "token"

// V1Config configures a [V1Verifier].
type V1Config struct {
	// Token is the secret in the target URL registered with ShipStation.
	// Required. Use a long random value: it is the only proof of origin V1
	// webhooks have.
	Token string
	// Resources restricts resource_url. Default: the zero ResourcePolicy,
	// ShipStation's https API hosts only.
	Resources ResourcePolicy
}

// V1Verifier authenticates ShipStation API V1 webhooks by the secret token
// in the request URL and checks their envelope and resource_url. It is safe
// for concurrent use.
type V1Verifier struct {
	tokenDigest [sha256.Size]byte
	resources   ResourcePolicy
}

// NewV1Verifier returns a verifier for cfg. It fails when cfg.Token is empty.
func NewV1Verifier(cfg V1Config) (*V1Verifier, error) {
	if cfg.Token == "" {
		return nil, errors.New("shipstation: V1 webhook token is empty")
	}
	return &V1Verifier{tokenDigest: sha256.Sum256([]byte(cfg.Token)), resources: cfg.Resources}, nil
}

// Verify implements provider.Verifier. It checks the token first (missing or
// wrong: provider.ErrUnauthenticated), then that body is exactly
// {"resource_url": ..., "resource_type": ...} with a resource_url the policy
// allows (otherwise provider.ErrMalformed).
//
// The webhook's ID is provider.HashID over the provider, resource_url and
// resource_type, since V1 sends no delivery id; Source is
// /shipstation/stores/<storeID> when resource_url names a numeric storeID,
// else /shipstation; Time is zero (V1 sends no time).
func (v *V1Verifier) Verify(_ context.Context, r provider.Request, body []byte) (provider.Webhook, error) {
	if err := v.authenticate(r); err != nil {
		return provider.Webhook{}, err
	}
	env, ok := decodeV1Fast(body)
	var err error
	if !ok {
		env, err = decodeEnvelope(body, envelopeRules{exact: true, maxURLLen: MaxResourceURLLen})
	}
	if err != nil {
		return provider.Webhook{}, err
	}
	u, err := v.resources.Check(env.ResourceURL)
	if err != nil {
		return provider.Webhook{}, err
	}
	id := provider.HashID(catalog.ShipStation, catalog.ShipStation, env.ResourceURL, env.ResourceType)
	return env.webhook(id, v1Source(u), body), nil
}

func (v *V1Verifier) authenticate(r provider.Request) error {
	token := r.Query(V1TokenParam)
	if token == "" {
		return provider.Errorf(provider.ErrUnauthenticated, "missing token")
	}
	// Comparing digests keeps the comparison constant-time in the token's
	// length as well as its content.
	got := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(got[:], v.tokenDigest[:]) != 1 {
		return provider.Errorf(provider.ErrUnauthenticated, "wrong token")
	}
	return nil
}

// v1Source names the store when resource_url carries a numeric storeID.
func v1Source(u *url.URL) string {
	if id := storeIDOf(u); id != "" {
		return "/shipstation/stores/" + id
	}
	return "/shipstation"
}

// StoreID returns the store a resource_url names: its storeID parameter
// when that is a decimal number, else "" (the webhook covers all stores).
// The docs spell the parameter storeId and the examples storeID; both are
// read.
func StoreID(resourceURL string) string {
	u, err := url.Parse(resourceURL)
	if err != nil {
		return ""
	}
	return storeIDOf(u)
}

func storeIDOf(u *url.URL) string {
	for _, name := range []string{"storeID", "storeId"} {
		if id := firstQueryValue(u.RawQuery, name); isStoreID(id) {
			return id
		}
	}
	return ""
}

// firstQueryValue is u.Query().Get(name) without building the map: the
// gateway reads it for every ShipStation webhook. A query with escapes or
// semicolons takes the long way, so that both agree on every input.
func firstQueryValue(rawQuery, name string) string {
	if strings.ContainsAny(rawQuery, "%+;") {
		q, _ := url.ParseQuery(rawQuery) // the pairs it could read, as url.URL.Query
		return q.Get(name)
	}
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if key, value, _ := strings.Cut(pair, "="); key == name {
			return value
		}
	}
	return ""
}

func isStoreID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
