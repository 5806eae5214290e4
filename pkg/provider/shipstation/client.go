package shipstation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults and limits of [ClientConfig].
const (
	// DefaultBaseURL is ShipStation's V1 API.
	DefaultBaseURL = "https://ssapi.shipstation.com"
	// DefaultRateLimit is ShipStation's budget per API key pair and
	// window: 40 requests a minute.
	DefaultRateLimit = 40
	// DefaultRateWindow is ShipStation's rate-limit window.
	DefaultRateWindow = time.Minute
	// DefaultFallbackRateLimit is a process's own limit per window while
	// the shared budget cannot be used: low, since the process cannot see
	// what the others send.
	DefaultFallbackRateLimit = 5
	// DefaultBackgroundReservePercent is the share of each window a
	// background client leaves to webhook-driven ones.
	DefaultBackgroundReservePercent = 25
	// DefaultMaxInProcessWait is the longest rate-limit wait the client
	// sits out itself; longer waits become a [RetryAfterError].
	DefaultMaxInProcessWait = 10 * time.Second
	// MaxPageSize is the largest page ShipStation serves, and the default.
	MaxPageSize = 500
	// DefaultHTTPTimeout bounds one request when the HTTP client has none.
	DefaultHTTPTimeout = 30 * time.Second
	// MaxResponseSize bounds one answer's body. A full page of 500 orders
	// with items is a few MiB.
	MaxResponseSize = 32 << 20
)

const (
	// maxPages stops a server that never sends a short page.
	maxPages = 1000
	// max429Retries bounds how often one page is retried after a 429 that
	// the client waited out, before the wait is handed to the caller.
	max429Retries = 3
)

// Credentials are one V1 API key and its secret, sent as HTTP Basic
// credentials (key as user, secret as password).
type Credentials struct {
	Key, Secret string
}

func (c Credentials) set() bool { return c.Key != "" || c.Secret != "" }

// ClientConfig configures a [Client]. Only Primary is required.
type ClientConfig struct {
	// Primary is the API key used first. Required, key and secret.
	Primary Credentials
	// Account is the named account whose keys these are, "" for the
	// default account: metrics and logs name the keys <account>/primary
	// and <account>/secondary, so that every account's budget has series
	// of its own.
	Account string
	// Secondary is an optional second key for rotation: on a 401 from one
	// key the client tries the other, and keeps using whichever works.
	Secondary Credentials
	// BaseURL is the V1 API's address. Default DefaultBaseURL.
	// Informational: the List methods fetch the webhook's resource_url, not
	// a URL built from BaseURL.
	BaseURL string
	// Resources decides which resource_url values may receive the
	// credentials; checked again before every List call sends anything.
	// Default: the zero ResourcePolicy, ShipStation's https hosts only.
	Resources ResourcePolicy
	// HTTPClient sends the requests. Default: a client with a
	// DefaultHTTPTimeout timeout. A given client is copied; the copy gets
	// DefaultHTTPTimeout when it has none, and never follows redirects, so
	// credentials only ever go to a URL the policy admitted.
	HTTPClient *http.Client
	// RateLimit is the budget of each API key pair per RateWindow.
	// Default DefaultRateLimit (40, ShipStation's limit). With JetStream
	// it is shared by every process using the pair; without, it is this
	// Client's own: share one Client among all goroutines of a process.
	RateLimit int
	// RateWindow is the rate-limit window. Default DefaultRateWindow (a
	// minute, ShipStation's); other values are for sandboxes and tests.
	RateWindow time.Duration
	// RateMargin widens the window the client counts requests in, so that
	// network jitter and clock skew between processes cannot put more
	// than RateLimit of them in one of the server's windows. Default a
	// twentieth of RateWindow, at least 250ms.
	RateMargin time.Duration
	// JetStream, when set, keeps each key pair's budget in the KV bucket
	// BudgetBucket (created when missing), shared by every process that
	// uses the pair: at most RateLimit requests in any window among all of
	// them, and a 429 or an exhausted X-Rate-Limit-Remaining seen by one
	// holds all of them back until the window resets. While the bucket
	// cannot be used the client keeps to FallbackRateLimit on its own and
	// says so in the log and hookstream_provider_api_budget_fallback.
	JetStream jetstream.JetStream
	// BudgetReplicas is the bucket's replicas when the client creates it.
	// Default 1.
	BudgetReplicas int
	// FallbackRateLimit is the client's own budget per RateWindow while the
	// shared one cannot be used. Default DefaultFallbackRateLimit (5), at
	// most RateLimit. Unused without JetStream.
	FallbackRateLimit int
	// Background makes the client a background caller (a reconciler):
	// it sends a request only when more than BackgroundReservePercent of
	// RateLimit remains in the window, so that webhook-driven callers
	// always find that reserve; it never queues for a slot, it waits for
	// the window to leave it room.
	Background bool
	// BackgroundReservePercent is the share of RateLimit a Background
	// client leaves to the others, 1 to 99 (rounded up to whole
	// requests). Default (0) DefaultBackgroundReservePercent (25).
	BackgroundReservePercent int
	// MaxInProcessWait is the longest rate-limit wait a List call sits out
	// (a spent budget, a 429's X-Rate-Limit-Reset). A longer wait is
	// returned as a *RetryAfterError carrying the delay, for the caller to
	// retry later (NakWithDelay). Default DefaultMaxInProcessWait (10s);
	// keep it well under the consumer's ack wait.
	MaxInProcessWait time.Duration
	// PageSize is the pageSize parameter. Default and maximum MaxPageSize.
	PageSize int
	// Now is the clock of the rate limiter. Default time.Now.
	Now func() time.Time
	// Logger receives key switches and paging anomalies; it never sees a
	// key or secret ("primary"/"secondary" name the keys). Default: none.
	Logger *zap.Logger
	// Metrics, when set, gets the API call metrics
	// (hookstream_provider_api_*); clients may share a registry.
	Metrics prometheus.Registerer

	// sleep waits d or until ctx is done; tests replace it (export_test.go)
	// to run rate-limit waits on a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
}

