package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// `hookstream send -n 30 -drop 0.33` against `hookstream dev`: 10 of the
// 30 import batches are never delivered, and dev's reconciler brings their
// orders in: every order of the 30 batches ends in ORDERS exactly once,
// and hookstream_reconcile_found_total is the number of orders in the
// dropped batches.
func TestDevReconcilesDroppedWebhooks(t *testing.T) {
	env := startReconcilingDev(t)
	ctx := context.Background()
	var out bytes.Buffer
	err := run(context.Background(), []string{"send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL, "-shipstation-api", env.apiURL,
		"-n", "30", "-drop", "0.33", "shipstation", "ORDER_NOTIFY"}, &out)
	if err != nil || !strings.Contains(out.String(), "30 created, 20 webhooks delivered, 10 dropped") {
		t.Fatalf("send: %v\n%s", err, out.String())
	}

	hosts, _ := shipstation.ParseResourceHosts(regexp.QuoteMeta(strings.TrimPrefix(env.apiURL, "http://")))
	client, err := shipstation.NewClient(shipstation.ClientConfig{
		Primary: shipstation.Credentials{Key: devShipStationKey, Secret: devShipStationSec}, BaseURL: env.apiURL,
		Resources: shipstation.ResourcePolicy{Hosts: hosts, AllowHTTP: true}, RateLimit: 100_000,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every order the sandbox holds, and those of the delivered batches.
	var all []shipstation.Order
	now := time.Now()
	if _, err := client.OrdersModified(ctx, shipstation.Window{Start: now.Add(-time.Hour), End: now.Add(time.Minute)}, func(p []shipstation.Order) error {
		all = append(all, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	js := devJetStream(t, env)
	delivered := 0
	for _, body := range streamData(t, js, catalog.StreamWebhooks, "webhooks.shipstation.order_notify") {
		var hook struct {
			ResourceURL string `json:"resource_url"`
		}
		if err := json.Unmarshal(body, &hook); err != nil {
			t.Fatal(err)
		}
		orders, _, err := client.ListOrders(ctx, hook.ResourceURL)
		if err != nil {
			t.Fatal(err)
		}
		delivered += len(orders)
	}
	dropped := len(all) - delivered
	if dropped <= 0 {
		t.Fatalf("%d orders in all, %d delivered", len(all), delivered)
	}
	natstest.Eventually(t, "every order in ORDERS", func() bool {
		return countOn(t, js, catalog.StreamOrders, "orders.shipstation.upserted") >= uint64(len(all))
	})
	found := func() float64 { return reconcileMetric(t, env, "hookstream_reconcile_found_total") }
	natstest.Eventually(t, "the reconciler to count the dropped orders", func() bool { return found() >= float64(dropped) })
	// Five more runs of every kind over the same window change nothing.
	runs := reconcileMetric(t, env, "hookstream_reconcile_runs_total")
	natstest.Eventually(t, "five more runs", func() bool { return reconcileMetric(t, env, "hookstream_reconcile_runs_total") >= runs+25 })
	if got := found(); got != float64(dropped) {
		t.Errorf("hookstream_reconcile_found_total = %v, want %d (orders in the dropped batches)", got, dropped)
	}
	perOrder := map[string]int{}
	for _, subject := range streamSubjects(t, js, catalog.StreamOrders) {
		perOrder[subject]++
	}
	if len(perOrder) != len(all) {
		t.Errorf("%d orders in ORDERS, want %d", len(perOrder), len(all))
	}
	for subject, n := range perOrder {
		if n != 1 {
			t.Errorf("%d events on %s, want 1", n, subject)
		}
	}
}

// The same with Snipcart's order.completed: 10 of 30 new orders are never
// announced, and the reconciler lists them from the Snipcart sandbox.
func TestDevReconcilesDroppedSnipcartWebhooks(t *testing.T) {
	env := startReconcilingDev(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL, "-shipstation-api", env.apiURL,
		"-n", "30", "-drop", "0.33", "snipcart", "order.completed"}, &out)
	if err != nil || !strings.Contains(out.String(), "30 created, 20 webhooks delivered, 10 dropped") {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	js := devJetStream(t, env)
	natstest.Eventually(t, "30 Snipcart orders in ORDERS", func() bool {
		return countOn(t, js, catalog.StreamOrders, "orders.snipcart.upserted") >= 30
	})
	natstest.Eventually(t, "found = 10", func() bool { return reconcileMetric(t, env, "hookstream_reconcile_found_total") >= 10 })
	runs := reconcileMetric(t, env, "hookstream_reconcile_runs_total")
	natstest.Eventually(t, "five more runs", func() bool { return reconcileMetric(t, env, "hookstream_reconcile_runs_total") >= runs+25 })
	if got := reconcileMetric(t, env, "hookstream_reconcile_found_total"); got != 10 {
		t.Errorf("hookstream_reconcile_found_total = %v, want 10", got)
	}
	if n := countOn(t, js, catalog.StreamOrders, "orders.snipcart.upserted"); n != 30 {
		t.Errorf("%d Snipcart order events, want 30 (one per order)", n)
	}
}

// The same with SHOPLINE's orders/create: 10 of 30 new orders are never
// announced, and the reconciler lists them from the SHOPLINE sandbox's
// store; the delivered ones are not found again, and none has two events.
func TestDevReconcilesDroppedShoplineWebhooks(t *testing.T) {
	env := startReconcilingDev(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL, "-shipstation-api", env.apiURL,
		"-n", "30", "-drop", "0.33", "shopline", "orders/create"}, &out)
	if err != nil || !strings.Contains(out.String(), "30 created, 20 webhooks delivered, 10 dropped") {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	js := devJetStream(t, env)
	natstest.Eventually(t, "30 SHOPLINE orders in ORDERS", func() bool {
		return countOn(t, js, catalog.StreamOrders, "orders.shopline.upserted") >= 30
	})
	natstest.Eventually(t, "found = 10", func() bool { return reconcileMetric(t, env, "hookstream_reconcile_found_total") >= 10 })
	runs := reconcileMetric(t, env, "hookstream_reconcile_runs_total")
	natstest.Eventually(t, "five more runs", func() bool { return reconcileMetric(t, env, "hookstream_reconcile_runs_total") >= runs+30 })
	if got := reconcileMetric(t, env, "hookstream_reconcile_found_total"); got != 10 {
		t.Errorf("hookstream_reconcile_found_total = %v, want 10", got)
	}
	perOrder := map[string]int{}
	for _, subject := range streamSubjects(t, js, catalog.StreamOrders) {
		perOrder[subject]++
	}
	if len(perOrder) != 30 {
		t.Errorf("%d orders in ORDERS, want 30", len(perOrder))
	}
	for subject, n := range perOrder {
		if n != 1 {
			t.Errorf("%d events on %s, want 1", n, subject)
		}
	}
	if n := len(streamData(t, js, catalog.StreamWebhooks, "webhooks.shopline.reconciled.order")); n != 10 {
		t.Errorf("%d reconciled SHOPLINE orders in WEBHOOKS, want 10", n)
	}
}

// startReconcilingDev starts `hookstream dev` with a reconciler that runs
// every 200ms and leaves changes 3s to their webhooks, and no API budget
// in the way.
func startReconcilingDev(t *testing.T) *devEnv {
	t.Helper()
	return startTestDevWith(t, devOptions{reconcile: 200 * time.Millisecond, settle: 3 * time.Second, apiBudget: 100_000})
}

// reconcileMetric sums a counter of dev's reconciler over its labels.
func reconcileMetric(t *testing.T, env *devEnv, name string) float64 {
	t.Helper()
	families, err := env.reconciler.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// streamData returns the data of every message on subject in stream.
func streamData(t *testing.T, js jetstream.JetStream, stream, subject string) [][]byte {
	t.Helper()
	var out [][]byte
	eachMsg(t, js, stream, subject, func(m *jetstream.RawStreamMsg) { out = append(out, m.Data) })
	return out
}

// streamSubjects returns the subject of every message in stream.
func streamSubjects(t *testing.T, js jetstream.JetStream, stream string) []string {
	t.Helper()
	var out []string
	eachMsg(t, js, stream, "", func(m *jetstream.RawStreamMsg) { out = append(out, m.Subject) })
	return out
}

// eachMsg calls f with every message of stream, in stream order (only
// those on subject, unless it is "").
func eachMsg(t *testing.T, js jetstream.JetStream, stream, subject string, f func(*jetstream.RawStreamMsg)) {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if subject == "" || m.Subject == subject {
			f(m)
		}
	}
}
