package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// apiLog records every request the ShipStation sandbox answers: when it
// arrived, its collection and batch, and the status.
type apiLog struct {
	mu   sync.Mutex
	hits []apiHit
}

type apiHit struct {
	at     time.Time
	batch  string // path?batch
	status int
	// background: a reconciler's list by date (modifyDateStart,
	// createDateStart, voidDateStart), not a webhook's batch.
	background bool
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (l *apiLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		q := r.URL.Query()
		l.mu.Lock()
		l.hits = append(l.hits, apiHit{at: at, batch: r.URL.Path + "?" + q.Get("importBatch") + q.Get("batchId"), status: sw.status,
			background: q.Has("modifyDateStart") || q.Has("createDateStart") || q.Has("voidDateStart")})
		l.mu.Unlock()
	})
}

func (l *apiLog) snapshot() []apiHit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.hits)
}

// maxInWindow is the most requests that arrived within any window.
func maxInWindow(hits []apiHit, window time.Duration) int {
	times := make([]time.Time, len(hits))
	for i, h := range hits {
		times[i] = h.at
	}
	slices.SortFunc(times, time.Time.Compare)
	most, first := 0, 0
	for last := range times {
		for times[last].Sub(times[first]) >= window {
			first++
		}
		most = max(most, last-first+1)
	}
	return most
}

// windowBefore returns the hits that arrived within window before t.
func windowBefore(hits []apiHit, t time.Time, window time.Duration) []apiHit {
	var in []apiHit
	for _, h := range hits {
		if h.at.Before(t) && t.Sub(h.at) < window {
			in = append(in, h)
		}
	}
	return in
}

