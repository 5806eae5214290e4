// Package shopline verifies SHOPLINE (myshopline.com) webhooks.
//
// SHOPLINE signs the raw body with HMAC-SHA256 and the app secret, in the
// X-Shopline-Hmac-Sha256 header. Its official Go SDK compares lower-case
// hex while its documentation shows base64, so [Verifier] accepts either
// (hex in any case, standard base64 with padding), against each configured
// secret so that a secret can be rotated without losing webhooks.
//
// The signature is checked before anything else in the request is looked
// at; only then are the other X-Shopline-* headers and the body checked.
package shopline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
)

// Header names. All are required on a webhook request; they are read
// case-insensitively.
const (
	// HeaderTopic is the event name, e.g. fulfillment_order/update; it
	// becomes Webhook.Event. At most 128 bytes; the gateway's catalog
	// decides whether its characters are safe.
	HeaderTopic = "X-Shopline-Topic"
	// HeaderHmac is the HMAC-SHA256 of the raw body with the app secret,
	// hex (any case) or standard base64.
	HeaderHmac = "X-Shopline-Hmac-Sha256"
	// HeaderShopDomain is the shop's host name, e.g.
	// shophub.myshopline.com; extension shopdomain, lower-cased.
	HeaderShopDomain = "X-Shopline-Shop-Domain"
	// HeaderShopID is the shop's decimal id; it names the source
	// (/shopline/shops/<id>) and extension shopid.
	HeaderShopID = "X-Shopline-Shop-Id"
	// HeaderMerchantID is the merchant's decimal id; extension merchantid.
	HeaderMerchantID = "X-Shopline-Merchant-Id"
	// HeaderAPIVersion is the payload's API version, e.g. v20210901;
	// extension apiversion.
	HeaderAPIVersion = "X-Shopline-API-Version"
	// HeaderWebhookID identifies a delivery and stays the same when
	// SHOPLINE resends it; the webhook's ID is "shopline-" + this.
	HeaderWebhookID = "X-Shopline-Webhook-Id"
)

// Config configures a Verifier.
type Config struct {
	// Secrets are the app secrets a webhook may be signed with. A request
	// is genuine when its signature matches any of them, so during a
	// rotation both the old and the new secret are configured. Empty and
	// blank entries are ignored; at least one other is required.
	Secrets []string
	// ShopID, when set, is the one shop the Verifier accepts webhooks of:
	// one app's secret signs the webhooks of every shop that installed it,
	// so a route for one shop (a named account) must also hold the shop to
	// it. A genuine webhook whose X-Shopline-Shop-Id, or whose body's shop
	// where the body names one, is another shop is ErrUnauthenticated.
	ShopID string
	// OtherShops are shops whose webhooks the Verifier refuses as
	// ErrUnauthenticated, by X-Shopline-Shop-Id or by the body: the named
	// accounts' shops, on a route for any other shop (the default
	// account's), so that an app secret the default account shares with a
	// named shop does not let that shop's webhooks in as the default's.
	OtherShops []string
}

// ParseSecrets splits a comma-separated list of secrets (as in an
// environment variable), trimming spaces and dropping empty entries.
func ParseSecrets(commaSeparated string) []string {
	var secrets []string
	for s := range strings.SplitSeq(commaSeparated, ",") {
		if s = strings.TrimSpace(s); s != "" {
			secrets = append(secrets, s)
		}
	}
	return secrets
}

// Verifier verifies SHOPLINE webhook requests. It implements
// provider.Verifier, makes no network call and is safe for concurrent use.
// Create one with NewVerifier.
type Verifier struct {
	secrets [][]byte
	shopID  string          // "" any shop
	others  map[string]bool // shops refused
}

var _ provider.Verifier = (*Verifier)(nil)

// NewVerifier returns a Verifier for cfg. It returns an error when cfg has
// no usable secret.
func NewVerifier(cfg Config) (*Verifier, error) {
	v := &Verifier{shopID: strings.TrimSpace(cfg.ShopID)}
	for _, shop := range cfg.OtherShops {
		if v.others == nil {
			v.others = map[string]bool{}
		}
		v.others[strings.TrimSpace(shop)] = true
	}
	for _, s := range cfg.Secrets {
		if strings.TrimSpace(s) != "" {
			v.secrets = append(v.secrets, []byte(s))
		}
	}
	if len(v.secrets) == 0 {
		return nil, errors.New("shopline: at least one app secret is required")
	}
	return v, nil
}

// Sign returns the standard base64 of the HMAC-SHA256 of body with secret,
// the form SHOPLINE's documentation shows in X-Shopline-Hmac-Sha256.
func Sign(secret string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac([]byte(secret), body))
}

// SignHex returns the lower-case hex of the HMAC-SHA256 of body with
// secret, the form SHOPLINE's Go SDK compares.
func SignHex(secret string, body []byte) string {
	return hex.EncodeToString(mac([]byte(secret), body))
}

