package reconciler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/services/reconciler"
)

// TestDroppedWebhooksAreReconciled: with a third of the webhooks never
// delivered, one reconciliation run brings every order, label and
// fulfillment to its canonical stream, each exactly once, and
// hookstream_reconcile_found_total is the number dropped. A second run over
// the same window (the overlap) finds nothing and publishes nothing, and
// so do the dropped webhooks delivered late.
func TestDroppedWebhooksAreReconciled(t *testing.T) {
	h := newHarness(t)
	for i := range 30 {
		drop := i%3 == 2
		switch i % 5 {
		case 0, 1, 2:
			h.create("/orders", fmt.Sprintf("import-%d", i), 1+i%2, drop)
		case 3:
			h.create("/shipments", fmt.Sprint(1000+i), 1+i%2, drop)
		case 4:
			h.create("/fulfillments", fmt.Sprint(2000+i), 1, drop)
		}
	}
	dropped := h.dropped[catalog.StreamOrders] + h.dropped[catalog.StreamShipments]
	if dropped == 0 || h.delivered[catalog.StreamOrders] == 0 || h.dropped[catalog.StreamShipments] == 0 {
		t.Fatalf("a bad mix: delivered %v, dropped %v", h.delivered, h.dropped)
	}
	// The delivered webhooks are handled before the run, as they would
	// be within RECONCILE_SETTLE.
	natstest.Eventually(t, "the delivered resources' canonical events", func() bool {
		return len(h.entities(catalog.StreamOrders)) == h.delivered[catalog.StreamOrders] &&
			len(h.entities(catalog.StreamShipments)) == h.delivered[catalog.StreamShipments]
	})
	h.settled()

	svc := h.reconciler(nil)
	ws, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := sumFound(ws); got != dropped {
		t.Errorf("found %d, dropped %d: %s", got, dropped, describe(ws))
	}
	if got := foundMetric(t, svc); got != float64(dropped) {
		t.Errorf("hookstream_reconcile_found_total = %v, want %d", got, dropped)
	}
	want := map[string]int{
		catalog.StreamOrders:    h.delivered[catalog.StreamOrders] + h.dropped[catalog.StreamOrders],
		catalog.StreamShipments: h.delivered[catalog.StreamShipments] + h.dropped[catalog.StreamShipments],
	}
	natstest.Eventually(t, "every resource's canonical event", func() bool {
		return len(h.entities(catalog.StreamOrders)) == want[catalog.StreamOrders] &&
			len(h.entities(catalog.StreamShipments)) == want[catalog.StreamShipments]
	})
	h.settled()
	checkOnce := func(when string) {
		t.Helper()
		for stream, n := range want {
			eachOnce(t, when+", "+stream, h.entities(stream), n)
		}
	}
	checkOnce("after the run")

	// The second run lists the first one's window again (the overlap):
	// everything is held, nothing is published.
	ws, err = svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, w := range ws {
		listed += w.Listed
	}
	if got := sumFound(ws); got != 0 || listed < want[catalog.StreamOrders] {
		t.Errorf("second run: found %d (want 0), listed %d (want all %d orders and more): %s", got, listed, want[catalog.StreamOrders], describe(ws))
	}
	if got := foundMetric(t, svc); got != float64(dropped) {
		t.Errorf("hookstream_reconcile_found_total = %v after the second run, want %d", got, dropped)
	}
	// The dropped webhooks arrive after all: nothing new either.
	h.deliverWithheld()
	h.settled()
	checkOnce("after the late webhooks")
}

// TestRestartResumesFromCheckpoint: a new reconciler (a restart, or another
// replica) starts its windows RECONCILE_OVERLAP before the checkpoints the
// first one saved, not RECONCILE_LOOKBACK before now, and finds only what
// is new.
func TestRestartResumesFromCheckpoint(t *testing.T) {
	h := newHarness(t)
	h.create("/orders", "before", 2, true)
	first := h.reconciler(nil)
	ws1, err := first.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := sumFound(ws1); got != 2 {
		t.Fatalf("first run found %d, want 2: %s", got, describe(ws1))
	}
	kv := h.Bucket(reconciler.BucketCheckpoints)
	for _, w := range ws1 {
		entry, err := kv.Get(context.Background(), w.Provider+"."+w.Kind)
		if err != nil {
			t.Fatalf("checkpoint %s.%s: %v", w.Provider, w.Kind, err)
		}
		var cp reconciler.Checkpoint
		if err := json.Unmarshal(entry.Value(), &cp); err != nil || !cp.End.Equal(w.End) {
			t.Errorf("checkpoint %s.%s = %s (%v), want the window's end %s", w.Provider, w.Kind, entry.Value(), err, w.End)
		}
	}

	h.create("/orders", "after", 1, true)
	h.create("/shipments", "77", 1, true)
	second := h.reconciler(map[string]string{"RECONCILE_OVERLAP": "1m"})
	ws2, err := second.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range ws2 {
		if w.Provider == catalog.Snipcart {
			// Snipcart's window always reaches back RECONCILE_SNIPCART_REREAD.
			if reread := w.End.Sub(w.Start); reread < reconciler.DefaultSnipcartReread-time.Second { // the end is RECONCILE_SETTLE before now
				t.Errorf("snipcart window %s long, want at least %s", reread, reconciler.DefaultSnipcartReread)
			}
			continue
		}
		if want := ws1[i].End.Add(-time.Minute); !w.Start.Equal(want) {
			t.Errorf("%s: restarted window starts %s, want the checkpoint minus the overlap, %s", w.Kind, w.Start, want)
		}
	}
	if got := sumFound(ws2); got != 2 {
		t.Errorf("restarted run found %d, want the 2 new resources: %s", got, describe(ws2))
	}
	if got := foundMetric(t, second); got != 2 {
		t.Errorf("hookstream_reconcile_found_total of the restarted process = %v, want 2", got)
	}
}