// TestOneShipStationBudgetForEveryProcess is issue 13's "done when": the
// three services that call ShipStation's V1 API, two processes each, and
// two reconciler processes (a background caller), all with one API key,
// against the sandbox API with its rate limit on (10 requests in a 4s
// window, the services told the same), driven by far more webhooks than
// the budget allows at once. ShipStation answers no 429, and no window of
// its length ever holds more requests than the limit; every webhook's
// resource is fetched, and the reconciler gets what the webhooks leave,
// only ever while more than its reserve is left.
func TestOneShipStationBudgetForEveryProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs nats-server and six service processes; skipped with -short")
	}
	const (
		limit     = 10
		window    = 4 * time.Second
		perKind   = 15 // webhooks per service
		apiKey    = "budget-key"
		apiSecret = "budget-secret"
	)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin+string(filepath.Separator),
		"github.com/nats-io/nats-server/v2", "../services/order-enricher/cmd/order-enricher",
		"../services/shipment-tracker/cmd/shipment-tracker", "../services/fulfillment-holds/cmd/fulfillment-holds",
		"../services/reconciler/cmd/reconciler")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	api := sandbox.NewShipStationAPI(sandbox.ShipStationKey{Key: apiKey, Secret: apiSecret})
	api.SetRateLimit(limit, window)
	var hits apiLog
	apiSrv := httptest.NewServer(hits.wrap(api))
	t.Cleanup(apiSrv.Close)

	natsURL, js := startNATSWithWebhooks(ctx, t, tmp, bin)

	env := map[string]string{
		"NATS_URL":                 natsURL,
		"HEALTH_ADDR":              "-",
		"LOG_LEVEL":                "warn",
		"CONSUMER_ACK_WAIT":        "5s",
		"SHIPSTATION_API_KEY":      apiKey,
		"SHIPSTATION_API_SECRET":   apiSecret,
		"SHIPSTATION_API_URL":      apiSrv.URL,
		"SHIPSTATION_RATE_LIMIT":   strconv.Itoa(limit),
		"SHIPSTATION_RATE_WINDOW":  window.String(),
		"CONSUMER_HANDLER_TIMEOUT": "20s",
	}
	kinds := []struct {
		service, event, path, param string
	}{
		{"order-enricher", "ORDER_NOTIFY", "/orders", "importBatch"},
		{"shipment-tracker", "SHIP_NOTIFY", "/shipments", "batchId"},
		{"fulfillment-holds", "FULFILLMENT_REJECTED", "/fulfillments", "batchId"},
	}
	for _, k := range kinds {
		for r := range 2 {
			startProc(t, tmp, fmt.Sprintf("%s-%d", k.service, r), filepath.Join(bin, k.service), env)
		}
	}

	// The reconciler, two replicas taking turns (its lease), listing the
	// sandbox's changes every 200ms: far more than the budget leaves it.
	recEnv := maps.Clone(env)
	recEnv["RECONCILE_INTERVAL"], recEnv["RECONCILE_SETTLE"], recEnv["RECONCILE_LEASE"] = "200ms", "1ms", "2s"
	for r := range 2 {
		startProc(t, tmp, fmt.Sprintf("reconciler-%d", r), filepath.Join(bin, "reconciler"), recEnv)
	}

	// The webhooks, as the gateway publishes them, all at once.
	var want []string
	for _, k := range kinds {
		et, err := catalog.Webhook(catalog.ShipStation, k.event)
		if err != nil {
			t.Fatal(err)
		}
		for i := range perKind {
			batch := fmt.Sprintf("budget-%s-%d", k.service, i)
			want = append(want, k.path+"?"+batch)
			data, _ := json.Marshal(map[string]string{
				"resource_url":  fmt.Sprintf("%s%s?storeID=123456&%s=%s", apiSrv.URL, k.path, k.param, batch),
				"resource_type": k.event,
			})
			msg, err := ce.NewMsg(et.Subject, ce.Attributes{
				ID: batch, Source: "/shipstation/stores/123456", Type: et.Type, Time: time.Now(), DataContentType: "application/json",
			}, data)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := js.PublishMsg(ctx, msg); err != nil {
				t.Fatal(err)
			}
		}
	}

	fetched := func() (missing []string) {
		ok := map[string]bool{}
		for _, h := range hits.snapshot() {
			if h.status == http.StatusOK {
				ok[h.batch] = true
			}
		}
		for _, b := range want {
			if !ok[b] {
				missing = append(missing, b)
			}
		}
		return missing
	}
	deadline := time.Now().Add(3 * time.Minute)
	for missing := fetched(); len(missing) > 0; missing = fetched() {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d webhooks' resources never fetched, e.g. %s", len(missing), len(want), missing[0])
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The webhooks are done: the reconciler has the budget to itself now,
	// less the reserve.
	background := func() int {
		n := 0
		for _, h := range hits.snapshot() {
			if h.status == http.StatusOK && h.background {
				n++
			}
		}
		return n
	}
	before := background()
	eventually(t, 3*window, "the reconciler to use the budget the webhooks left", func() bool { return background() > before })

	all := hits.snapshot()
	statuses := map[int]int{}
	for _, h := range all {
		statuses[h.status]++
	}
	if statuses[http.StatusTooManyRequests] > 0 {
		t.Errorf("the sandbox answered %d requests with 429", statuses[http.StatusTooManyRequests])
	}
	most := maxInWindow(all, window)
	if most > limit {
		t.Errorf("%d requests arrived within one %s window, the limit is %d", most, window, limit)
	}
	// The reconciler sent only while more than its reserve (3 of 10) was
	// left in the window: before each of its requests, at most 6 others in
	// the window. The budget counts a request when it grants it, the
	// sandbox when it arrives, a scheduling delay later: a request granted
	// just before the reconciler's window began can arrive just inside it
	// (seen once in CI, 7 before it). So this check leaves out the window's
	// first arrivalSkew; the limit above holds to the whole window.
	reserve := (limit*shipstation.DefaultBackgroundReservePercent + 99) / 100
	const arrivalSkew = 500 * time.Millisecond
	for _, h := range all {
		if !h.background {
			continue
		}
		if n := len(windowBefore(all, h.at, window-arrivalSkew)); n > limit-reserve-1 {
			t.Errorf("the reconciler sent at %s with %d requests in the window before it; its reserve leaves room for %d",
				h.at.Sub(all[0].at).Round(time.Millisecond), n, limit-reserve-1)
		}
	}
	first, last := all[0].at, all[len(all)-1].at
	t.Logf("%d requests in %s (statuses %v), at most %d in any %s window (limit %d), %d by the reconciler",
		len(all), last.Sub(first).Round(time.Millisecond), statuses, most, window, limit, background())
}
