package shipstation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/provider"
)

// Defaults of [V2ClientConfig].
const (
	// DefaultV2BaseURL is ShipStation's V2 API.
	DefaultV2BaseURL = "https://api.shipstation.com"
	// DefaultV2RequestsPerMinute is ShipStation's V2 budget per API key.
	DefaultV2RequestsPerMinute = 200
	// DefaultV2PageSize is the page_size the V2 client asks for.
	DefaultV2PageSize = 100
	// HeaderV2APIKey carries the V2 API key.
	HeaderV2APIKey = "api-key"
)

// V2 collections a V2 webhook's resource_url may name, and their list keys.
const (
	// V2FulfillmentsPath is FULFILLMENT_SHIPPED_V2's (and, assumed,
	// FULFILLMENT_REJECTED_V2's) resource.
	V2FulfillmentsPath = "/v2/fulfillments"
	// V2SalesOrdersPath is SALES_ORDERS_IMPORTED_V2's resource (assumed;
	// see docs/providers.md). The Sales Order API's beta path
	// /v-beta/sales_orders is accepted as well.
	V2SalesOrdersPath     = "/v2/sales_orders"
	v2SalesOrdersBetaPath = "/v-beta/sales_orders"
)

// defaultV2ResourceHosts matches ShipStation's V2 API host.
var defaultV2ResourceHosts = regexp.MustCompile(`^api\.shipstation\.com$`)

var v2Resources = resourceRules{
	maxLen:       MaxV2ResourceURLLen,
	defaultHosts: defaultV2ResourceHosts,
	pathAllowed: func(p string) bool {
		return p == V2FulfillmentsPath || p == V2SalesOrdersPath || p == v2SalesOrdersBetaPath
	},
	pathRule: "is not " + V2FulfillmentsPath + " or " + V2SalesOrdersPath,
}

// CheckV2 is Check for a V2 webhook's resource_url: the same rules, with
// at most MaxV2ResourceURLLen bytes, the host api.shipstation.com by
// default (Hosts replaces it as for V1) and a path of /v2/fulfillments or
// /v2/sales_orders (or /v-beta/sales_orders).
func (p ResourcePolicy) CheckV2(raw string) (*url.URL, error) {
	return p.check(raw, v2Resources)
}

// V2ClientConfig configures a [V2Client]. Only APIKey is required.
type V2ClientConfig struct {
	// APIKey is sent in the api-key header. Required.
	APIKey string
	// BaseURL is the V2 API's address. Default DefaultV2BaseURL.
	// Informational, as for [ClientConfig.BaseURL].
	BaseURL string
	// Resources decides which resource_url values may receive the key
	// ([ResourcePolicy.CheckV2]); checked before every request, the
	// links.next of a page included. Default: api.shipstation.com, https.
	Resources ResourcePolicy
	// HTTPClient sends the requests; copied as in [ClientConfig].
	HTTPClient *http.Client
	// RequestsPerMinute is the client-side budget of the key. Default
	// DefaultV2RequestsPerMinute (200, ShipStation's V2 limit).
	RequestsPerMinute int
	// MaxInProcessWait is the longest rate-limit wait a call sits out;
	// longer ones are returned as a *RetryAfterError. Default
	// DefaultMaxInProcessWait.
	MaxInProcessWait time.Duration
	// PageSize is the page_size parameter. Default DefaultV2PageSize.
	PageSize int
	// Now is the clock of the rate limiter. Default time.Now.
	Now func() time.Time
	// Logger receives paging anomalies; never the key. Default: none.
	Logger *zap.Logger
	// Metrics, when set, gets the API call metrics under the provider
	// label "shipstation_v2".
	Metrics prometheus.Registerer

	sleep func(ctx context.Context, d time.Duration) error
}

func (cfg *V2ClientConfig) setDefaults() {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultV2BaseURL
	}
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = DefaultV2RequestsPerMinute
	}
	if cfg.MaxInProcessWait == 0 {
		cfg.MaxInProcessWait = DefaultMaxInProcessWait
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultV2PageSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.sleep == nil {
		cfg.sleep = sleepContext
	}
}

