package fulfillmentholds_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/state"
)

// Placed → released → placed again on the same fulfillment order: three
// events in that order, and the bucket holds the second hold.
func TestPlacedReleasedPlacedAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.start()
	t0 := time.Now().UTC().Truncate(time.Second)
	h.shopline("fulfillment_order/update", "w1", example(t, "update", t0))
	natstest.Eventually(t, "hold_placed", func() bool { return len(h.events()) == 1 })
	h.shopline("fulfillment_order/update", "w2", example(t, "update.released", t0.Add(time.Minute)))
	natstest.Eventually(t, "hold_released", func() bool { return len(h.events()) == 2 })
	h.shopline("fulfillment_order/on_hold", "w3", example(t, "on_hold", t0.Add(2*time.Minute)))
	natstest.Eventually(t, "the second hold_placed", func() bool { return len(h.events()) == 3 })
	h.settled()

	events := h.events()
	if got := names(events); !slices.Equal(got, []string{catalog.HoldPlaced, catalog.HoldReleased, catalog.HoldPlaced}) {
		t.Fatalf("events %v", got)
	}
	first, released, second := validate(t, events[0]), validate(t, events[1]), validate(t, events[2])
	if first.Status != model.HoldHeld || first.HoldSeq != 1 || first.Holds[0].NormalisedReason != model.ReasonOutOfStock {
		t.Errorf("hold_placed: %+v", first)
	}
	if released.Status != model.HoldReleased || !released.ReleasedAt.Equal(t0.Add(time.Minute)) || released.Holds[0].Reason != "out of stock" {
		t.Errorf("hold_released: %+v", released)
	}
	if second.HoldSeq != 2 || !second.PlacedAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("second hold_placed: seq %d placed %s", second.HoldSeq, second.PlacedAt)
	}
	if events[0].ID() == events[2].ID() {
		t.Error("the two hold_placed events share an id")
	}
	rec, ok := h.stored(holdKey)
	if !ok || rec.ID != holdID || rec.Status != model.HoldHeld || rec.HoldSeq != 2 ||
		!rec.PlacedAt.Equal(t0.Add(2*time.Minute)) || !rec.ReleasedAt.IsZero() || len(rec.LineItems) != 2 || rec.OrderID == "" {
		t.Errorf("stored record %+v", rec)
	}
	if _, ok := h.timer(holdKey); !ok {
		t.Error("no overdue timer for the open hold")
	}
	if len(h.dlq()) != 0 {
		t.Errorf("DLQ: %+v", h.dlq())
	}
}

// The release delivered before the placement: the final state is
// released, no hold_placed is published and no timer is left.
func TestReleaseBeforePlacement(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.start()
	t0 := time.Now().UTC().Truncate(time.Second)
	h.shopline("fulfillment_order/update", "late-release", example(t, "update.released", t0.Add(time.Minute)))
	h.settled()
	h.shopline("fulfillment_order/update", "early-hold", example(t, "update", t0))
	h.settled()

	rec, ok := h.stored(holdKey)
	if !ok || rec.Status != model.HoldReleased || rec.HoldSeq != 0 || !rec.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("stored record %+v, want the release", rec)
	}
	if evs := h.events(); len(evs) != 0 {
		t.Errorf("events %v, want none: the hold was over before it was seen", names(evs))
	}
	if _, ok := h.timer(holdKey); ok {
		t.Error("a timer is armed for a hold that is not open")
	}
}

// Overdue after 1s: fires once while the hold is open, marks the record,
// and leaves nothing to fire again.
func TestOverdueFiresOnceWhileHeld(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"HOLD_OVERDUE_AFTER": "1s"})
	h.start()
	placed := time.Now().UTC()
	h.shopline("fulfillment_order/update", "held", example(t, "update", placed))
	natstest.Eventually(t, "hold_overdue", func() bool { return len(h.eventsOf(catalog.HoldOverdue)) == 1 })
	// The same webhook again, resent by SHOPLINE after the dedup window:
	// the alerted hold is not armed again.
	h.shopline("fulfillment_order/update", "held-resent", example(t, "update", placed))
	h.settled()

	if got := names(h.events()); !slices.Equal(got, []string{catalog.HoldPlaced, catalog.HoldOverdue}) {
		t.Fatalf("events %v", got)
	}
	overdue := h.eventsOf(catalog.HoldOverdue)[0]
	rec := validate(t, overdue)
	due := placed.Add(time.Second).Truncate(time.Second).Add(time.Second)
	if rec.Status != model.HoldHeld || rec.OverdueAt.IsZero() || rec.OverdueAt.Before(placed.Add(time.Second)) || rec.OverdueAt.After(due) {
		t.Errorf("hold_overdue record: status %s overdue_at %s (placed %s)", rec.Status, rec.OverdueAt, placed)
	}
	if overdue.ID() != holdID+"@2" || overdue.Extensions()["entityversion"] != "2" { // after hold_placed
		t.Errorf("hold_overdue id %q", overdue.ID())
	}
	if stored, _ := h.stored(holdKey); !stored.OverdueAt.Equal(rec.OverdueAt) {
		t.Errorf("stored overdue_at %s, event says %s", stored.OverdueAt, rec.OverdueAt)
	}
	if _, ok := h.timer(holdKey); ok {
		t.Error("a schedule is still pending after the alert")
	}
}

