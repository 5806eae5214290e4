package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/services/gateway"
)

const (
	testShipStationToken = "test-shipstation-token"
	testSnipcartKey      = "test-snipcart-key"
	testShoplineSecret   = "test-shopline-secret"
	testMaxBody          = 64 << 10
)

// harness is a gateway on a real embedded JetStream server, with sandbox
// provider APIs on loopback.
type harness struct {
	t        *testing.T
	ns       *natstest.Server
	js       jetstream.JetStream
	gw       *gateway.Gateway
	url      string // the gateway's base URL
	client   *http.Client
	snipcart *sandbox.Snipcart
	v2       *sandbox.ShipStationV2
	cfg      gateway.Config
	log      *zap.Logger
	// sender is whose webhooks signed makes: the default account's, or
	// a named account's (see as).
	sender sender
	// senders are the named accounts of newAccountsHarness.
	senders map[string]sender
}

// sender is an account as its providers know it: where its webhooks go
// and the secrets they are signed with.
type sender struct {
	account          string // "" the default account
	shipstationToken string
	snipcart         *sandbox.Snipcart // issues the account's request tokens
	shoplineSecret   string
	shoplineShopID   string // "" the examples' shop
}

// newHarness starts everything; env overrides or removes ("" value)
// gateway variables.
func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	return newHarnessLogging(t, env, zaptest.NewLogger(t))
}

// newHarnessLogging is newHarness with the gateway logging to log.
func newHarnessLogging(t *testing.T, env map[string]string, log *zap.Logger) *harness {
	t.Helper()
	h := &harness{t: t, ns: natstest.Run(t), snipcart: sandbox.NewSnipcart(testSnipcartKey)}
	h.js = h.ns.JetStream()
	snipcartAPI := httptest.NewServer(h.snipcart)
	t.Cleanup(snipcartAPI.Close)
	var err error
	if h.v2, err = sandbox.NewShipStationV2(); err != nil {
		t.Fatal(err)
	}
	v2API := httptest.NewServer(h.v2)
	t.Cleanup(v2API.Close)

	vars := map[string]string{
		"SHIPSTATION_WEBHOOK_TOKEN": testShipStationToken,
		"SHIPSTATION_V2_JWKS_URL":   v2API.URL + "/jwks",
		"SNIPCART_SECRET_KEY":       testSnipcartKey,
		"SNIPCART_API_URL":          snipcartAPI.URL,
		"SHOPLINE_APP_SECRET":       "old-secret, " + testShoplineSecret,
		"GATEWAY_MAX_BODY_BYTES":    "65536",
		"GATEWAY_PUBLISH_TIMEOUT":   "1s",
		"GATEWAY_VERIFY_TIMEOUT":    "500ms",
	}
	for k, v := range env {
		vars[k] = v
	}
	if h.cfg, err = gateway.Load(envconf.Map(vars)); err != nil {
		t.Fatal(err)
	}
	h.log = log
	h.sender = sender{shipstationToken: testShipStationToken, snipcart: h.snipcart, shoplineSecret: testShoplineSecret}
	h.gw, h.url, h.client = h.startGateway()
	return h
}

// The named accounts of newAccountsHarness. One SHOPLINE app, its secret
// testSharedAppSecret, is installed in the shops of east and west; south's
// shop installed another app.
const (
	testSharedAppSecret = "shared-app-secret"
	testOtherAppSecret  = "other-app-secret"
	testEastShopID      = "1610418123456" // the examples' shop
	testWestShopID      = "1610418999999"
	testSouthShopID     = "1610418777777"
)

// newAccountsHarness is newHarness with an accounts file naming, beside
// the default account: ShipStation accounts east, west and north (API keys
// only, no webhook token); Snipcart accounts east and west, each with a
// sandbox Snipcart of its own; SHOPLINE accounts east, west and south.
func newAccountsHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	return newAccountsHarnessLogging(t, env, zaptest.NewLogger(t))
}

