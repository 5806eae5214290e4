package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/state"
)

// testHold is a held SHOPLINE record placed at placed.
func testHold(fo string, placed time.Time, holds ...model.Hold) model.FulfillmentHold {
	return model.FulfillmentHold{
		ID: model.FulfillmentHoldID(model.ProviderShopline, "1610418123456", fo), Provider: model.ProviderShopline,
		Shop: "1610418123456", OrderID: "order-" + fo, FulfillmentOrderID: fo, Status: model.HoldHeld,
		RawStatus: "on_hold", Holds: holds, HoldSeq: 1, PlacedAt: placed, UpdatedAt: placed, Tiebreak: "x",
	}
}

// holdsCommand runs `hookstream holds <args> --nats <server>` and returns
// its output.
func holdsCommand(t *testing.T, url string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := runHolds(context.Background(), append(args, "--nats", url), &out); err != nil {
		t.Fatalf("holds %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// `hookstream holds list` shows the open holds of the bucket, oldest
// first, with age, reason and note; --overdue only the alerted ones.
func TestHoldsList(t *testing.T) {
	srv := natstest.Run(t)
	js := srv.JetStream()
	ctx := context.Background()
	if out := holdsCommand(t, srv.ClientURL(), "list"); out != "no open holds\n" {
		t.Errorf("before any hold: %q", out)
	}
	kv, err := state.EnsureBucket(ctx, js, state.Bucket(state.BucketHolds, "test", state.BucketOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	stock := model.Hold{Reason: "out of stock", Note: "Size M back on the 12th", NormalisedReason: model.ReasonOutOfStock}
	old := testHold("old", now.Add(-(26*time.Hour + 5*time.Minute)), stock)
	old.OverdueAt = old.PlacedAt.Add(24 * time.Hour)
	recent := testHold("recent", now.Add(-(3*time.Hour + 7*time.Minute)),
		model.Hold{Reason: "Waiting for engraving", NormalisedReason: model.ReasonOther},
		model.Hold{Reason: "awaiting payment", NormalisedReason: model.ReasonPayment})
	fresh := testHold("fresh", now.Add(-90*time.Second))
	fresh.OrderID = ""
	released := testHold("released", now.Add(-48*time.Hour), stock)
	released.Status, released.ReleasedAt = model.HoldReleased, now.Add(-47*time.Hour)
	for _, h := range []model.FulfillmentHold{recent, released, fresh, old} {
		data, _ := json.Marshal(h)
		b, _ := json.Marshal(state.Record{State: data})
		if _, err := kv.Put(ctx, h.Key(), b); err != nil {
			t.Fatal(err)
		}
	}

	out := holdsCommand(t, srv.ClientURL(), "list")
	t.Logf("hookstream holds list:\n%s", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("want a header, 3 open holds and a summary:\n%s", out)
	}
	for i, want := range [][]string{
		{"AGE", "PLACED (UTC)", "FULFILLMENT ORDER", "REASON", "OVERDUE"},
		{"1d02h ", old.PlacedAt.UTC().Format(time.DateTime), "shopline:1610418123456:old", "order-old", "out_of_stock",
			"out of stock: Size M back on the 12th", "since " + old.OverdueAt.UTC().Format(time.DateTime)},
		{"3h07m ", "shopline:1610418123456:recent", "other, payment", "Waiting for engraving; awaiting payment"},
		{"1m ", "shopline:1610418123456:fresh"},
		{"3 open holds, 1 alerted as overdue"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d lacks %q:\n%s", i, w, out)
			}
		}
	}
	if strings.Contains(out, "released") {
		t.Errorf("a released hold is listed:\n%s", out)
	}
	// The columns line up: every row starts its FULFILLMENT ORDER column
	// where the header does.
	col := strings.Index(lines[0], "FULFILLMENT ORDER")
	for _, l := range lines[1:4] {
		if !strings.HasPrefix(l[col:], "shopline:") {
			t.Errorf("misaligned row %q", l)
		}
	}

	overdue := holdsCommand(t, srv.ClientURL(), "list", "--overdue")
	if !strings.Contains(overdue, "shopline:1610418123456:old") || strings.Contains(overdue, ":recent") ||
		!strings.Contains(overdue, "1 open hold, 1 alerted as overdue") {
		t.Errorf("--overdue:\n%s", overdue)
	}
}

func TestHoldsListOverdueWhenNone(t *testing.T) {
	srv := natstest.Run(t)
	if out := holdsCommand(t, srv.ClientURL(), "list", "-overdue"); out != "no overdue holds\n" {
		t.Errorf("got %q", out)
	}
}

func TestHoldsUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no subcommand":      nil,
		"unknown subcommand": {"show"},
		"extra argument":     {"list", "everything"},
		"unknown flag":       {"list", "--all"},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := runHolds(context.Background(), args, &out); err == nil {
				t.Errorf("holds %v succeeded:\n%s", args, out.String())
			}
			if !strings.Contains(out.String(), "usage: hookstream holds list") {
				t.Errorf("no usage line:\n%s", out.String())
			}
		})
	}
}

func TestHoldsAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                    "0s",
		45 * time.Second:                "45s",
		12*time.Minute + 59*time.Second: "12m",
		3*time.Hour + 5*time.Minute:     "3h05m",
		50*time.Hour + 30*time.Minute:   "2d02h",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%s) = %q, want %q", d, got, want)
		}
	}
}