// A released hold never fires: the release cancels the schedule. A hold
// placed at the same time on another fulfillment order, left open, is the
// control: once it has fired, the released one would have too.
func TestOverdueDoesNotFireAfterRelease(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"HOLD_OVERDUE_AFTER": "2s"})
	h.start()
	t0 := time.Now().UTC()
	h.shopline("fulfillment_order/update", "a-held", example(t, "update", t0))
	h.shopline("fulfillment_order/on_hold", "b-held", []byte(`{"fulfillment_order":{"id":"control","status":"on_hold",
		"fulfillment_holds":[{"reason":"awaiting payment"}],"updated_at":"`+t0.Format(time.RFC3339Nano)+`"}}`))
	natstest.Eventually(t, "both timers armed", func() bool {
		_, a := h.timer(holdKey)
		_, b := h.timer("shopline." + shopID + ".control")
		return a && b
	})
	h.shopline("fulfillment_order/released", "a-released", example(t, "released", t0.Add(100*time.Millisecond)))
	natstest.Eventually(t, "hold_released", func() bool { return len(h.eventsOf(catalog.HoldReleased)) == 1 })
	// The service publishes hold_released, then cancels the schedule.
	natstest.Eventually(t, "the release to cancel the schedule", func() bool {
		_, ok := h.timer(holdKey)
		return !ok
	})
	natstest.Eventually(t, "the control hold's hold_overdue", func() bool { return len(h.eventsOf(catalog.HoldOverdue)) == 1 })
	h.settled()
	for _, e := range h.eventsOf(catalog.HoldOverdue) {
		if e.Subject() != "shopline:"+shopID+":control" {
			t.Errorf("hold_overdue for %s, which was released", e.Subject())
		}
	}
	if h.fired(holdKey) {
		t.Error("the released hold's timer fired")
	}
}

// Timers that lost a race publish nothing: the stored record decides. The
// first hold's timer fires (its due time long past) but is consumed only
// after the hold was released and a second hold placed; only the second
// hold's own timer alerts.
func TestTimerThatLostTheRaceIsIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"HOLD_OVERDUE_AFTER": "1s"})
	ctx := context.Background()
	if err := h.svc.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	handle := func(topic, id string, body []byte) {
		t.Helper()
		if err := h.svc.Handle(ctx, h.shoplineMessage(topic, id, body)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	handle("fulfillment_order/update", "held", example(t, "update", now.Add(-time.Hour)))
	natstest.Eventually(t, "the first hold's timer to fire", func() bool { return h.fired(holdKey) })
	handle("fulfillment_order/update", "released", example(t, "update.released", now.Add(-time.Minute)))
	if stored, _ := h.stored(holdKey); stored.Status != model.HoldReleased {
		t.Fatalf("stored status %s, want released", stored.Status)
	}
	h.start() // the timers consumer now gets the first hold's fired timer
	h.settled()
	if n := len(h.eventsOf(catalog.HoldOverdue)); n != 0 {
		t.Fatalf("%d hold_overdue for a released hold", n)
	}
	h.shopline("fulfillment_order/on_hold", "held-again", example(t, "on_hold", now))
	natstest.Eventually(t, "the second hold's hold_overdue", func() bool { return len(h.eventsOf(catalog.HoldOverdue)) == 1 })
	h.settled()
	// placed, released, placed, overdue: the fourth event of the entity,
	// about its second hold.
	if e := h.eventsOf(catalog.HoldOverdue)[0]; e.ID() != holdID+"@4" || validate(t, e).HoldSeq != 2 {
		t.Errorf("hold_overdue %s (hold %d), want the second hold's", e.ID(), validate(t, e).HoldSeq)
	}
	if len(h.dlq()) != 0 {
		t.Errorf("DLQ: %+v", h.dlq())
	}
}

// The timer lives in JetStream, not in the process: a hold placed before
// the service stops fires while no service runs, and the next service
// (a new process) publishes hold_overdue once.
func TestOverdueSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"HOLD_OVERDUE_AFTER": "2s"})
	h.start()
	h.shopline("fulfillment_order/update", "held", example(t, "update", time.Now().UTC()))
	natstest.Eventually(t, "the timer", func() bool { _, ok := h.timer(holdKey); return ok })
	h.settled()
	h.stop()
	if len(h.eventsOf(catalog.HoldOverdue)) != 0 {
		t.Fatal("hold_overdue before the restart; the test proves nothing")
	}
	natstest.Eventually(t, "the timer to fire with no service running", func() bool { return h.fired(holdKey) })

	h.svc = h.newService()
	h.start()
	natstest.Eventually(t, "hold_overdue after the restart", func() bool { return len(h.eventsOf(catalog.HoldOverdue)) == 1 })
	h.settled()
	if got := names(h.events()); !slices.Equal(got, []string{catalog.HoldPlaced, catalog.HoldOverdue}) {
		t.Errorf("events %v", got)
	}
}

