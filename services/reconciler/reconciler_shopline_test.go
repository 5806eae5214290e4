package reconciler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/services/reconciler"
)

// shoplineEntities counts the canonical events of SHOPLINE orders per
// entity subject.
func (h *harness) shoplineEntities() map[string]int {
	h.t.Helper()
	out := map[string]int{}
	for subject, n := range h.entities(catalog.StreamOrders) {
		if strings.HasPrefix(subject, "orders.shopline.") {
			out[subject] = n
		}
	}
	return out
}

// shoplineFound is the found count of the SHOPLINE windows.
func shoplineFound(ws []reconciler.Window) (found, listed int) {
	for _, w := range ws {
		if w.Provider == catalog.Shopline {
			found += w.Found
			listed += w.Listed
		}
	}
	return found, listed
}

// TestDroppedShoplineWebhooksAreReconciled: with a third of the SHOPLINE
// order webhooks never delivered, one run lists the store's orders of every
// fulfillment status and brings each missed order in, and every order
// reaches ORDERS exactly once; hookstream_reconcile_found_total is the
// number dropped. A second run over the same window, the dropped webhooks
// delivered late (other bytes than the list's, the same updated_at) and a
// restarted reconciler add no event; the restart resumes from the
// checkpoint and finds only the order dropped since.
func TestDroppedShoplineWebhooksAreReconciled(t *testing.T) {
	h := newHarness(t)
	now := time.Now().UTC().Truncate(time.Second)
	statuses := []string{"", "partial", "fulfilled"}
	for i := range 12 {
		h.shoplineOrder(fmt.Sprintf("210574019328263166669%05d", i), now.Add(-time.Duration(i+1)*30*time.Second), statuses[i%3], i%3 == 1)
	}
	dropped := h.dropped[catalog.StreamOrders]
	if dropped != 4 {
		t.Fatalf("dropped %d, want 4", dropped)
	}
	natstest.Eventually(t, "the delivered orders", func() bool { return len(h.shoplineEntities()) == h.delivered[catalog.StreamOrders] })
	h.settled()

	svc := h.reconciler(nil)
	ws, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if found, _ := shoplineFound(ws); found != dropped || sumFound(ws) != dropped {
		t.Errorf("found %d SHOPLINE orders (%d in all), dropped %d: %s", found, sumFound(ws), dropped, describe(ws))
	}
	if got := foundMetric(t, svc); got != float64(dropped) {
		t.Errorf("hookstream_reconcile_found_total = %v, want %d", got, dropped)
	}
	natstest.Eventually(t, "every order", func() bool { return len(h.shoplineEntities()) == 12 })
	h.settled()
	checkOnce := func(when string) { t.Helper(); eachOnce(t, when, h.shoplineEntities(), 12) }
	checkOnce("after the run")

	ws, err = svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if found, listed := shoplineFound(ws); found != 0 || listed < 12 {
		t.Errorf("second run: found %d (want 0), listed %d (want all 12): %s", found, listed, describe(ws))
	}
	h.deliverWithheld()
	h.settled()
	checkOnce("after the late webhooks")

	// A restart: the window starts RECONCILE_OVERLAP before the
	// checkpoint, and finds the one order dropped since.
	var first reconciler.Window
	for _, w := range ws {
		if w.Provider == catalog.Shopline {
			first = w
		}
	}
	h.shoplineOrder("21057401932826316666999999", time.Now().UTC().Add(-2*time.Second).Truncate(time.Second), "", true)
	restarted := h.reconciler(map[string]string{"RECONCILE_OVERLAP": "1m"})
	ws, err = restarted.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Provider == catalog.Shopline && !w.Start.Equal(first.End.Add(-time.Minute)) {
			t.Errorf("restarted SHOPLINE window starts %s, want the checkpoint %s minus the overlap", w.Start, first.End)
		}
	}
	if found, _ := shoplineFound(ws); found != 1 || foundMetric(t, restarted) != 1 {
		t.Errorf("restarted run found %d (metric %v), want the 1 new order: %s", found, foundMetric(t, restarted), describe(ws))
	}
	natstest.Eventually(t, "the new order", func() bool { return len(h.shoplineEntities()) == 13 })
	h.settled()
	for subject, n := range h.shoplineEntities() {
		if n != 1 {
			t.Errorf("after the restart: %d events on %s, want 1", n, subject)
		}
	}
}
