package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/natstest"
)

// The tracking samples, sent in order to `hookstream dev` signed as
// ShipStation V2 signs: in transit, a delivery exception, then delivered
// make two delivery_updated events and one delivered, each held to the
// contract.
func TestSendTrackingSamplesToDev(t *testing.T) {
	env := startTestDev(t)
	js, err := jetstream.New(env.nc)
	if err != nil {
		t.Fatal(err)
	}
	updated, delivered := "shipments.shipstation.delivery_updated", "shipments.shipstation.delivered"
	for i, file := range []string{"", "track_event_v2.exception.json", "track_event_v2.delivered.json"} {
		args := []string{"send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL}
		if file != "" {
			args = append(args, "-file", "../../schemas/examples/shipstation/"+file)
		}
		var out bytes.Buffer
		if err := run(context.Background(), append(args, "shipstation", "TRACK_EVENT_V2"), &out); err != nil || !strings.Contains(out.String(), `"status":"stored"`) {
			t.Fatalf("send %q: %v\n%s", file, err, out.String())
		}
		// One at a time: an older delivery handled after a newer one
		// rightly publishes nothing.
		natstest.Eventually(t, "the event of "+file, func() bool {
			return countOn(t, js, catalog.StreamShipments, updated)+countOn(t, js, catalog.StreamShipments, delivered) == uint64(i+1)
		})
	}
	if u, d := countOn(t, js, catalog.StreamShipments, updated), countOn(t, js, catalog.StreamShipments, delivered); u != 2 || d != 1 {
		t.Errorf("%d delivery_updated and %d delivered, want 2 and 1", u, d)
	}
	checkContract(t, js, catalog.StreamShipments)
}