// A process that dies after storing the hold but before arming its timer:
// the redelivered webhook changes nothing in the bucket and arms the timer.
func TestRedeliveryArmsAMissingTimer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"HOLD_OVERDUE_AFTER": "1s"})
	ctx := context.Background()
	if err := h.svc.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	h.shopline("fulfillment_order/update", "held", example(t, "update", time.Now().UTC()))
	// The first life, by hand: the record and its event, no timer.
	kv := h.Bucket(state.BucketHolds)
	rec, err := model.FromShoplineFulfillmentOrder(example(t, "update", time.Now().UTC()), shopID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(rec)
	stored, _ := json.Marshal(state.Record{State: raw})
	if _, err := kv.Create(ctx, holdKey, stored); err != nil {
		t.Fatal(err)
	}
	// The second life gets the unacknowledged webhook.
	h.start()
	natstest.Eventually(t, "hold_overdue", func() bool { return len(h.eventsOf(catalog.HoldOverdue)) == 1 })
	h.settled()
	if n := len(h.eventsOf(catalog.HoldPlaced)); n != 0 {
		t.Errorf("%d hold_placed for a hold already stored", n)
	}
}

// The same SHOPLINE delivery twice (same X-Shopline-Webhook-Id, stored
// once by JetStream) and resent later under a new id: one event.
func TestDuplicateShoplineDelivery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.start()
	body := example(t, "update", time.Time{})
	h.shopline("fulfillment_order/update", "b7c1f35b43823f47aa7f13e5", body)
	h.shopline("fulfillment_order/update", "b7c1f35b43823f47aa7f13e5", body)
	h.settled()
	// A resend the dedup window no longer covers: same body, same version.
	withTime := example(t, "update", time.Now().UTC().Truncate(time.Second))
	h.shopline("fulfillment_order/update", "resend-1", withTime)
	h.shopline("fulfillment_order/update", "resend-2", withTime)
	h.settled()
	if got := names(h.events()); !slices.Equal(got, []string{catalog.HoldPlaced}) {
		t.Errorf("events %v, want one hold_placed", got)
	}
}

// Unknown hold reasons and a body with only the required members are
// accepted: the raw reason is kept, normalised to other.
func TestUnknownReasonAndMissingFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.start()
	h.shopline("fulfillment_order/on_hold", "odd", []byte(`{"fulfillment_order":{"id":"`+foID+`","status":"on_hold",
		"fulfillment_holds":[{"reason":"Waiting for engraving"},{"reason_note":"no reason given"}]}}`))
	natstest.Eventually(t, "hold_placed", func() bool { return len(h.events()) == 1 })
	h.settled()
	rec := validate(t, h.events()[0])
	want := []model.Hold{
		{Reason: "Waiting for engraving", NormalisedReason: model.ReasonOther},
		{Note: "no reason given", NormalisedReason: model.ReasonOther},
	}
	if !slices.Equal(rec.Holds, want) {
		t.Errorf("holds %+v, want %+v", rec.Holds, want)
	}
	if rec.OrderID != "" || rec.AssignedLocation != nil || len(rec.LineItems) != 0 {
		t.Errorf("record invented members: %+v", rec)
	}
	if len(h.dlq()) != 0 {
		t.Errorf("DLQ: %+v", h.dlq())
	}
}