func (cfg *ClientConfig) setDefaults() {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateWindow == 0 {
		cfg.RateWindow = DefaultRateWindow
	}
	if cfg.RateMargin == 0 {
		cfg.RateMargin = max(cfg.RateWindow/20, 250*time.Millisecond)
	}
	if cfg.BudgetReplicas == 0 {
		cfg.BudgetReplicas = 1
	}
	if cfg.FallbackRateLimit == 0 {
		cfg.FallbackRateLimit = min(DefaultFallbackRateLimit, cfg.RateLimit)
	}
	if cfg.BackgroundReservePercent == 0 {
		cfg.BackgroundReservePercent = DefaultBackgroundReservePercent
	}
	if cfg.MaxInProcessWait == 0 {
		cfg.MaxInProcessWait = DefaultMaxInProcessWait
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = MaxPageSize
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
func (cfg *ClientConfig) Validate() error {
	switch {
	case cfg.Primary.Key == "" || cfg.Primary.Secret == "":
		return errors.New("shipstation: the primary API key and secret are required")
	case cfg.Secondary.set() && (cfg.Secondary.Key == "" || cfg.Secondary.Secret == ""):
		return errors.New("shipstation: the secondary API key needs both key and secret")
	case cfg.RateLimit < 0:
		return errors.New("shipstation: RateLimit is negative")
	case cfg.RateWindow < 0 || cfg.RateMargin < 0:
		return errors.New("shipstation: RateWindow or RateMargin is negative")
	case cfg.FallbackRateLimit < 0 || cfg.FallbackRateLimit > cfg.RateLimit:
		return errors.New("shipstation: FallbackRateLimit must be between 1 and RateLimit")
	case cfg.BackgroundReservePercent < 0 || cfg.BackgroundReservePercent > 99:
		return errors.New("shipstation: BackgroundReservePercent must be between 0 and 99")
	case cfg.BudgetReplicas < 0:
		return errors.New("shipstation: BudgetReplicas is negative")
	case cfg.MaxInProcessWait < 0:
		return errors.New("shipstation: MaxInProcessWait is negative")
	case cfg.PageSize < 0 || cfg.PageSize > MaxPageSize:
		return fmt.Errorf("shipstation: PageSize must be between 1 and %d", MaxPageSize)
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("shipstation: BaseURL is not an absolute URL")
	}
	return nil
}

// Stats says what one List call cost.
type Stats struct {
	// Requests is the number of HTTP requests sent, retries included.
	Requests int
	// Pages is the number of pages decoded.
	Pages int
}

// RetryAfterError is a retryable failure that says when to try again: the
// rate limit needs a wait longer than MaxInProcessWait (or the caller's
// deadline allows). Err wraps provider.ErrUnavailable. Use errors.As to get
// the Delay and NakWithDelay the message with it.
type RetryAfterError struct {
	// Delay is how long to wait before trying again.
	Delay time.Duration
	Err   error
}

// Error implements error.
func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v; retry in %s", e.Err, e.Delay)
}

// Unwrap returns Err.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryDelay reports Delay; consumers read it through an interface, so a
// provider need not be known to them.
func (e *RetryAfterError) RetryDelay() time.Duration { return e.Delay }

// Client fetches orders, shipments and fulfillments from ShipStation's V1
// API for the resource_url of a webhook. It checks every URL against the
// ResourcePolicy before sending credentials, pages through the answer, keeps
// each key within its rate limit, rotates between two keys on 401 and never
// follows redirects.
//
// Errors wrap a provider category, so callers decide with errors.Is/As:
//
//   - *RetryAfterError (errors.As): retryable after its Delay; it also
//     wraps provider.ErrUnavailable.
//   - provider.ErrUnavailable: retryable (5xx, 408, network error, timeout,
//     cancelled context; a cancelled context also wraps ctx.Err()).
//   - provider.ErrUnauthenticated: permanent until an operator fixes the
//     keys: every configured key was refused with 401.
//   - provider.ErrMalformed: permanent: the resource_url was refused by the
//     policy or names the wrong collection, ShipStation answered another 4xx
//     or a redirect, or the answer is not the expected JSON.
//
// A Client is safe for concurrent use; share one per process. With
// ClientConfig.JetStream the budget covers every process using the key
// pair (see [BudgetBucket]); without, it covers this Client's requests.
type Client struct {
	http     *http.Client
	policy   ResourcePolicy
	baseURL  string
	pageSize int
	maxWait  time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	log      *zap.Logger
	metrics  *apiMetrics

	keys   []apiKey     // [0] primary, [1] secondary when configured
	active atomic.Int32 // index into keys of the key that last worked

	rule   budgetRule // of the shared budget
	caller string     // "webhook" or "background", for the metrics
}

// apiKey is one configured credential with its budget: shared when the
// client has JetStream, with limit as the fallback; else limit alone.
type apiKey struct {
	name   string // "primary" or "secondary": what logs and errors say
	creds  Credentials
	limit  *keyLimiter
	shared *sharedKey
}

// NewClient returns a client for cfg. It fails when the primary key or
// secret is empty or a setting is out of range.
func NewClient(cfg ClientConfig) (*Client, error) {
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

	c := &Client{
		http:     hc,
		policy:   cfg.Resources,
		baseURL:  cfg.BaseURL,
		pageSize: cfg.PageSize,
		maxWait:  cfg.MaxInProcessWait,
		now:      cfg.Now,
		sleep:    cfg.sleep,
		log:      cfg.Logger.With(zap.String("provider", "shipstation")),
	}
	var err error
	if c.metrics, err = newAPIMetrics(cfg.Metrics); err != nil {
		return nil, fmt.Errorf("shipstation: metrics: %w", err)
	}
	c.initBudget(cfg)
	return c, nil
}

// BaseURL returns the configured V1 API address.
func (c *Client) BaseURL() string { return c.baseURL }

// ListOrders fetches every order resourceURL names (an ORDER_NOTIFY or
// ITEM_ORDER_NOTIFY resource_url, path /orders), all pages. See [Client] for
// the errors. Stats are filled in on failure too.
func (c *Client) ListOrders(ctx context.Context, resourceURL string) ([]Order, Stats, error) {
	return list[Order](ctx, c, resourceURL, "/orders", "orders")
}

// ListShipments fetches every shipment resourceURL names (a SHIP_NOTIFY or
// ITEM_SHIP_NOTIFY resource_url, path /shipments), all pages.
func (c *Client) ListShipments(ctx context.Context, resourceURL string) ([]Shipment, Stats, error) {
	return list[Shipment](ctx, c, resourceURL, "/shipments", "shipments")
}

// ListFulfillments fetches every fulfillment resourceURL names (a
// FULFILLMENT_SHIPPED or FULFILLMENT_REJECTED resource_url, path
// /fulfillments), all pages.
func (c *Client) ListFulfillments(ctx context.Context, resourceURL string) ([]Fulfillment, Stats, error) {
	return list[Fulfillment](ctx, c, resourceURL, "/fulfillments", "fulfillments")
}

// OrderPages is ListOrders page by page, from page from (1 for all): each
// is called with every page as it arrives, and an error from each stops the
// paging. A resource that needs more pages than one handler run can fetch
// (the rate limit, the handler's deadline) is finished over several runs
// this way, resuming after the last page handled.
func (c *Client) OrderPages(ctx context.Context, resourceURL string, from int, each func(page int, orders []Order) error) (Stats, error) {
	return pages(ctx, c, resourceURL, "/orders", "orders", from, each)
}

// ShipmentPages is ListShipments page by page; see OrderPages.
func (c *Client) ShipmentPages(ctx context.Context, resourceURL string, from int, each func(page int, shipments []Shipment) error) (Stats, error) {
	return pages(ctx, c, resourceURL, "/shipments", "shipments", from, each)
}

// FulfillmentPages is ListFulfillments page by page; see OrderPages.
func (c *Client) FulfillmentPages(ctx context.Context, resourceURL string, from int, each func(page int, fulfillments []Fulfillment) error) (Stats, error) {
	return pages(ctx, c, resourceURL, "/fulfillments", "fulfillments", from, each)
}

// list collects every page of resourceURL.
func list[T any](ctx context.Context, c *Client, resourceURL, path, key string) ([]T, Stats, error) {
	var all []T
	st, err := pages(ctx, c, resourceURL, path, key, 1, func(_ int, items []T) error {
		all = append(all, items...)
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	return all, st, nil
}

// pages checks resourceURL and pages through it from page from until a
// page is shorter than the page size, handing each page to each.
// ShipStation's "pages" is not trusted (its own examples say pages:0 with
// total:2), nor is "total".
func pages[T any](ctx context.Context, c *Client, resourceURL, path, key string, from int, each func(page int, items []T) error) (Stats, error) {
	var st Stats
	fail := func(err error) (Stats, error) {
		return st, fmt.Errorf("shipstation: list %s: %w", key, err)
	}
	u, err := c.policy.Check(resourceURL)
	if err != nil {
		return fail(err)
	}
	if u.EscapedPath() != path {
		return fail(provider.Errorf(provider.ErrMalformed, "resource_url path is not %s", path))
	}
	query := u.Query()
	query.Set("pageSize", strconv.Itoa(c.pageSize))
	received, total := (max(from, 1)-1)*c.pageSize, 0
	for page := max(from, 1); ; page++ {
		if page > maxPages {
			return fail(provider.Errorf(provider.ErrMalformed, "more than %d pages", maxPages))
		}
		query.Set("page", strconv.Itoa(page))
		target := *u
		target.RawQuery = query.Encode()
		body, err := c.get(ctx, target.String(), &st)
		if err != nil {
			return fail(fmt.Errorf("page %d: %w", page, err))
		}
		items, n, err := decodePage[T](body, key)
		if err != nil {
			return fail(fmt.Errorf("page %d: %w", page, err))
		}
		st.Pages++
		total, received = n, received+len(items)
		if err := each(page, items); err != nil {
			return st, err
		}
		if len(items) < c.pageSize {
			break
		}
	}
	if total > received {
		// Not an error: items can leave the set between pages. Worth a
		// look if it recurs (e.g. a server capping pageSize below ours).
		c.log.Warn("ShipStation listed fewer items than its total",
			zap.String("collection", key), zap.Int("total", total), zap.Int("received", received))
	}
	return st, nil
}

// decodePage reads {"<key>": [...], "total": N, ...}.
func decodePage[T any](body []byte, key string) ([]T, int, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, 0, provider.Errorf(provider.ErrMalformed, "answer is not a JSON object")
	}
	raw, ok := fields[key]
	if !ok {
		return nil, 0, provider.Errorf(provider.ErrMalformed, "answer has no %q list", key)
	}
	var items []T
	if err := json.Unmarshal(raw, &items); err != nil {
		if errors.Is(err, provider.ErrMalformed) { // a timestamp said why
			return nil, 0, fmt.Errorf("%s: %w", key, err)
		}
		return nil, 0, provider.Errorf(provider.ErrMalformed, "%s: %v", key, err)
	}
	var total int
	_ = json.Unmarshal(fields["total"], &total) // informational only
	return items, total, nil
}

// get fetches one page: it waits for the key's budget, sends the request,
// and handles 401 (the other key), 429 (wait and retry, or hand the wait to
// the caller) and every other answer. It returns the body of a 200.
func (c *Client) get(ctx context.Context, target string, st *Stats) ([]byte, error) {
	k := int(c.active.Load())
	refused, limited := 0, 0
	for {
		key := c.keys[k]
		granted, err := c.wait(ctx, key)
		if err != nil {
			return nil, err
		}
		st.Requests++
		start := c.now()
		resp, err := c.send(ctx, target, key.creds)
		c.metrics.observe(target, key.name, resp, c.now().Sub(start))
		if err != nil {
			return nil, err
		}
		now := c.now()
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			discard(resp)
			refused++
			if len(c.keys) == 1 {
				return nil, provider.Errorf(provider.ErrUnauthenticated, "the ShipStation API key was refused (401)")
			}
			if refused == len(c.keys) {
				return nil, provider.Errorf(provider.ErrUnauthenticated, "both ShipStation API keys were refused (401)")
			}
			other := 1 - k
			c.log.Warn("ShipStation refused an API key (401); trying the other",
				zap.String("refused_key", key.name), zap.String("trying_key", c.keys[other].name))
			k = other
			continue
		case resp.StatusCode == http.StatusTooManyRequests:
			delay := max(resetDelay(resp.Header, default429Wait), time.Second)
			discard(resp)
			c.heard(ctx, key, serverSaid{granted: granted, at: now, limited: true, reset: delay})
			limited++
			if limited > max429Retries {
				return nil, &RetryAfterError{Delay: delay, Err: provider.Errorf(provider.ErrUnavailable,
					"ShipStation rate limit reached (429) %d times in a row", limited)}
			}
			continue // wait() sits the delay out or hands it to the caller
		}
		c.heard(ctx, key, readRateHeaders(resp.Header, granted, now))
		body, err := readAnswer(resp)
		if err != nil {
			return nil, err
		}
		if prev := c.active.Load(); int(prev) != k && c.active.CompareAndSwap(prev, int32(k)) {
			c.log.Warn("switched ShipStation API key", zap.String("key_in_use", key.name))
		}
		return body, nil
	}
}

// send performs one GET. Transport failures, including timeouts and a
// cancelled ctx, are ErrUnavailable.
func (c *Client) send(ctx context.Context, target string, creds Credentials) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, provider.Errorf(provider.ErrMalformed, "building the request: %v", err)
	}
	req.SetBasicAuth(creds.Key, creds.Secret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "hookstream")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, ctxErr)
		}
		// The *url.Error names the URL, which holds no secret (the
		// credentials travel in a header).
		return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	return resp, nil
}