// Validate reports the first problem with cfg, after defaults.
func (cfg *V2ClientConfig) Validate() error {
	switch {
	case cfg.APIKey == "":
		return errors.New("shipstation: the V2 API key is required")
	case cfg.RequestsPerMinute < 0:
		return errors.New("shipstation: V2 RequestsPerMinute is negative")
	case cfg.MaxInProcessWait < 0:
		return errors.New("shipstation: V2 MaxInProcessWait is negative")
	case cfg.PageSize < 0:
		return errors.New("shipstation: V2 PageSize is negative")
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("shipstation: V2 BaseURL is not an absolute URL")
	}
	return nil
}

// V2Client fetches the fulfillments and sales orders a V2 webhook's
// resource_url names from ShipStation's V2 API: it checks every URL
// against the ResourcePolicy before sending the key, pages through the
// answer (links.next, else page numbers), keeps the key within its budget
// (200 a minute; a 429's Retry-After pauses it) and never follows
// redirects. Its errors are those of [Client]: *RetryAfterError and
// provider.ErrUnavailable are retryable, provider.ErrUnauthenticated (the
// key was refused with 401) and provider.ErrMalformed (a refused URL,
// another 4xx, an answer that is not the expected JSON) are permanent.
// Share one per process.
type V2Client struct {
	http     *http.Client
	policy   ResourcePolicy
	baseURL  string
	apiKey   string
	pageSize int
	maxWait  time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	log      *zap.Logger
	metrics  *apiMetrics
	limit    *v2Limiter
}

