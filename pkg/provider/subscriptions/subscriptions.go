// Package subscriptions manages hookstream's webhook subscriptions at the
// providers that have an API for it: ShipStation V1 and V2 and SHOPLINE.
// (Snipcart has none; its URL is set by hand in its dashboard.)
//
// Each provider's webhook-management API is an [API]: List, Create and
// Delete, plus Update where the provider has it ([Updater]). [Compare] sets
// the subscriptions an API lists against the ones hookstream wants and
// sorts them into a [Plan]: in place, missing, wrong (ours, for a wanted
// event, but at another URL or version), extra (ours, not wanted: a
// duplicate or an event no longer subscribed) and foreign (another
// system's, never touched). A subscription is ours when its URL names the
// gateway's route for the provider: the same scheme, host and path as the
// target, whatever its query (so a ShipStation V1 URL with an old token is
// ours, and wrong). [Apply] carries a plan out; [Remove] deletes ours.
//
// The clients retry a 429 after the wait the provider names (Retry-After,
// X-Rate-Limit-Reset), a few times, and never put a secret in an error.
package subscriptions

import (
	"context"
	"errors"
	"net/url"
	"strings"
)

// Subscription is one webhook subscription as a provider lists it.
type Subscription struct {
	// ID is the provider's id for it (a number for ShipStation V1 and
	// SHOPLINE, "se-…" for V2), as a string.
	ID string `json:"id"`
	// Event is the provider's event name: ORDER_NOTIFY, track_event_v2,
	// orders/create.
	Event string `json:"event"`
	// URL is where the provider delivers.
	URL string `json:"url"`
	// StoreID is the ShipStation store it is limited to; "" for all stores
	// (and for SHOPLINE, whose subscriptions belong to one store).
	StoreID string `json:"store_id,omitempty"`
	// Name is the friendly name, where the provider keeps one.
	Name string `json:"name,omitempty"`
	// Version is the payload version (SHOPLINE's api_version).
	Version string `json:"api_version,omitempty"`
}

// Want is a subscription hookstream needs.
type Want struct {
	Event   string
	URL     string
	StoreID string // "" for all stores
	Version string // "" when the provider has no payload versions
}

// API is one provider's webhook-management API.
type API interface {
	// List returns every subscription of the account, ours or not.
	List(ctx context.Context) ([]Subscription, error)
	// Create subscribes w and returns the provider's id for it.
	Create(ctx context.Context, w Want) (id string, err error)
	// Delete removes the subscription with this id.
	Delete(ctx context.Context, id string) error
}

// Updater is an API that can move a subscription to another URL in place
// (ShipStation V2, SHOPLINE). Without it a wrong URL is repaired by a new
// subscription and the removal of the old one.
type Updater interface {
	Update(ctx context.Context, s Subscription, newURL string) error
}

// ErrNotFound is wrapped by the error of a call on an id the provider does
// not know (404).
var ErrNotFound = errors.New("no such subscription")

// SameEndpoint reports whether two URLs have the same scheme, host and
// path, whatever their query: whether a subscription's URL names the
// gateway route that target names.
func SameEndpoint(a, target string) bool {
	ua, err1 := url.Parse(a)
	ut, err2 := url.Parse(target)
	if err1 != nil || err2 != nil {
		return false
	}
	return ua.Scheme == ut.Scheme && strings.EqualFold(ua.Host, ut.Host) && ua.EscapedPath() == ut.EscapedPath()
}

// SameURL reports whether two URLs deliver to the same place: the same
// endpoint (SameEndpoint) and the same query parameters, in any order. A
// provider that normalises the URLs it stores (a lower-cased host, a
// re-encoded query) thus keeps a subscription in place.
func SameURL(a, b string) bool {
	if !SameEndpoint(a, b) {
		return false
	}
	ua, _ := url.Parse(a)
	ub, _ := url.Parse(b)
	return ua.Query().Encode() == ub.Query().Encode()
}
