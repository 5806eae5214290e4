package shopline

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
)

// Limits on header values. SHOPLINE ids are decimal (1610418123456,
// 2000001234); webhook ids are hex in the docs (b54557e48a5fbf7d70bcd043);
// API versions are spelled several ways (v20210901, 2021-09-01...), so only
// their alphabet is checked.
const (
	maxIDLen         = 20  // shop and merchant ids: digits, fits a uint64
	maxWebhookIDLen  = 128 // [A-Za-z0-9_-]
	maxAPIVersionLen = 32  // [A-Za-z0-9._-]
	maxDomainLen     = 253 // a DNS name
	maxSubjectLen    = 128 // an order or fulfillment-order id from the body
)

// headers are the validated X-Shopline-* headers other than the signature.
type headers struct {
	topic, shopDomain, shopID, merchantID, apiVersion, webhookID string
}

// readHeaders reads and checks the required headers. Every error wraps
// provider.ErrMalformed and names the header.
func readHeaders(h provider.Request) (headers, error) {
	var out headers
	checks := []struct {
		name  string
		dst   *string
		valid func(string) bool
	}{
		{HeaderTopic, &out.topic, func(s string) bool { return len(s) <= catalog.MaxNameLen }},
		{HeaderShopDomain, &out.shopDomain, plausibleHostname},
		{HeaderShopID, &out.shopID, func(s string) bool { return len(s) <= maxIDLen && all(s, isDigit) }},
		{HeaderMerchantID, &out.merchantID, func(s string) bool { return len(s) <= maxIDLen && all(s, isDigit) }},
		{HeaderAPIVersion, &out.apiVersion, func(s string) bool {
			return len(s) <= maxAPIVersionLen && all(s, func(c byte) bool { return isTokenByte(c) || c == '.' })
		}},
		{HeaderWebhookID, &out.webhookID, func(s string) bool { return len(s) <= maxWebhookIDLen && all(s, isTokenByte) }},
	}
	for _, c := range checks {
		v := h.Header(c.name)
		if v == "" {
			return headers{}, provider.Errorf(provider.ErrMalformed, "missing %s header", c.name)
		}
		if !c.valid(v) {
			return headers{}, provider.Errorf(provider.ErrMalformed, "implausible %s header", c.name)
		}
		*c.dst = v
	}
	// Host names are case-insensitive; one spelling keeps the extension
	// stable across deliveries.
	out.shopDomain = strings.ToLower(out.shopDomain)
	return out, nil
}

// plausibleHostname reports whether s looks like a DNS name: dot-separated
// non-empty labels of letters, digits and hyphens, at most 63 bytes each and
// 253 in all.
func plausibleHostname(s string) bool {
	if len(s) > maxDomainLen {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || !all(label, func(c byte) bool { return isAlnum(c) || c == '-' }) {
			return false
		}
	}
	return true
}

func all(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isTokenByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// resource is what the verifier reads of a webhook body: the members that
// identify what the event is about. Raw, so that an unexpected type leaves
// the subject empty instead of refusing an authentic webhook.
type resource struct {
	ID               json.RawMessage `json:"id"`
	OrderID          json.RawMessage `json:"order_id"`
	ShopID           json.RawMessage `json:"shop_id"`
	UpdatedAt        json.RawMessage `json:"updated_at"`
	FulfillmentOrder json.RawMessage `json:"fulfillment_order"`
}

// about is what a webhook body says its event is about.
type about struct {
	subject   string
	updatedAt time.Time
	// shopID is the body's shop_id (the resource's, else the top level's),
	// "" when the body has none.
	shopID string
}

// readBody checks that body is a JSON object (else ErrMalformed) and finds
// the event's subject and time in it, by topic:
//
//	fulfillment_order/*  fulfillment_order.id, fulfillment_order.updated_at
//	fulfillments/*       order_id, else id; updated_at
//	orders/* and others  id; updated_at
//
// Ids may be JSON strings or numbers. A missing or odd id leaves the subject
// empty, and a missing or non-RFC 3339 updated_at leaves the time zero: the
// body is authentic, so it is stored all the same.
func readBody(topic string, body []byte) (about, error) {
	var members map[string]json.RawMessage
	if err := provider.DecodeObject(body, &members); err != nil {
		return about{}, provider.Errorf(provider.ErrMalformed, "body is not a JSON object: %v", err)
	}
	top := resource{ID: members["id"], OrderID: members["order_id"], ShopID: members["shop_id"],
		UpdatedAt: members["updated_at"], FulfillmentOrder: members["fulfillment_order"]}
	var subject string
	res := top
	// The topic is not signed: a body must not be replayed under a topic of
	// another family. A fulfillment_order/* body holds a fulfillment order
	// (fulfillment_order, or original_ and submitted_fulfillment_order for
	// /submitted); no other body does.
	isFulfillmentOrder := strings.HasPrefix(topic, "fulfillment_order/")
	holdsFulfillmentOrder := false
	for name := range members {
		holdsFulfillmentOrder = holdsFulfillmentOrder || strings.HasSuffix(name, "fulfillment_order")
	}
	if holdsFulfillmentOrder != isFulfillmentOrder {
		return about{}, provider.Errorf(provider.ErrMalformed, "%s %s does not fit a body with%s a fulfillment order", HeaderTopic, topic, map[bool]string{true: "", false: "out"}[holdsFulfillmentOrder])
	}
	switch {
	case isFulfillmentOrder:
		res = resource{}
		_ = provider.DecodeObject(top.FulfillmentOrder, &res) // odd: no subject
		subject = provider.JSONID(res.ID)
	case strings.HasPrefix(topic, "fulfillments/"):
		subject = provider.JSONID(top.OrderID)
		if subject == "" {
			subject = provider.JSONID(top.ID)
		}
	default:
		subject = provider.JSONID(top.ID)
	}
	if len(subject) > maxSubjectLen {
		subject = ""
	}
	var a about
	a.subject = subject
	if a.shopID = provider.JSONID(res.ShopID); a.shopID == "" {
		a.shopID = provider.JSONID(top.ShopID)
	}
	if s, ok := provider.JSONString(res.UpdatedAt); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			a.updatedAt = t.UTC()
		}
	}
	return a, nil
}