// A body without a fulfillment order goes to the DLQ at once.
func TestMalformedShoplineGoesToDLQ(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.start()
	h.shopline("fulfillment_order/update", "bad", []byte(`{"order":{"id":"1"}}`))
	natstest.Eventually(t, "a DLQ entry", func() bool { return len(h.dlq()) == 1 })
	if e := h.dlq()[0]; e.Attempts != 1 || !strings.Contains(e.Error, "fulfillment order") {
		t.Errorf("attempts %d, error %q", e.Attempts, e.Error)
	}
}

// SHOPLINE's own rejection and a close: rejected, then (after a new hold)
// hold_released with status closed and no timer left.
func TestShoplineRejectedAndClosed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.start()
	t0 := time.Now().UTC().Truncate(time.Second)
	h.shopline("fulfillment_order/rejected", "r", example(t, "rejected", t0))
	natstest.Eventually(t, "rejected", func() bool { return len(h.events()) == 1 })
	h.shopline("fulfillment_order/on_hold", "h", example(t, "on_hold", t0.Add(time.Minute)))
	natstest.Eventually(t, "hold_placed", func() bool { return len(h.events()) == 2 })
	h.shopline("fulfillment_order/update", "c", []byte(`{"fulfillment_order":{"id":"`+foID+`","status":"closed","updated_at":"`+
		t0.Add(2*time.Minute).Format(time.RFC3339)+`"}}`))
	natstest.Eventually(t, "hold_released", func() bool { return len(h.events()) == 3 })
	h.settled()
	events := h.events()
	if got := names(events); !slices.Equal(got, []string{catalog.FulfillmentRejected, catalog.HoldPlaced, catalog.HoldReleased}) {
		t.Fatalf("events %v", got)
	}
	if rec := validate(t, events[0]); rec.Message != "Destination cannot be served from this location" {
		t.Errorf("rejected message %q", rec.Message)
	}
	if rec := validate(t, events[2]); rec.Status != model.HoldClosed || rec.ReleasedAt.IsZero() {
		t.Errorf("closed: %+v", rec)
	}
	if _, ok := h.timer(holdKey); ok {
		t.Error("a timer is left for a closed fulfillment order")
	}
}

// FULFILLMENT_REJECTED against the sandbox: one rejected event per
// fulfillment, and none again for the same webhook resent.
func TestShipStationRejectedAgainstSandbox(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.api.SetFulfillmentBatchSize("rej-3", 3)
	h.start()
	body, _ := json.Marshal(map[string]string{
		"resource_url":  h.url + "/fulfillments?storeID=123456&batchId=rej-3",
		"resource_type": "FULFILLMENT_REJECTED",
	})
	h.Webhook(catalog.ShipStation, "FULFILLMENT_REJECTED", body)
	natstest.Eventually(t, "3 rejected", func() bool { return len(h.events()) == 3 })
	h.Webhook(catalog.ShipStation, "FULFILLMENT_REJECTED", body)
	h.settled()
	events := h.events()
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	ids := map[string]bool{}
	for _, e := range events {
		if e.Type() != "dev.hookstream.fulfillment.rejected" {
			t.Errorf("type %s", e.Type())
		}
		rec := validate(t, e)
		if rec.Provider != model.ProviderShipStation || rec.Shop != "123456" || rec.Status != model.HoldRejected || rec.OrderID == "" {
			t.Errorf("record %+v", rec)
		}
		if _, err := strconv.ParseInt(rec.FulfillmentOrderID, 10, 64); err != nil {
			t.Errorf("fulfillment id %q", rec.FulfillmentOrderID)
		}
		ids[rec.ID] = true
	}
	if len(ids) != 3 {
		t.Errorf("%d distinct fulfillments, want 3", len(ids))
	}
	if n := h.api.RequestsFor("/fulfillments"); n != 2 {
		t.Errorf("%d requests to /fulfillments, want 2", n)
	}
	if len(h.dlq()) != 0 {
		t.Errorf("DLQ: %+v", h.dlq())
	}
}
