package subscriptions

import (
	"context"
	"net/http"
	"net/url"
)

// Shopline is SHOPLINE's webhook API under
// https://{handle}.myshopline.com/admin/openapi/{version}/: GET and POST
// webhooks.json, PUT and DELETE {id}/webhooks.json (the id comes first),
// with Authorization: Bearer <access token>. One topic per subscription.
type Shopline struct {
	c *jsonClient
}

// ShoplineStoreURL is a store's address, the base NewShopline takes.
func ShoplineStoreURL(handle string) string {
	return "https://" + url.PathEscape(handle) + ".myshopline.com"
}

// NewShopline returns a client of the open API of the store at storeURL
// (ShoplineStoreURL, or a sandbox), in the given API version (v20260301);
// hc nil means a client with a 30 s timeout.
func NewShopline(storeURL, version, accessToken string, hc *http.Client) *Shopline {
	base := storeURL + "/admin/openapi/" + url.PathEscape(version)
	return &Shopline{c: newJSONClient("shopline", base, hc, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+accessToken) })}
}

// shoplineHook is SHOPLINE's webhook record.
type shoplineHook struct {
	ID         flexID `json:"id,omitempty"`
	Address    string `json:"address"`
	Topic      string `json:"topic,omitempty"`
	APIVersion string `json:"api_version,omitempty"`
}

// List implements API.
func (a *Shopline) List(ctx context.Context) ([]Subscription, error) {
	var out struct {
		Webhooks []shoplineHook `json:"webhooks"`
	}
	if err := a.c.do(ctx, http.MethodGet, "/webhooks.json", nil, &out); err != nil {
		return nil, err
	}
	subs := make([]Subscription, 0, len(out.Webhooks))
	for _, h := range out.Webhooks {
		subs = append(subs, Subscription{ID: string(h.ID), Event: h.Topic, URL: h.Address, Version: h.APIVersion})
	}
	return subs, nil
}

// Create implements API.
func (a *Shopline) Create(ctx context.Context, w Want) (string, error) {
	in := map[string]shoplineHook{"webhook": {Address: w.URL, Topic: w.Event, APIVersion: w.Version}}
	var out struct {
		Webhook shoplineHook `json:"webhook"`
	}
	if err := a.c.do(ctx, http.MethodPost, "/webhooks.json", in, &out); err != nil {
		return "", err
	}
	return string(out.Webhook.ID), nil
}

// Update implements Updater: only the address can change.
func (a *Shopline) Update(ctx context.Context, s Subscription, newURL string) error {
	in := map[string]map[string]string{"webhook": {"address": newURL}}
	return a.c.do(ctx, http.MethodPut, "/"+url.PathEscape(s.ID)+"/webhooks.json", in, nil)
}

// Delete implements API.
func (a *Shopline) Delete(ctx context.Context, id string) error {
	return a.c.do(ctx, http.MethodDelete, "/"+url.PathEscape(id)+"/webhooks.json", nil, nil)
}