// readAnswer turns a non-401, non-429 answer into its body or an error of
// the right category, and closes it.
func readAnswer(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	code := resp.StatusCode
	if code != http.StatusOK {
		msg := errorMessage(resp.Body)
		switch {
		case code >= 300 && code < 400:
			return nil, provider.Errorf(provider.ErrMalformed, "ShipStation answered %d; redirect refused", code)
		case code == http.StatusRequestTimeout || code >= 500:
			return nil, provider.Errorf(provider.ErrUnavailable, "ShipStation answered %d%s", code, msg)
		default:
			return nil, provider.Errorf(provider.ErrMalformed, "ShipStation answered %d%s", code, msg)
		}
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		// A 200 that is not JSON is a proxy's or maintenance page, not
		// ShipStation's answer: worth retrying.
		discardBody(resp.Body)
		return nil, provider.Errorf(provider.ErrUnavailable, "ShipStation answered 200 with a non-JSON content type")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %w", provider.ErrUnavailable, err)
	}
	if len(body) > MaxResponseSize {
		return nil, provider.Errorf(provider.ErrMalformed, "answer is larger than %d bytes", MaxResponseSize)
	}
	return body, nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// errorMessage returns ": <message>" from an error answer's JSON
// {"message"|"Message": ...}, shortened, or "".
func errorMessage(body io.Reader) string {
	data, _ := io.ReadAll(io.LimitReader(body, 4<<10))
	var m struct {
		Message string `json:"message"` // matches "Message" too
	}
	if json.Unmarshal(bytes.TrimSpace(data), &m) != nil || m.Message == "" {
		return ""
	}
	msg := m.Message
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return ": " + strconv.Quote(msg)
}

// discard drains a little of the body, so the connection can be reused,
// and closes it.
func discard(resp *http.Response) {
	discardBody(resp.Body)
	resp.Body.Close()
}

func discardBody(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10)) }

// sleepContext waits d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
