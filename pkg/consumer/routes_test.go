package consumer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/runner"
)

// called returns a handler that records its name in *got.
func called(got *string, name string) func(context.Context, *event.Event) error {
	return func(context.Context, *event.Event) error { *got = name; return nil }
}

func testRoutes(got *string) *consumer.Routes {
	return consumer.NewRoutes("routes-test",
		consumer.On(catalog.ShipStation, "ORDER_NOTIFY", called(got, "order_notify")),
		consumer.OnFamily(catalog.Snipcart, "order", called(got, "order family")),
		consumer.OnFamily(catalog.Snipcart, "order.refund", called(got, "refund family")),
		consumer.On(catalog.Snipcart, "order.refund.created", called(got, "refund created")),
		consumer.On(catalog.Shopline, "orders/create", func(_ context.Context, m *runner.Message) error { *got = "orders/create " + m.Subject; return nil }),
	)
}

// The most specific route takes a webhook: its own line, else the longest
// family; uncatalogued members of a family are handled too, and a type no
// route takes goes to the DLQ.
func TestRoutesDispatch(t *testing.T) {
	var got string
	rs := testRoutes(&got)
	for _, tc := range []struct{ typ, want string }{
		{"com.shipstation.webhook.order_notify", "order_notify"},
		{"com.snipcart.webhook.order.completed", "order family"},
		{"com.snipcart.webhook.order.not_catalogued", "order family"},
		{"com.snipcart.webhook.order.refund.created", "refund created"},
		{"com.snipcart.webhook.order.refund.not_catalogued", "refund family"},
		{"com.shopline.webhook.orders.create", "orders/create replay.routes-test.webhooks.shopline.orders.create"},
	} {
		got = ""
		e := event.New()
		e.SetType(tc.typ)
		// Dispatch is by type: a replayed webhook arrives on another subject.
		if err := rs.Handle(context.Background(), &runner.Message{Event: &e, Subject: "replay.routes-test.webhooks.shopline.orders.create"}); err != nil || got != tc.want {
			t.Errorf("%s: handled by %q (%v), want %q", tc.typ, got, err, tc.want)
		}
	}
	for _, typ := range []string{"com.shipstation.webhook.ship_notify", "com.snipcart.webhook.order", "com.shopline.webhook.orders.updated"} {
		e := event.New()
		e.SetType(typ)
		if err := rs.Handle(context.Background(), &runner.Message{Event: &e}); !runner.IsPermanent(err) || !strings.Contains(err.Error(), "routes-test") {
			t.Errorf("%s: %v, want a permanent error naming the service", typ, err)
		}
	}
}

// The filter subjects are one per route, without those a family covers.
func TestRoutesFilterSubjects(t *testing.T) {
	var got string
	want := []string{"webhooks.shipstation.order_notify", "webhooks.shopline.orders.create", "webhooks.snipcart.order.>"}
	if fs := testRoutes(&got).FilterSubjects(); !slices.Equal(fs, want) {
		t.Errorf("filter subjects %v, want %v", fs, want)
	}
	consumertest.CheckRoutes(t, testRoutes(&got))
}

// A table that names an event the catalog lacks, a family with no
// catalogued member, or one webhook twice does not start.
func TestRoutesRefuseBadTables(t *testing.T) {
	nop := func(context.Context, *event.Event) error { return nil }
	for name, build := range map[string]func(){
		"unknown event":  func() { consumer.On(catalog.ShipStation, "ORDER_NOTIFI", nop) },
		"foreign name":   func() { consumer.On(catalog.Shopline, "orders.create", nop) },
		"empty family":   func() { consumer.OnFamily(catalog.Shopline, "nothing_here", nop) },
		"invalid family": func() { consumer.OnFamily(catalog.Snipcart, "order.>", nop) },
		"twice": func() {
			consumer.NewRoutes("x", consumer.On(catalog.Snipcart, "order.completed", nop), consumer.On(catalog.Snipcart, "order.completed", nop))
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			build()
		})
	}
}
