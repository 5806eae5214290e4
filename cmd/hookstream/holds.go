package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/state"
)

// runHolds is `hookstream holds list [--overdue] [--nats URL]`: the open
// fulfillment holds in the holds KV bucket, oldest first, with their age
// and reason.
func runHolds(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("holds", "list [--overdue] [--nats URL]", stdout)
	natsURL := fs.String("nats", defaultOperatorURL(), "NATS server (default $NATS_URL; credentials from NATS_CREDS or NATS_USER/NATS_PASSWORD)")
	overdue := fs.Bool("overdue", false, "only holds whose hold_overdue alert has been published")
	if len(args) == 0 || args[0] != "list" {
		fs.Usage()
		if len(args) == 0 {
			return errors.New("holds needs a subcommand: list")
		}
		return fmt.Errorf("unknown holds subcommand %q", args[0])
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("holds list takes no arguments, got %q", fs.Args())
	}
	js, closeConn, err := operatorJetStream(*natsURL, "hookstream-holds")
	if err != nil {
		return err
	}
	defer closeConn()
	holds, err := openHolds(ctx, js, *overdue)
	if err != nil {
		return err
	}
	printHolds(stdout, holds, *overdue, time.Now())
	return nil
}

// openHolds reads the holds bucket and returns the open holds (only those
// alerted as overdue when overdue is set), oldest first. A missing bucket
// means nothing has been held yet.
func openHolds(ctx context.Context, js jetstream.JetStream, overdue bool) ([]model.FulfillmentHold, error) {
	kv, err := js.KeyValue(ctx, state.BucketHolds)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("holds bucket: %w", err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("holds bucket: %w", err)
	}
	defer func() { _ = keys.Stop() }()
	var holds []model.FulfillmentHold
	for key := range keys.Keys() {
		var h model.FulfillmentHold
		err := state.GetState(ctx, kv, key, &h)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("holds bucket: %s: %w", key, err)
		}
		if h.Open() && (!overdue || !h.OverdueAt.IsZero()) {
			holds = append(holds, h)
		}
	}
	slices.SortFunc(holds, func(a, b model.FulfillmentHold) int {
		return cmp.Or(a.PlacedAt.Compare(b.PlacedAt), strings.Compare(a.ID, b.ID))
	})
	return holds, nil
}

// printHolds writes the holds as a table for a terminal.
func printHolds(w io.Writer, holds []model.FulfillmentHold, overdue bool, now time.Time) {
	if len(holds) == 0 {
		if overdue {
			fmt.Fprintln(w, "no overdue holds")
		} else {
			fmt.Fprintln(w, "no open holds")
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGE\tPLACED (UTC)\tFULFILLMENT ORDER\tORDER\tREASON\tDETAIL\tOVERDUE")
	alerted := 0
	for _, h := range holds {
		due := "-"
		if !h.OverdueAt.IsZero() {
			due = "since " + h.OverdueAt.UTC().Format(time.DateTime)
			alerted++
		}
		order := h.OrderID
		if order == "" {
			order = "-"
		}
		reason, detail := holdReasons(h.Holds)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", age(now.Sub(h.PlacedAt)), h.PlacedAt.UTC().Format(time.DateTime),
			h.ID, order, reason, clip(detail, 60), due)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d open %s, %d alerted as overdue\n", len(holds), plural(len(holds), "hold", "holds"), alerted)
}

// holdReasons is the normalised reasons of holds ("out_of_stock,
// payment") and the provider's words: each raw reason with its note.
func holdReasons(holds []model.Hold) (reason, detail string) {
	if len(holds) == 0 {
		return "-", "-"
	}
	var reasons, details []string
	for _, h := range holds {
		reasons = append(reasons, string(h.NormalisedReason))
		d := strings.TrimSpace(h.Reason)
		if note := strings.TrimSpace(h.Note); note != "" && d != "" {
			d += ": " + note
		} else if note != "" {
			d = note
		}
		if d != "" {
			details = append(details, d)
		}
	}
	if len(details) == 0 {
		details = []string{"-"}
	}
	return strings.Join(reasons, ", "), strings.Join(details, "; ")
}

// age renders a duration the way people read a hold's age: 45s, 12m,
// 3h05m, 2d04h.
func age(d time.Duration) string {
	switch d = max(d, 0); {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
}

// clip cuts s to at most n runes, marking the cut; notes may be in any
// script, so it never splits a rune.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