// NewV2Client returns a V2 client for cfg.
func NewV2Client(cfg V2ClientConfig) (*V2Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	if hc.Timeout == 0 {
		hc.Timeout = DefaultHTTPTimeout
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	metrics, err := newAPIMetrics(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("shipstation: metrics: %w", err)
	}
	return &V2Client{
		http: hc, policy: cfg.Resources, baseURL: cfg.BaseURL, apiKey: cfg.APIKey,
		pageSize: cfg.PageSize, maxWait: cfg.MaxInProcessWait, now: cfg.Now, sleep: cfg.sleep,
		log: cfg.Logger.With(zap.String("provider", "shipstation_v2")), metrics: metrics,
		limit: newV2Limiter(cfg.RequestsPerMinute),
	}, nil
}

// BaseURL returns the configured V2 API address.
func (c *V2Client) BaseURL() string { return c.baseURL }

// FulfillmentPages fetches the fulfillments a FULFILLMENT_SHIPPED_V2 or
// FULFILLMENT_REJECTED_V2 resource_url names (path /v2/fulfillments), page
// by page from page from (1 for all), calling each with every page; an
// error from each stops the paging. See [Client.OrderPages] for why.
func (c *V2Client) FulfillmentPages(ctx context.Context, resourceURL string, from int, each func(page int, fulfillments []V2Fulfillment) error) (Stats, error) {
	return v2Pages(ctx, c, resourceURL, "fulfillments", func(p string) bool { return p == V2FulfillmentsPath }, from, each)
}

// SalesOrderPages fetches the sales orders a SALES_ORDERS_IMPORTED_V2
// resource_url names (path /v2/sales_orders or /v-beta/sales_orders), page
// by page; see FulfillmentPages.
func (c *V2Client) SalesOrderPages(ctx context.Context, resourceURL string, from int, each func(page int, orders []V2SalesOrder) error) (Stats, error) {
	return v2Pages(ctx, c, resourceURL, "sales_orders", func(p string) bool { return p == V2SalesOrdersPath || p == v2SalesOrdersBetaPath }, from, each)
}

// v2PageInfo is the paging part of a V2 page.
type v2PageInfo struct {
	Page  int `json:"page"`
	Pages int `json:"pages"`
	Links struct {
		Next *struct {
			Href string `json:"href"`
		} `json:"next"`
	} `json:"links"`
}

// v2Pages checks resourceURL and pages through it from page from. The
// next page is the page's links.next (checked against the policy like the
// resource_url, and on the same path), else page+1 while page < pages; an
// empty page ends the listing too.
func v2Pages[T any](ctx context.Context, c *V2Client, resourceURL, key string, pathOK func(string) bool, from int, each func(page int, items []T) error) (Stats, error) {
	var st Stats
	fail := func(err error) (Stats, error) {
		return st, fmt.Errorf("shipstation v2: list %s: %w", key, err)
	}
	check := func(raw string) (*url.URL, error) {
		u, err := c.policy.CheckV2(raw)
		if err != nil {
			return nil, err
		}
		if !pathOK(u.EscapedPath()) {
			return nil, provider.Errorf(provider.ErrMalformed, "resource_url path is not the %s collection", key)
		}
		return u, nil
	}
	u, err := check(resourceURL)
	if err != nil {
		return fail(err)
	}
	page := max(from, 1)
	query := u.Query()
	query.Set("page", strconv.Itoa(page))
	query.Set("page_size", strconv.Itoa(c.pageSize))
	u.RawQuery = query.Encode()
	for n := 0; ; n++ {
		if n >= maxPages {
			return fail(provider.Errorf(provider.ErrMalformed, "more than %d pages", maxPages))
		}
		body, err := c.get(ctx, u.String(), &st)
		if err != nil {
			return fail(fmt.Errorf("page %d: %w", page, err))
		}
		items, _, err := decodePage[T](body, key)
		if err != nil {
			return fail(fmt.Errorf("page %d: %w", page, err))
		}
		var info v2PageInfo
		if err := json.Unmarshal(body, &info); err != nil {
			return fail(provider.Errorf(provider.ErrMalformed, "page %d: paging fields: %v", page, err))
		}
		st.Pages++
		if err := each(page, items); err != nil {
			return st, err
		}
		if len(items) == 0 {
			return st, nil
		}
		switch {
		case info.Links.Next != nil && info.Links.Next.Href != "":
			next, err := u.Parse(info.Links.Next.Href) // relative links resolve against this page
			if err != nil {
				return fail(provider.Errorf(provider.ErrMalformed, "page %d: links.next is not a URL", page))
			}
			if u, err = check(next.String()); err != nil {
				return fail(fmt.Errorf("page %d: links.next: %w", page, err))
			}
		case info.Pages > page:
			query := u.Query()
			query.Set("page", strconv.Itoa(page+1))
			u.RawQuery = query.Encode()
		default:
			return st, nil
		}
		page++
	}
}

// get fetches one page: it waits for the key's budget, sends the request
// and handles 401 and 429 (wait and retry, or hand the wait to the
// caller); readAnswer classifies every other answer.
func (c *V2Client) get(ctx context.Context, target string, st *Stats) ([]byte, error) {
	limited := 0
	for {
		if err := c.wait(ctx); err != nil {
			return nil, err
		}
		st.Requests++
		start := c.now()
		resp, err := c.send(ctx, target)
		c.metrics.observeAs("shipstation_v2", target, "primary", resp, c.now().Sub(start))
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			discard(resp)
			return nil, provider.Errorf(provider.ErrUnauthenticated, "the ShipStation V2 API key was refused (401)")
		case http.StatusTooManyRequests:
			now := c.now()
			delay := max(retryAfter(resp.Header, now, v2Default429Wait), time.Second)
			discard(resp)
			c.limit.pause(now.Add(delay))
			if limited++; limited > max429Retries {
				return nil, &RetryAfterError{Delay: delay, Err: provider.Errorf(provider.ErrUnavailable,
					"ShipStation V2 rate limit reached (429) %d times in a row", limited)}
			}
			continue
		}
		return readAnswer(resp)
	}
}

// wait blocks until the key may send, or returns a *RetryAfterError when
// that is further off than MaxInProcessWait or the context's deadline.
func (c *V2Client) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	maxWait := c.maxWait
	if deadline, ok := ctx.Deadline(); ok {
		maxWait = min(maxWait, time.Until(deadline))
	}
	d, ok := c.limit.reserve(c.now(), maxWait)
	if !ok {
		return &RetryAfterError{Delay: d, Err: provider.Errorf(provider.ErrUnavailable,
			"ShipStation V2 rate limit: the API key may send again in %s", d.Round(time.Millisecond))}
	}
	if d <= 0 {
		return nil
	}
	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("%w: waiting for the rate limit: %w", provider.ErrUnavailable, err)
	}
	return nil
}

// send performs one GET with the api-key header.
func (c *V2Client) send(ctx context.Context, target string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, provider.Errorf(provider.ErrMalformed, "building the request: %v", err)
	}
	req.Header.Set(HeaderV2APIKey, c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "hookstream")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, ctxErr)
		}
		return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	return resp, nil
}
