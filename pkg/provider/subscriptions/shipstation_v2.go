package subscriptions

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// DefaultShipStationV2URL is ShipStation's V2 API.
const DefaultShipStationV2URL = "https://api.shipstation.com"

// v2WebhooksPath is V2's webhook collection.
const v2WebhooksPath = "/v2/environment/webhooks"

// ShipStationV2 is ShipStation V2's webhook API (GET/POST
// /v2/environment/webhooks, PUT/DELETE …/{webhook_id}), authenticated with
// the api-key header.
type ShipStationV2 struct {
	c *jsonClient
}

// NewShipStationV2 returns a client of the V2 API at baseURL (""
// DefaultShipStationV2URL); hc nil means a client with a 30 s timeout.
func NewShipStationV2(baseURL, apiKey string, hc *http.Client) *ShipStationV2 {
	if baseURL == "" {
		baseURL = DefaultShipStationV2URL
	}
	return &ShipStationV2{c: newJSONClient("shipstation v2", baseURL, hc, func(r *http.Request) { r.Header.Set("api-key", apiKey) })}
}

// v2Hook is V2's webhook record.
type v2Hook struct {
	WebhookID flexID `json:"webhook_id,omitempty"`
	URL       string `json:"url"`
	Event     string `json:"event,omitempty"`
	Name      string `json:"name,omitempty"`
	StoreID   *int64 `json:"store_id,omitempty"`
}

// List implements API.
func (a *ShipStationV2) List(ctx context.Context) ([]Subscription, error) {
	var hooks []v2Hook
	if err := a.c.do(ctx, http.MethodGet, v2WebhooksPath, nil, &hooks); err != nil {
		return nil, err
	}
	subs := make([]Subscription, 0, len(hooks))
	for _, h := range hooks {
		s := Subscription{ID: string(h.WebhookID), Event: h.Event, URL: h.URL, Name: h.Name}
		if h.StoreID != nil {
			s.StoreID = strconv.FormatInt(*h.StoreID, 10)
		}
		subs = append(subs, s)
	}
	return subs, nil
}

// Create implements API.
func (a *ShipStationV2) Create(ctx context.Context, w Want) (string, error) {
	in := v2Hook{URL: w.URL, Event: w.Event, Name: FriendlyName + " " + w.Event}
	if w.StoreID != "" {
		n, err := strconv.ParseInt(w.StoreID, 10, 64)
		if err != nil {
			return "", fmt.Errorf("shipstation v2: store id %q is not a number", w.StoreID)
		}
		in.StoreID = &n
	}
	var out v2Hook
	if err := a.c.do(ctx, http.MethodPost, v2WebhooksPath, in, &out); err != nil {
		return "", err
	}
	return string(out.WebhookID), nil
}

// Update implements Updater: PUT {name, url}, answered 204.
func (a *ShipStationV2) Update(ctx context.Context, s Subscription, newURL string) error {
	name := s.Name
	if name == "" {
		name = FriendlyName + " " + s.Event
	}
	return a.c.do(ctx, http.MethodPut, v2WebhooksPath+"/"+url.PathEscape(s.ID), map[string]string{"name": name, "url": newURL}, nil)
}

// Delete implements API.
func (a *ShipStationV2) Delete(ctx context.Context, id string) error {
	return a.c.do(ctx, http.MethodDelete, v2WebhooksPath+"/"+url.PathEscape(id), nil, nil)
}