// newAccountsHarnessLogging is newAccountsHarness with the gateway logging
// to log.
func newAccountsHarnessLogging(t *testing.T, env map[string]string, log *zap.Logger) *harness {
	t.Helper()
	snipcarts := map[string]*sandbox.Snipcart{}
	for _, name := range []string{"east", "west"} {
		snipcarts[name] = sandbox.NewSnipcart(name + "-snipcart-key")
	}
	apiURL := func(name string) string {
		srv := httptest.NewServer(snipcarts[name])
		t.Cleanup(srv.Close)
		return srv.URL
	}
	path := filepath.Join(t.TempDir(), "accounts.yaml")
	file := `
shipstation:
  - account: east
    webhook_token: {env: EAST_SHIPSTATION_WEBHOOK_TOKEN}
  - account: west
    webhook_token: {env: WEST_SHIPSTATION_WEBHOOK_TOKEN}
  - account: north
    api_key: {env: NORTH_SHIPSTATION_API_KEY}
    api_secret: {env: NORTH_SHIPSTATION_API_SECRET}
snipcart:
  - account: east
    secret_key: {env: EAST_SNIPCART_SECRET_KEY}
    api_url: ` + apiURL("east") + `
  - account: west
    secret_key: {env: WEST_SNIPCART_SECRET_KEY}
    api_url: ` + apiURL("west") + `
shopline:
  - account: east
    shop_id: "` + testEastShopID + `"
    app_secret: {env: SHARED_APP_SECRET}
  - account: west
    shop_id: "` + testWestShopID + `"
    app_secret: {env: SHARED_APP_SECRET}
  - account: south
    shop_id: "` + testSouthShopID + `"
    app_secret: {env: OTHER_APP_SECRET}
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"HOOKSTREAM_ACCOUNTS_FILE":       path,
		"EAST_SHIPSTATION_WEBHOOK_TOKEN": "east-shipstation-token",
		"WEST_SHIPSTATION_WEBHOOK_TOKEN": "west-shipstation-token",
		"NORTH_SHIPSTATION_API_KEY":      "north-key",
		"NORTH_SHIPSTATION_API_SECRET":   "north-secret",
		"EAST_SNIPCART_SECRET_KEY":       "east-snipcart-key",
		"WEST_SNIPCART_SECRET_KEY":       "west-snipcart-key",
		"SHARED_APP_SECRET":              testSharedAppSecret,
		"OTHER_APP_SECRET":               testOtherAppSecret,
	}
	for k, v := range env {
		vars[k] = v
	}
	h := newHarnessLogging(t, vars, log)
	h.senders = map[string]sender{
		"east":  {account: "east", shipstationToken: "east-shipstation-token", snipcart: snipcarts["east"], shoplineSecret: testSharedAppSecret, shoplineShopID: testEastShopID},
		"west":  {account: "west", shipstationToken: "west-shipstation-token", snipcart: snipcarts["west"], shoplineSecret: testSharedAppSecret, shoplineShopID: testWestShopID},
		"north": {account: "north"},
		"south": {account: "south", shoplineSecret: testOtherAppSecret, shoplineShopID: testSouthShopID},
	}
	return h
}

// as is the harness sending as the named account of newAccountsHarness.
func (h *harness) as(account string) *harness {
	h.t.Helper()
	s, ok := h.senders[account]
	if !ok {
		h.t.Fatalf("no account %q in the harness", account)
	}
	r := *h
	r.sender = s
	return &r
}

// startGateway starts a gateway with the harness's configuration on the
// harness's server, with a connection of its own (the options cmd/gateway
// uses), served on loopback until the test ends.
func (h *harness) startGateway() (*gateway.Gateway, string, *http.Client) {
	t := h.t
	t.Helper()
	gnc, err := nats.Connect(h.ns.ClientURL(), append(gateway.NATSOptions(),
		nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gnc.Close)
	gw, err := gateway.New(h.cfg, gnc, h.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	if err := gw.EnsureStreams(context.Background()); err != nil {
		t.Fatal(err)
	}
	url, client := serve(t, gw)
	return gw, url, client
}

// replica is the harness with requests going to a second gateway replica
// on the same server and sandboxes.
func (h *harness) replica() *harness {
	h.t.Helper()
	r := *h
	r.gw, r.url, r.client = h.startGateway()
	return &r
}

// serve runs gw on a loopback port until the end of the test and returns
// its base URL and a client for it.
func serve(t testing.TB, gw *gateway.Gateway) (string, *http.Client) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()
	client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		cancel()
		if err := <-served; err != nil {
			t.Errorf("gateway.Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), client
}

// request is one HTTP request to the gateway.
type request struct {
	method  string
	path    string // with query
	header  http.Header
	body    []byte
	chunked bool // send the body chunked, without a Content-Length
}

// answer is the gateway's response.
type answer struct {
	code   int
	header http.Header
	body   map[string]any
}

func (h *harness) do(r request) answer {
	h.t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	var body io.Reader = bytes.NewReader(r.body)
	if r.chunked {
		body = io.MultiReader(body) // of unknown length
	}
	req, err := http.NewRequest(r.method, h.url+r.path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, header: resp.Header}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		h.t.Errorf("%s %s: Content-Type %q, want application/json (body %s)", r.method, r.path, ct, raw)
	}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		h.t.Errorf("%s %s: answer is not JSON: %q", r.method, r.path, raw)
	}
	return a
}

// signed returns the request the provider would send for a catalog event
// with body to the harness's sender: for a named account, at its URL, and
// for SHOPLINE about its shop (the examples' shop id replaced in headers
// and body).
func (h *harness) signed(et catalog.EventType, body []byte, headers map[string]string) request {
	h.t.Helper()
	s := h.sender
	r := request{path: "/webhooks/" + et.Provider, body: body, header: http.Header{"Content-Type": {"application/json"}}}
	for k, v := range headers {
		r.header.Set(k, v)
	}
	account := ""
	if s.account != "" {
		account = "/" + s.account
	}
	switch {
	case et.Provider == catalog.ShipStation && strings.HasSuffix(et.Schema, "shipstation-v2.schema.json"): // the V2 events and API_TRACK
		r.path = "/webhooks/shipstation/v2" + account
		signed, err := h.v2.Headers(body)
		if err != nil {
			h.t.Fatal(err)
		}
		for k, v := range signed {
			r.header.Set(k, v)
		}
	case et.Provider == catalog.ShipStation:
		r.path += account + "?token=" + s.shipstationToken
	case et.Provider == catalog.Snipcart:
		r.path += account
		r.header.Set(snipcart.HeaderRequestToken, s.snipcart.Issue())
	case et.Provider == catalog.Shopline:
		r.path += account
		if example := r.header.Get(shopline.HeaderShopID); s.shoplineShopID != "" && example != "" && example != s.shoplineShopID {
			r.header.Set(shopline.HeaderShopID, s.shoplineShopID)
			r.body = bytes.ReplaceAll(body, []byte(example), []byte(s.shoplineShopID))
		}
		r.header.Set(shopline.HeaderTopic, et.Event)
		r.header.Set(shopline.HeaderHmac, shopline.Sign(s.shoplineSecret, r.body))
	}
	return r
}

// byID returns the stored message whose ce-id is id.
func (h *harness) byID(id string) *jetstream.RawStreamMsg {
	h.t.Helper()
	ctx := context.Background()
	info, err := h.stream().Info(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := h.stream().GetMsg(ctx, seq)
		if err != nil {
			continue // deleted
		}
		if m.Header.Get("ce-id") == id {
			return m
		}
	}
	h.t.Fatalf("no message with ce-id %q", id)
	return nil
}

func (h *harness) stream() jetstream.Stream {
	h.t.Helper()
	s, err := h.js.Stream(context.Background(), catalog.StreamWebhooks)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// stored is the number of messages in WEBHOOKS.
func (h *harness) stored() uint64 {
	h.t.Helper()
	info, err := h.stream().Info(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return info.State.Msgs
}

// onSubject is the number of messages on one subject.
func (h *harness) onSubject(subject string) uint64 {
	h.t.Helper()
	info, err := h.stream().Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		h.t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// last returns the last message on subject.
func (h *harness) last(subject string) *jetstream.RawStreamMsg {
	h.t.Helper()
	m, err := h.stream().GetLastMsgForSubject(context.Background(), subject)
	if err != nil {
		h.t.Fatalf("no message on %s: %v", subject, err)
	}
	return m
}

func wantCode(t *testing.T, a answer, code int) {
	t.Helper()
	if a.code != code {
		t.Fatalf("status %d, want %d; body %v", a.code, code, a.body)
	}
}

func nopLogger() *zap.Logger { return zap.NewNop() }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
