package snipcart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
)

// Listing orders, for reconciliation: GET /orders with from/to, which
// filter by placement date only (there is no modified-since filter).

// Limits of [OrdersClient].
const (
	// OrdersPageSize is the limit parameter the client sends.
	OrdersPageSize = 50
	// maxOrderPages stops a server that never ends its list.
	maxOrderPages = 2000
	// maxOrdersResponse bounds one page's body.
	maxOrdersResponse = 16 << 20
	// DefaultOrdersTimeout bounds one list request.
	DefaultOrdersTimeout = 30 * time.Second
)

// OrdersConfig configures an [OrdersClient].
type OrdersConfig struct {
	// SecretKey is the account's secret API key (Basic user, empty
	// password). Required. A live key lists live orders, a test key test
	// orders.
	SecretKey string
	// APIURL is the API root ("/orders" is appended). Default DefaultAPIURL.
	APIURL string
	// HTTPClient sends the requests. Default: a client with
	// DefaultOrdersTimeout; redirects are never followed.
	HTTPClient *http.Client
}

// OrdersClient lists a Snipcart account's orders. It is safe for
// concurrent use.
type OrdersClient struct {
	secretKey string
	apiURL    string
	http      *http.Client
}

// NewOrdersClient returns a client for cfg; it fails when SecretKey is
// empty or APIURL is not an absolute http(s) URL.
func NewOrdersClient(cfg OrdersConfig) (*OrdersClient, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("snipcart: the secret key is required")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(cfg.APIURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("snipcart: APIURL %q is not an absolute http(s) URL without query", cfg.APIURL)
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	if hc.Timeout == 0 {
		hc.Timeout = DefaultOrdersTimeout
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &OrdersClient{secretKey: cfg.SecretKey, apiURL: strings.TrimRight(cfg.APIURL, "/"), http: hc}, nil
}

// ordersPage is one answer of GET /orders.
type ordersPage struct {
	TotalItems int               `json:"totalItems"`
	Offset     int               `json:"offset"`
	Limit      int               `json:"limit"`
	Items      []json.RawMessage `json:"items"`
}

// OrdersPlaced pages through every order placed between from and to
// (GET /orders?from=…&to=…&format=Full, offset/limit paging), handing each
// page of whole orders, as Snipcart writes them, to each; an error from
// each stops the paging. It returns how many requests it sent. Errors wrap
// provider.ErrUnavailable (network, timeout, 429, 5xx: retry later),
// provider.ErrUnauthenticated (401, 403: the key) or provider.ErrMalformed
// (any other answer).
func (c *OrdersClient) OrdersPlaced(ctx context.Context, from, to time.Time, each func(orders []json.RawMessage) error) (int, error) {
	q := url.Values{
		"from":   {from.UTC().Format(time.RFC3339)},
		"to":     {to.UTC().Format(time.RFC3339)},
		"format": {"Full"},
		"limit":  {strconv.Itoa(OrdersPageSize)},
	}
	offset, requests := 0, 0
	for range maxOrderPages {
		q.Set("offset", strconv.Itoa(offset))
		requests++
		page, err := c.get(ctx, c.apiURL+"/orders?"+q.Encode())
		if err != nil {
			return requests, fmt.Errorf("snipcart: list orders at offset %d: %w", offset, err)
		}
		if len(page.Items) > 0 {
			if err := each(page.Items); err != nil {
				return requests, err
			}
		}
		offset += len(page.Items)
		if len(page.Items) == 0 || offset >= page.TotalItems {
			return requests, nil
		}
	}
	return requests, provider.Errorf(provider.ErrMalformed, "snipcart: list orders: more than %d pages", maxOrderPages)
}

// get sends one list request and decodes its page.
func (c *OrdersClient) get(ctx context.Context, target string) (ordersPage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return ordersPage{}, provider.Errorf(provider.ErrMalformed, "%v", err)
	}
	req.SetBasicAuth(c.secretKey, "")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ordersPage{}, errors.Join(provider.Errorf(provider.ErrUnavailable, "request cancelled"), ctx.Err())
		}
		return ordersPage{}, provider.Errorf(provider.ErrUnavailable, "%v", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return ordersPage{}, errors.Join(provider.Errorf(provider.ErrUnauthenticated, "answered %s", resp.Status), ErrSecretKeyRejected)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return ordersPage{}, provider.Errorf(provider.ErrUnavailable, "answered %s", resp.Status)
	case resp.StatusCode != http.StatusOK:
		return ordersPage{}, provider.Errorf(provider.ErrMalformed, "answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxOrdersResponse+1))
	if err != nil {
		return ordersPage{}, provider.Errorf(provider.ErrUnavailable, "reading the answer: %v", err)
	}
	if len(body) > maxOrdersResponse {
		return ordersPage{}, provider.Errorf(provider.ErrMalformed, "answer larger than %d bytes", maxOrdersResponse)
	}
	var page ordersPage
	if err := json.Unmarshal(body, &page); err != nil {
		return ordersPage{}, provider.Errorf(provider.ErrMalformed, "answer is not an orders page: %v", err)
	}
	return page, nil
}
