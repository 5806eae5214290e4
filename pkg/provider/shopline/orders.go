package shopline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Listing orders, for reconciliation: GET orders.json with
// updated_at_min/max, one query per fulfillment_status (the API
// defaults it to unshipped, so a poll without it misses shipped
// orders), cursor paging by the Link header.

// Limits of [OrdersClient].
const (
	// OrdersPageSize is the limit parameter the client sends (the API's maximum).
	OrdersPageSize = 100
	// maxOrderPages stops a server that never ends its list.
	maxOrderPages = 2000
	// maxOrdersResponse bounds one page's body.
	maxOrdersResponse = 16 << 20
	// maxRateLimitWait bounds one wait after a 429.
	maxRateLimitWait = 2 * time.Minute
)

// FulfillmentStatuses are the values the client queries one after the other.
var FulfillmentStatuses = []string{"unshipped", "partial", "shipped"}

// OrdersConfig configures an [OrdersClient].
type OrdersConfig struct {
	// APIURL is the open API root up to the version, e.g.
	// https://{handle}.myshopline.com/admin/openapi/{version}. Required.
	APIURL string
	// AccessToken is sent as Authorization: Bearer. Required.
	AccessToken string
	// HTTPClient sends the requests. Default: a client with a 30 s timeout.
	HTTPClient *http.Client
}

// OrdersClient lists a SHOPLINE store's orders. It is safe for concurrent use.
type OrdersClient struct {
	apiURL string
	token  string
	http   *http.Client
}

// NewOrdersClient returns a client, or an error for a missing setting.
func NewOrdersClient(cfg OrdersConfig) (*OrdersClient, error) {
	if cfg.APIURL == "" || cfg.AccessToken == "" {
		return nil, errors.New("shopline: orders client needs APIURL and AccessToken")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &OrdersClient{apiURL: cfg.APIURL, token: cfg.AccessToken, http: hc}, nil
}

// Updated calls page for every page of the orders updated in [from, to],
// for each of [FulfillmentStatuses]; ids stay strings in the raw JSON.
func (c *OrdersClient) Updated(ctx context.Context, from, to time.Time, page func([]json.RawMessage) error) error {
	for _, fs := range FulfillmentStatuses {
		q := url.Values{}
		q.Set("limit", strconv.Itoa(OrdersPageSize))
		q.Set("status", "any")
		q.Set("fulfillment_status", fs)
		q.Set("updated_at_min", from.Format(time.RFC3339))
		q.Set("updated_at_max", to.Format(time.RFC3339))
		next := c.apiURL + "/orders.json?" + q.Encode()
		for n := 0; next != ""; n++ {
			if n == maxOrderPages {
				return fmt.Errorf("shopline: orders list longer than %d pages", maxOrderPages)
			}
			orders, link, err := c.get(ctx, next)
			if err != nil {
				return err
			}
			if err := page(orders); err != nil {
				return err
			}
			next = ""
			if info := nextPageInfo(link); info != "" {
				q := url.Values{}
				q.Set("limit", strconv.Itoa(OrdersPageSize))
				q.Set("page_info", info)
				next = c.apiURL + "/orders.json?" + q.Encode()
			}
		}
	}
	return nil
}

var linkNext = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?next"?`)

// nextPageInfo returns the page_info of a Link header's rel="next", or "".
func nextPageInfo(link string) string {
	m := linkNext.FindStringSubmatch(link)
	if m == nil {
		return ""
	}
	u, err := url.Parse(m[1])
	if err != nil {
		return ""
	}
	return u.Query().Get("page_info")
}

// get fetches one page of orders.
func (c *OrdersClient) get(ctx context.Context, u string) ([]json.RawMessage, string, error) {
	body, header, err := c.fetch(ctx, u)
	if err != nil {
		return nil, "", fmt.Errorf("shopline: list orders: %w", err)
	}
	var out struct {
		Orders []json.RawMessage `json:"orders"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, "", fmt.Errorf("shopline: list orders: %w", err)
	}
	return out.Orders, header.Get("Link"), nil
}

// fetch GETs u and returns a 200 answer's body and headers, waiting out 429
// answers.
func (c *OrdersClient) fetch(ctx context.Context, u string) ([]byte, http.Header, error) {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxOrdersResponse))
		resp.Body.Close()
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			wait := time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			if wait > maxRateLimitWait {
				return nil, nil, fmt.Errorf("rate limited for %v", wait)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, nil, ctx.Err()
			case <-t.C:
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return nil, nil, fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return body, resp.Header, nil
	}
}
