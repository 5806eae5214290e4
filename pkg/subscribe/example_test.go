package subscribe_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/subscribe"
)

// A durable consumer that prints every canonical order, connected as the
// subscriber user (its account allows replies on _INBOX_subscriber.> only).
// Run returns after Ctrl-C, once the handlers in flight have finished.
func ExampleRun() {
	nc, err := nats.Connect("nats://127.0.0.1:4222",
		nats.UserInfo("subscriber", os.Getenv("NATS_PASSWORD")),
		nats.CustomInboxPrefix("_INBOX_subscriber"))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Drain()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	err = subscribe.Run(ctx, js, subscribe.Config{
		Durable:        "order-printer",
		FilterSubjects: []string{"orders.>"},
	}, subscribe.OnOrder(func(ctx context.Context, e subscribe.Event, o model.Order) error {
		fmt.Printf("order %s (%s) is %s: %s %s\n", o.Number, o.ID, o.Status, o.Totals.Total, o.Currency)
		return nil
	}))
	if err != nil {
		log.Fatal(err)
	}
}

// A canonical event as a core NATS subscriber receives it, decoded into
// the fulfillment-hold record.
func ExampleDecodeMsg() {
	msg := nats.NewMsg("fulfillment.shopline.hold_overdue.1610418123456.4005740193290131085320")
	msg.Header.Set("ce-specversion", "1.0")
	msg.Header.Set("ce-id", "shopline:1610418123456:4005740193290131085320@2")
	msg.Header.Set("ce-type", "dev.hookstream.fulfillment.hold_overdue")
	msg.Header.Set("ce-source", "/hookstream/fulfillment-holds")
	msg.Header.Set("ce-subject", "shopline:1610418123456:4005740193290131085320")
	msg.Header.Set("ce-time", "2026-11-23T19:18:34Z")
	msg.Header.Set("ce-entityversion", "2")
	msg.Data = []byte(`{"id":"shopline:1610418123456:4005740193290131085320","provider":"shopline",
		"shop":"1610418123456","fulfillment_order_id":"4005740193290131085320","status":"held",
		"holds":[{"reason":"out of stock","note":"","normalised_reason":"inventory_out_of_stock"}],
		"hold_seq":1,"placed_at":"2026-11-22T19:18:34Z","overdue_at":"2026-11-23T19:18:34Z"}`)

	e, err := subscribe.DecodeMsg(msg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Name, e.EntityID, "version", e.EntityVersion)
	h, err := e.Hold()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("held since %s: %s\n", h.PlacedAt.Format("2006-01-02 15:04"), h.Holds[0].Reason)
	if _, err := e.Order(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// hold_overdue shopline:1610418123456:4005740193290131085320 version 2
	// held since 2026-11-22 19:18: out of stock
	// subscribe: event is about another kind of entity: shopline:1610418123456:4005740193290131085320@2 is of type dev.hookstream.fulfillment.hold_overdue, not dev.hookstream.order.*
}

// NewestOnly hands the handler each entity version at most once, and
// never one older than a version it has handled: a redelivery and an older
// version that arrives late are acked without reaching it.
func ExampleNewestOnly() {
	h := subscribe.NewestOnly(func(_ context.Context, e subscribe.Event) error {
		fmt.Println("handled", e.ID)
		return nil
	})
	for _, e := range []subscribe.Event{
		{ID: "shipstation:1@1", EntityID: "shipstation:1", EntityVersion: 1},
		{ID: "shipstation:1@3", EntityID: "shipstation:1", EntityVersion: 3},
		{ID: "shipstation:1@3", EntityID: "shipstation:1", EntityVersion: 3}, // redelivered
		{ID: "shipstation:1@2", EntityID: "shipstation:1", EntityVersion: 2}, // overtaken
		{ID: "snipcart:x@1", EntityID: "snipcart:x", EntityVersion: 1},
	} {
		if err := h(context.Background(), e); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// handled shipstation:1@1
	// handled shipstation:1@3
	// handled snipcart:x@1
}