// TestTwoReplicasRun: two reconcilers run side by side on their interval;
// the lease lets one work, and what was dropped is found once in all.
func TestTwoReplicasRun(t *testing.T) {
	h := newHarness(t)
	fast := map[string]string{"RECONCILE_INTERVAL": "100ms", "RECONCILE_LEASE": "2s"}
	a, b := h.reconciler(fast), h.reconciler(fast)
	h.Start(a)
	h.Start(b)
	h.create("/orders", "while-running", 3, true)
	h.create("/fulfillments", "5", 1, true)
	natstest.Eventually(t, "the dropped resources found", func() bool {
		return foundMetric(t, a)+foundMetric(t, b) >= 4
	})
	natstest.Eventually(t, "their canonical events", func() bool {
		return len(h.entities(catalog.StreamOrders)) == 3 && len(h.entities(catalog.StreamShipments)) == 1
	})
	h.settled()
	if fa, fb := foundMetric(t, a), foundMetric(t, b); fa+fb != 4 || (fa != 0 && fb != 0) {
		t.Errorf("found %v by one replica and %v by the other, want 4 by one", fa, fb)
	}
}

// TestDroppedSnipcartWebhooksAreReconciled: Snipcart's list filters by
// placement date only. With a third of the order webhooks dropped, a run
// brings every order in once; later, a change to an order placed days ago
// whose webhook is dropped too is found by re-reading the recent orders,
// and a change already delivered is not.
func TestDroppedSnipcartWebhooksAreReconciled(t *testing.T) {
	h := newHarness(t)
	now := time.Now().UTC()
	for i := range 12 {
		placed := now.Add(-time.Duration(i) * 5 * time.Hour) // up to 55h ago
		h.snipcartOrder(fmt.Sprintf("tok-%02d", i), placed, placed.Add(time.Minute), "Processed", i%3 == 2)
	}
	natstest.Eventually(t, "the delivered orders", func() bool { return len(h.entities(catalog.StreamOrders)) == h.delivered[catalog.StreamOrders] })
	h.settled()
	svc := h.reconciler(nil)
	ws, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sumFound(ws), h.dropped[catalog.StreamOrders]; got != want {
		t.Errorf("found %d, dropped %d: %s", got, want, describe(ws))
	}
	natstest.Eventually(t, "every order", func() bool { return len(h.entities(catalog.StreamOrders)) == 12 })
	h.settled()

	// Two orders placed two days ago change: one webhook arrives, one
	// does not. The next run (its checkpoint is recent) re-reads them.
	h.snipcartOrder("tok-10", now.Add(-50*time.Hour), now, "Shipped", false)
	h.snipcartOrder("tok-11", now.Add(-55*time.Hour), now, "Shipped", true)
	h.settled()
	ws, err = svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := sumFound(ws); got != 1 {
		t.Errorf("second run found %d, want the one missed change: %s", got, describe(ws))
	}
	natstest.Eventually(t, "the changes", func() bool { return h.Published(catalog.StreamOrders, "orders.snipcart.>") == 14 })
	h.deliverWithheld()
	h.settled()
	for subject, n := range h.entities(catalog.StreamOrders) {
		want := 1
		if strings.HasSuffix(subject, ".tok-10") || strings.HasSuffix(subject, ".tok-11") {
			want = 2 // placed, then shipped
		}
		if n != want {
			t.Errorf("%d events on %s, want %d", n, subject, want)
		}
	}
	// Every dropped webhook (tok-11's twice: placed, shipped) was a change
	// found.
	if got := foundMetric(t, svc); got != float64(h.dropped[catalog.StreamOrders]) {
		t.Errorf("hookstream_reconcile_found_total = %v, want %d", got, h.dropped[catalog.StreamOrders])
	}
}
