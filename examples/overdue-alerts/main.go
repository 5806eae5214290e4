// Command overdue-alerts is an example subscriber to copy: it prints one
// alert line for every fulfillment order that has stayed on hold too long
// (the hold_overdue events fulfillment-holds publishes on
// fulfillment.<provider>.hold_overdue.<shop>.<fulfillment order id>).
//
// It runs a durable consumer named overdue-alerts on the FULFILLMENT
// stream: restarted, it carries on where it stopped; run twice, the two
// share the work. A delivery it has already handled is skipped
// (subscribe.NewestOnly). Replace the Fprintf with a call to your pager or
// chat and return an error when that call fails: the event comes back with
// backoff and, after eight attempts, lands in the DLQ
// (dlq.overdue-alerts.>).
//
// Configuration, all optional:
//
//	NATS_URL           nats://127.0.0.1:4222 (hookstream dev's server)
//	NATS_CREDS         a credentials file, or
//	NATS_USER          the user (e.g. subscriber) and
//	NATS_PASSWORD      its password
//	NATS_INBOX_PREFIX  _INBOX; _INBOX_subscriber as the subscriber user
//	DURABLE            overdue-alerts
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/subscribe"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "overdue-alerts:", err)
		os.Exit(1)
	}
}

// run connects, subscribes and prints alerts to out until ctx ends.
func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	nc, err := connect(getenv)
	if err != nil {
		return err
	}
	defer nc.Drain()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	return subscribe.Run(ctx, js, subscribe.Config{
		Durable:        or(getenv("DURABLE"), "overdue-alerts"),
		FilterSubjects: []string{"fulfillment.*.hold_overdue.>"},
	}, subscribe.NewestOnly(subscribe.OnHold(func(ctx context.Context, e subscribe.Event, h model.FulfillmentHold) error {
		return alert(out, h)
	})))
}

// alert prints one line about an overdue hold.
func alert(out io.Writer, h model.FulfillmentHold) error {
	reason := "no reason given"
	if len(h.Holds) > 0 && h.Holds[0].Reason != "" {
		reason = h.Holds[0].Reason
	}
	_, err := fmt.Fprintf(out, "ALERT hold overdue: %s shop %s fulfillment order %s (order %s) on hold since %s, overdue since %s: %s\n",
		h.Provider, h.Shop, h.FulfillmentOrderID, h.OrderID,
		h.PlacedAt.UTC().Format(time.RFC3339), h.OverdueAt.UTC().Format(time.RFC3339), reason)
	return err
}

// connect connects as the configured user, waiting for the server and
// reconnecting forever.
func connect(getenv func(string) string) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("overdue-alerts"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
	}
	if p := getenv("NATS_INBOX_PREFIX"); p != "" {
		opts = append(opts, nats.CustomInboxPrefix(p))
	}
	switch creds, user := getenv("NATS_CREDS"), getenv("NATS_USER"); {
	case creds != "" && user != "":
		return nil, errors.New("set NATS_CREDS or NATS_USER, not both")
	case creds != "":
		opts = append(opts, nats.UserCredentials(creds))
	case user != "":
		opts = append(opts, nats.UserInfo(user, getenv("NATS_PASSWORD")))
	}
	return nats.Connect(or(getenv("NATS_URL"), nats.DefaultURL), opts...)
}

func or(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}
