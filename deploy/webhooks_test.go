package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/schemas"
)

// sender posts correctly authenticated sample webhooks, as a provider
// would, to a gateway configured with the development setup's secrets.
type sender struct {
	gateway     string // gateway base URL
	sandbox     string // sandbox base URL (Snipcart tokens)
	api         string // ShipStation V1 API base URL, for resource_url
	token       string // SHIPSTATION_WEBHOOK_TOKEN
	shoplineKey string // SHOPLINE_APP_SECRET
}

// send posts the catalog's example of provider's event and returns the
// gateway's status and answer.
func (s sender) send(t *testing.T, provider, event string) (int, string) {
	t.Helper()
	et, err := catalog.Webhook(provider, event)
	if err != nil {
		t.Fatal(err)
	}
	body, headers, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	target := s.gateway + "/webhooks/" + provider
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range headers {
		h.Set(k, v)
	}
	switch provider {
	case catalog.ShipStation:
		target += "?token=" + url.QueryEscape(s.token)
		var hook map[string]string
		if err := json.Unmarshal(body, &hook); err != nil {
			t.Fatal(err)
		}
		res, err := url.Parse(hook["resource_url"])
		if err != nil {
			t.Fatal(err)
		}
		api, _ := url.Parse(s.api)
		res.Scheme, res.Host = api.Scheme, api.Host
		hook["resource_url"] = res.String()
		if body, err = json.Marshal(hook); err != nil {
			t.Fatal(err)
		}
	case catalog.Snipcart:
		h.Set(snipcart.HeaderRequestToken, s.snipcartToken(t))
	case catalog.Shopline:
		h.Set(shopline.HeaderHmac, shopline.Sign(s.shoplineKey, body))
	}
	return s.post(t, target, h, body)
}

// sendShopline posts a SHOPLINE webhook with the given body and headers,
// signed.
func (s sender) sendShopline(t *testing.T, body []byte, headers map[string]string) (int, string) {
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range headers {
		h.Set(k, v)
	}
	h.Set(shopline.HeaderHmac, shopline.Sign(s.shoplineKey, body))
	return s.post(t, s.gateway+"/webhooks/shopline", h, body)
}

func (s sender) post(t *testing.T, target string, h http.Header, body []byte) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, err.Error()
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// snipcartToken has the sandbox issue a request token, as Snipcart puts
// one on each webhook.
func (s sender) snipcartToken(t *testing.T) string {
	t.Helper()
	resp, err := http.Post(s.sandbox+sandbox.SnipcartIssuePath, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var issued struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&issued); err != nil || issued.Token == "" {
		t.Fatalf("sandbox issued no Snipcart token (%s): %v", resp.Status, err)
	}
	return issued.Token
}

// mustSend sends and fails the test unless the gateway stored the webhook.
func (s sender) mustSend(t *testing.T, provider, event string) {
	t.Helper()
	code, answer := s.send(t, provider, event)
	if code != http.StatusOK || !strings.Contains(answer, `"stored"`) {
		t.Fatalf("%s %s: gateway answered %d %s", provider, event, code, answer)
	}
}

// holdWebhook is a SHOPLINE fulfillment_order/on_hold for fulfillment
// order id, delivered as webhook id: the example with both replaced.
func holdWebhook(t *testing.T, id, webhookID string) ([]byte, map[string]string) {
	t.Helper()
	et, err := catalog.Webhook(catalog.Shopline, "fulfillment_order/on_hold")
	if err != nil {
		t.Fatal(err)
	}
	body, headers, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	doc["fulfillment_order"]["id"] = id
	if body, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	for k, v := range headers {
		h[k] = v
	}
	h["X-Shopline-Webhook-Id"] = webhookID
	return body, h
}

// holdHook is one SHOPLINE hold webhook of a load: its body and headers.
type holdHook struct {
	body    []byte
	headers map[string]string
}

// holdHooks makes n hold webhooks, each for its own fulfillment order.
func holdHooks(t *testing.T, n int, orderID, webhookID func(int) string) []holdHook {
	t.Helper()
	hooks := make([]holdHook, n)
	for i := range hooks {
		hooks[i].body, hooks[i].headers = holdWebhook(t, orderID(i), webhookID(i))
	}
	return hooks
}

// loadResult is what a provider saw of one webhook.
type loadResult struct {
	acked    bool
	attempts int
	last     string // the last answer
}

// sendLikeAProvider sends hooks with workers senders, each webhook until it
// is answered 2xx (every 500 ms, at most attempts times), through the
// sender gateway(i, attempt) picks, as a provider would. progress(n) is
// called once the n-th webhook is done (to time a fault).
func sendLikeAProvider(t *testing.T, hooks []holdHook, workers, attempts int, gateway func(i, attempt int) sender, progress func(done int)) []loadResult {
	results := make([]loadResult, len(hooks))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(hooks) {
					return
				}
				for attempt := 1; attempt <= attempts; attempt++ {
					code, answer := gateway(i, attempt).sendShopline(t, hooks[i].body, hooks[i].headers)
					results[i].attempts, results[i].last = attempt, fmt.Sprintf("%d %s", code, answer)
					if code/100 == 2 {
						results[i].acked = true
						break
					}
					time.Sleep(500 * time.Millisecond)
				}
				progress(int(done.Add(1)))
			}
		})
	}
	wg.Wait()
	return results
}
