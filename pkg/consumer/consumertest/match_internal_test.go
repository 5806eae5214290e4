package consumertest

import "testing"

func TestSubjectMatches(t *testing.T) {
	for _, c := range []struct {
		filter, subject string
		want            bool
	}{
		{"webhooks.shipstation.ship_notify", "webhooks.shipstation.ship_notify", true},
		{"webhooks.shipstation.ship_notify", "webhooks.shipstation.order_notify", false},
		{"webhooks.snipcart.order.>", "webhooks.snipcart.order.tracking_number.changed", true},
		{"webhooks.snipcart.order.>", "webhooks.snipcart.order", false},
		{"webhooks.*.order_notify", "webhooks.shipstation.order_notify", true},
		{"webhooks.*.order_notify", "webhooks.shipstation.order_notify.x", false},
		{"webhooks.shopline.fulfillment_order.>", "webhooks.shipstation.fulfillment_rejected", false},
	} {
		if got := subjectMatches(c.filter, c.subject); got != c.want {
			t.Errorf("subjectMatches(%q, %q) = %v, want %v", c.filter, c.subject, got, c.want)
		}
	}
}
