package subscriptions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ShipStationV1 is ShipStation V1's webhook API (GET /webhooks, POST
// /webhooks/subscribe, DELETE /webhooks/{id}; no update), with HTTP Basic
// auth: the API key as user, its secret as password.
type ShipStationV1 struct {
	c *jsonClient
}

// DefaultShipStationV1URL is ShipStation's V1 API.
const DefaultShipStationV1URL = "https://ssapi.shipstation.com"

// NewShipStationV1 returns a client of the V1 API at baseURL (""
// DefaultShipStationV1URL); hc nil means a client with a 30 s timeout.
func NewShipStationV1(baseURL, key, secret string, hc *http.Client) *ShipStationV1 {
	if baseURL == "" {
		baseURL = DefaultShipStationV1URL
	}
	return &ShipStationV1{c: newJSONClient("shipstation", baseURL, hc, func(r *http.Request) { r.SetBasicAuth(key, secret) })}
}

// v1Hook is an item of GET /webhooks (PascalCase, StoreID null for all
// stores).
type v1Hook struct {
	WebHookID flexID `json:"WebHookID"`
	StoreID   flexID `json:"StoreID"`
	HookType  string `json:"HookType"`
	URL       string `json:"Url"`
	Name      string `json:"Name"`
}

// List implements API. It accepts {"webhooks":[…]} and a bare array.
func (a *ShipStationV1) List(ctx context.Context) ([]Subscription, error) {
	var raw json.RawMessage
	if err := a.c.do(ctx, http.MethodGet, "/webhooks", nil, &raw); err != nil {
		return nil, err
	}
	var hooks []v1Hook
	if err := json.Unmarshal(raw, &hooks); err != nil {
		var wrapped struct {
			Webhooks []v1Hook `json:"webhooks"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return nil, fmt.Errorf("shipstation: GET /webhooks: decode answer: %w", err)
		}
		hooks = wrapped.Webhooks
	}
	subs := make([]Subscription, 0, len(hooks))
	for _, h := range hooks {
		subs = append(subs, Subscription{ID: string(h.WebHookID), Event: h.HookType, URL: h.URL, StoreID: string(h.StoreID), Name: h.Name})
	}
	return subs, nil
}

// Create implements API. The answer's id is "id" in older documentation
// and "WebHookID" in newer: either is read.
func (a *ShipStationV1) Create(ctx context.Context, w Want) (string, error) {
	body := map[string]any{"target_url": w.URL, "event": w.Event, "friendly_name": FriendlyName + " " + w.Event}
	if w.StoreID != "" {
		n, err := strconv.ParseInt(w.StoreID, 10, 64)
		if err != nil {
			return "", fmt.Errorf("shipstation: store id %q is not a number", w.StoreID)
		}
		body["store_id"] = n
	}
	var out struct {
		ID        flexID `json:"id"`
		WebHookID flexID `json:"WebHookID"`
	}
	if err := a.c.do(ctx, http.MethodPost, "/webhooks/subscribe", body, &out); err != nil {
		return "", err
	}
	if out.WebHookID != "" {
		return string(out.WebHookID), nil
	}
	return string(out.ID), nil
}

// Delete implements API.
func (a *ShipStationV1) Delete(ctx context.Context, id string) error {
	return a.c.do(ctx, http.MethodDelete, "/webhooks/"+url.PathEscape(id), nil, nil)
}

// FriendlyName begins the name hookstream gives its subscriptions where
// the provider keeps one, for people reading the provider's dashboard.
// Ownership is decided by URL, never by name.
const FriendlyName = "hookstream"
