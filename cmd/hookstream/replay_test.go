package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	hookconsumer "github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
)

// hookstreamCmd runs a hookstream command and returns its output.
func hookstreamCmd(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("hookstream %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// replaySettled waits until the service has handled every webhook replayed
// to it.
func replaySettled(t *testing.T, js jetstream.JetStream, service string) {
	t.Helper()
	natstest.Eventually(t, service+" to handle its replay", func() bool {
		c, err := js.Consumer(context.Background(), streams.ReplayName, hookconsumer.ReplayDurable(service))
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
}

// `hookstream replay` against hookstream dev: a dry run says what it
// would send; a replay of unchanged webhooks publishes nothing; after a
// normaliser change (here: an order stored as an older normaliser made
// it, with a wrong e-mail address) the replay publishes the corrected
// order, as the entity's next version; a replay stopped at -limit resumes.
func TestReplay(t *testing.T) {
	env := startTestDev(t)
	js, err := jetstream.New(env.nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, event := range []string{"order.completed", "order.status.changed"} {
		hookstreamCmd(t, "send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL, "snipcart", event)
	}
	natstest.Eventually(t, "the Snipcart order", func() bool { return countOn(t, js, catalog.StreamOrders, "orders.snipcart.upserted") >= 1 })
	natstest.Eventually(t, "both webhooks handled", func() bool { return consumerIdle(t, js, catalog.StreamWebhooks, orderenricher.Durable) })
	published := countOn(t, js, catalog.StreamOrders, "orders.snipcart.upserted")
	natsURL := env.ns.ClientURL()

	out := hookstreamCmd(t, "replay", "-nats", natsURL, "-consumer", orderenricher.Durable, "-subject", "webhooks.snipcart.>", "-dry-run")
	if !strings.Contains(out, "dry run: 2 webhooks would be replayed") || !strings.Contains(out, "webhooks.snipcart.order.completed") {
		t.Fatalf("dry run:\n%s", out)
	}

	// Unchanged: the replay changes nothing and publishes nothing.
	out = hookstreamCmd(t, "replay", "-nats", natsURL, "-consumer", orderenricher.Durable, "-subject", "webhooks.snipcart.>")
	if !strings.Contains(out, "finished: 2 webhooks replayed") {
		t.Fatalf("replay:\n%s", out)
	}
	replaySettled(t, js, orderenricher.Durable)
	if n := countOn(t, js, catalog.StreamOrders, "orders.snipcart.upserted"); n != published {
		t.Fatalf("%d order events after replaying unchanged webhooks, want still %d", n, published)
	}

	// An older normaliser's order: the same version, a wrong address.
	kv, err := js.KeyValue(ctx, state.BucketOrders)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var key string
	for _, k := range keys {
		if strings.HasPrefix(k, "snipcart.") {
			key = k
		}
	}
	entry, err := kv.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := state.Decode(entry.Value())
	if err != nil {
		t.Fatal(err)
	}
	var right, wrong model.Order
	if err := rec.Decode(&right); err != nil {
		t.Fatal(err)
	}
	wrong = right
	wrong.CustomerEmail = "typo@example.con"
	rec.State, _ = json.Marshal(wrong)
	if rec.Fingerprint, err = wrong.ContentFingerprint(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	if _, err := kv.Update(ctx, key, b, entry.Revision()); err != nil {
		t.Fatal(err)
	}

	// Resumable: one webhook, stop, then the rest.
	out = hookstreamCmd(t, "replay", "-nats", natsURL, "-consumer", orderenricher.Durable, "-subject", "webhooks.snipcart.>", "-limit", "1")
	if !strings.Contains(out, "stopped at -limit") {
		t.Fatalf("replay -limit 1:\n%s", out)
	}
	out = hookstreamCmd(t, "replay", "-nats", natsURL, "-consumer", orderenricher.Durable, "-subject", "webhooks.snipcart.>")
	if !strings.Contains(out, "resuming after WEBHOOKS sequence") || !strings.Contains(out, "finished: 1 webhooks replayed") {
		t.Fatalf("resumed replay:\n%s", out)
	}
	replaySettled(t, js, orderenricher.Durable)
	if n := countOn(t, js, catalog.StreamOrders, "orders.snipcart.upserted"); n != published+1 {
		t.Fatalf("%d order events after the corrective replay, want %d (one correction)", n, published+1)
	}
	var fixed model.Order
	if err := state.GetState(ctx, kv, key, &fixed); err != nil || fixed.CustomerEmail != right.CustomerEmail {
		t.Errorf("stored e-mail after the replay: %q (%v), want %q", fixed.CustomerEmail, err, right.CustomerEmail)
	}
	s, _ := js.Stream(ctx, catalog.StreamOrders)
	last, err := s.GetLastMsgForSubject(ctx, "orders.snipcart.upserted.>")
	if err != nil {
		t.Fatal(err)
	}
	var event model.Order
	if err := json.Unmarshal(last.Data, &event); err != nil || event.CustomerEmail != right.CustomerEmail || last.Header.Get(state.HeaderEntityVersion) != strconv.FormatUint(published+1, 10) {
		t.Errorf("corrective event: e-mail %q, entity version %s", event.CustomerEmail, last.Header.Get(state.HeaderEntityVersion))
	}
}

// consumerIdle reports a durable with nothing pending or unacknowledged.
func consumerIdle(t *testing.T, js jetstream.JetStream, stream, durable string) bool {
	t.Helper()
	c, err := js.Consumer(context.Background(), stream, durable)
	if err != nil {
		return false
	}
	info, err := c.Info(context.Background())
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}