func mac(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// Verify authenticates a SHOPLINE webhook request and checks its envelope.
//
// A missing or non-matching X-Shopline-Hmac-Sha256 is ErrUnauthenticated,
// whatever else is wrong. The signature covers the body only, not the
// headers, so the headers are held to the body where it speaks: a body
// naming another shop than X-Shopline-Shop-Id, or a topic of another family
// than the body (a fulfillment order under orders/*, say), is
// ErrMalformed. An authentic request is also
// ErrMalformed when a required header is missing or implausible, or when
// the body is not a JSON object.
//
// The webhook's ID is [WebhookID] of the topic, the shop and the body: a
// resend (same body, same headers) has the same ID, while a signed body
// replayed under another webhook id is a duplicate, not a new event.
//
// A Verifier for one shop (Config.ShopID) refuses, as ErrUnauthenticated,
// a webhook about another shop, in its header or in its body: the
// signature proves the app, not the shop. One with Config.OtherShops
// refuses those shops' webhooks likewise.
func (v *Verifier) Verify(_ context.Context, r provider.Request, body []byte) (provider.Webhook, error) {
	if err := v.authenticate(r.Header(HeaderHmac), body); err != nil {
		return provider.Webhook{}, err
	}
	h, err := readHeaders(r)
	if err != nil {
		return provider.Webhook{}, err
	}
	if err := v.checkShop(h.shopID, HeaderShopID); err != nil {
		return provider.Webhook{}, err
	}
	about, err := readBody(h.topic, body)
	if err != nil {
		return provider.Webhook{}, err
	}
	if about.shopID != "" {
		if err := v.checkShop(about.shopID, "the body's shop"); err != nil {
			return provider.Webhook{}, err
		}
	}
	if about.shopID != "" && about.shopID != h.shopID {
		return provider.Webhook{}, provider.Errorf(provider.ErrMalformed, "the body is about shop %s, not %s's %s", about.shopID, HeaderShopID, h.shopID)
	}
	return provider.Webhook{
		Provider: catalog.Shopline,
		Event:    h.topic,
		ID:       WebhookID(h.topic, h.shopID, body),
		Source:   "/" + catalog.Shopline + "/shops/" + h.shopID,
		Subject:  about.subject,
		Time:     about.updatedAt,
		Extensions: map[string]string{
			"shopid":     h.shopID,
			"merchantid": h.merchantID,
			"shopdomain": h.shopDomain,
			"apiversion": h.apiVersion,
			"webhookid":  h.webhookID,
		},
		Body: body,
	}, nil
}

// checkShop refuses a shop this Verifier is not for: another than
// Config.ShopID, or one of Config.OtherShops. where says where the shop
// was read.
func (v *Verifier) checkShop(shop, where string) error {
	switch {
	case v.shopID != "" && shop != v.shopID:
		return provider.Errorf(provider.ErrUnauthenticated, "%s %s is not this route's shop", where, shop)
	case v.others[shop]:
		return provider.Errorf(provider.ErrUnauthenticated, "%s %s is a named account's: its webhooks go to its own route", where, shop)
	}
	return nil
}

// WebhookID is the de-duplication id (ce-id, Nats-Msg-Id) of a SHOPLINE
// webhook: "shopline-" and a hash of its topic, shop and body. SHOPLINE
// resends a delivery with the same body and headers, so a resend has the
// same id; the headers are not signed, so X-Shopline-Webhook-Id is not part
// of it (a captured body sent again under new webhook ids is one event).
func WebhookID(topic, shopID string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(topic))
	h.Write([]byte{0})
	h.Write([]byte(shopID))
	h.Write([]byte{0})
	h.Write(body)
	return catalog.Shopline + "-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// authenticate checks signature, hex or base64, against every secret. Every
// secret is tried even after a match, so the time taken does not tell
// which secret matched.
func (v *Verifier) authenticate(signature string, body []byte) error {
	if signature == "" {
		return provider.Errorf(provider.ErrUnauthenticated, "missing %s header", HeaderHmac)
	}
	got, ok := decodeMAC(signature)
	if !ok {
		return provider.Errorf(provider.ErrUnauthenticated, "%s is not the hex or base64 of a SHA-256 HMAC", HeaderHmac)
	}
	match := false
	for _, secret := range v.secrets {
		if hmac.Equal(got, mac(secret, body)) {
			match = true
		}
	}
	if !match {
		return provider.Errorf(provider.ErrUnauthenticated, "signature does not match")
	}
	return nil
}

// decodeMAC decodes a 32-byte MAC given as hex (64 characters, any case) or
// standard base64 (44 characters, padded). The length tells which: the two
// cannot be confused.
func decodeMAC(s string) ([]byte, bool) {
	var (
		b   []byte
		err error
	)
	switch len(s) {
	case hex.EncodedLen(sha256.Size):
		b, err = hex.DecodeString(s)
	case base64.StdEncoding.EncodedLen(sha256.Size):
		b, err = base64.StdEncoding.Strict().DecodeString(s)
	default:
		return nil, false
	}
	return b, err == nil && len(b) == sha256.Size
}
