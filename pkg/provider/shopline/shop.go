package shopline

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// ShopID asks merchants/shop.json (scope read_store_information) for the
// id of the store the access token belongs to: the X-Shopline-Shop-Id of
// its webhooks, which the canonical records name as their store.
func (c *OrdersClient) ShopID(ctx context.Context) (string, error) {
	body, _, err := c.fetch(ctx, c.apiURL+"/merchants/shop.json")
	if err != nil {
		return "", fmt.Errorf("shopline: store information: %w", err)
	}
	var out struct {
		Data struct {
			ID json.RawMessage `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("shopline: store information: %w", err)
	}
	var id string
	if json.Unmarshal(out.Data.ID, &id) != nil {
		var n json.Number
		if json.Unmarshal(out.Data.ID, &n) != nil {
			return "", fmt.Errorf("shopline: store information has no id: %s", out.Data.ID)
		}
		id = n.String()
	}
	if id == "" || len(id) > 32 {
		return "", fmt.Errorf("shopline: store information has no usable id: %q", id)
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("shopline: store id %q is not decimal", id)
		}
	}
	return id, nil
}

// DefaultAPIVersion is the open API version used when none is configured:
// the one whose order bodies the order-enricher reads.
const DefaultAPIVersion = "v20260301"

// apiVersion is an open API version: v and eight digits.
var apiVersion = regexp.MustCompile(`^v20\d{6}$`)

// ValidAPIVersion reports whether v is an open API version (v20260301).
func ValidAPIVersion(v string) bool { return apiVersion.MatchString(v) }

// APIURL is the open API root of version at storeURL
// (https://{handle}.myshopline.com, or a sandbox): what OrdersConfig.APIURL takes.
func APIURL(storeURL, version string) string {
	return strings.TrimRight(storeURL, "/") + "/admin/openapi/" + url.PathEscape(version)
}
