package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The NATS user of applications that read hookstream's canonical events,
// and the inbox prefix it must connect with (deploy/nats/README.md).
const (
	subscriberUser  = "subscriber"
	subscriberInbox = "_INBOX_subscriber"
)

// canonicalEvents are events as the services publish them: on per-entity
// subjects, in entity-version order (docs/events.md), by stream.
var canonicalEvents = map[string][]string{
	"ORDERS": {
		"orders.shipstation.upserted.123456789",
		"orders.snipcart.upserted.1912e4c1-d008-4c15-ab12-fe21a76d30d4",
		"orders.shipstation.upserted.123456789",
	},
	"SHIPMENTS": {
		"shipments.shipstation.tracking_updated.f99887766",
		"shipments.shipstation.voided.f99887766",
	},
	"FULFILLMENT": {
		"fulfillment.shopline.hold_placed.1610418123456.4005740193290131085320",
		"fulfillment.shopline.hold_released.1610418123456.4005740193290131085320",
	},
}

// stateBuckets are the KV buckets the subscriber may read, with one key each.
var stateBuckets = map[string]string{
	"orders":    "shipstation.123456789",
	"shipments": "shipstation.f99887766",
	"holds":     "shopline.1610418123456.4005740193290131085320",
}

// streamFile reads deploy/streams/<name>.json, as `nats stream add
// --config` takes it.
func streamFile(t *testing.T, name string) jetstream.StreamConfig {
	t.Helper()
	var cfg jetstream.StreamConfig
	path := filepath.Join(streamsDir, name+".json")
	if err := json.Unmarshal(readFile(t, path), &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg
}

// TestSubscriberReadsEventsAndStateOnly proves the subscriber user's
// permission set on a server started from deploy/nats/single.conf, with the
// streams of deploy/streams/ and the state buckets made by the operator:
// the subscriber reads every canonical stream through a durable consumer of
// its own and an ordered one, reads an entity's last event and its state in
// KV, and deletes its consumer, with no permissions violation; then it is
// refused every write (events, webhooks, bucket keys, stream
// administration) and every read outside its job, and none of those
// happened.
func TestSubscriberReadsEventsAndStateOnly(t *testing.T) {
	pw := setNATSPasswords(t)
	ns := startNATS(t, filepath.Join(natsDir, "single.conf"))
	admin, _ := connectAs(t, ns.ClientURL(), "admin", pw["NATS_PASSWORD_ADMIN"])
	ajs := newJetStream(t, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, name := range []string{"WEBHOOKS", "ORDERS", "SHIPMENTS", "FULFILLMENT", "DLQ"} {
		if _, err := ajs.CreateStream(ctx, streamFile(t, name)); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	for _, stream := range sortedKeys(canonicalEvents) {
		versions := map[string]int{} // by entity: <provider>.<key>
		for _, subject := range canonicalEvents[stream] {
			tokens := strings.Split(subject, ".")
			entity := strings.Join(append(tokens[1:2], tokens[3:]...), ".")
			versions[entity]++
			v := strconv.Itoa(versions[entity])
			m := nats.NewMsg(subject)
			m.Header.Set("ce-specversion", "1.0")
			m.Header.Set("ce-entityversion", v)
			m.Data = []byte(`{"version":` + v + `}`)
			if _, err := ajs.PublishMsg(ctx, m); err != nil {
				t.Fatalf("publish %s: %v", subject, err)
			}
		}
	}
	states := map[string][]byte{}
	for _, bucket := range sortedKeys(stateBuckets) {
		kv, err := ajs.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, History: 5, Storage: jetstream.FileStorage})
		if err != nil {
			t.Fatalf("create bucket %s: %v", bucket, err)
		}
		states[bucket] = []byte(`{"version":1,"state":{"bucket":"` + bucket + `"}}`)
		if _, err := kv.Put(ctx, stateBuckets[bucket], states[bucket]); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("reads", func(t *testing.T) {
		nc, errs := connectAs(t, ns.ClientURL(), subscriberUser, pw[passwordVar(subscriberUser)])
		js := newJetStream(t, nc)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()

		// A durable pull consumer of its own, filtered by event type, read
		// and acknowledged; its position survives (the ack floor).
		const durable = "subscriber-billing"
		c, err := js.CreateOrUpdateConsumer(ctx, "ORDERS", jetstream.ConsumerConfig{
			Durable: durable, FilterSubject: "orders.*.upserted.>", AckPolicy: jetstream.AckExplicitPolicy,
		})
		if err != nil {
			t.Fatalf("create durable %s: %v", durable, err)
		}
		want := canonicalEvents["ORDERS"]
		var got []string
		for len(got) < len(want) {
			batch, err := c.Fetch(len(want)-len(got), jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			n := len(got)
			for m := range batch.Messages() {
				got = append(got, m.Subject())
				if err := m.DoubleAck(ctx); err != nil {
					t.Fatalf("ack %s: %v", m.Subject(), err)
				}
			}
			if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
				t.Fatal(err)
			}
			if len(got) == n {
				t.Fatalf("fetched %v, want %v", got, want)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("durable read %v, want %v", got, want)
		}
		if c, err = js.Consumer(ctx, "ORDERS", durable); err != nil {
			t.Fatalf("consumer info: %v", err)
		}
		if ack := c.CachedInfo().AckFloor.Stream; ack != uint64(len(want)) {
			t.Errorf("ack floor %d, want %d", ack, len(want))
		}
		names, err := listConsumers(ctx, js, "ORDERS")
		if err != nil || !slices.Equal(names, []string{durable}) {
			t.Errorf("consumer names %v (%v), want [%s]", names, err, durable)
		}

		// An ordered consumer (what `nats sub --stream` uses), by event type.
		oc, err := js.OrderedConsumer(ctx, "SHIPMENTS", jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{"shipments.*.voided.>"},
		})
		if err != nil {
			t.Fatalf("ordered consumer: %v", err)
		}
		m, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil || m.Subject() != "shipments.shipstation.voided.f99887766" {
			t.Fatalf("ordered consumer read %v (%v)", m, err)
		}

		// One entity's last event, whatever its type: all the types of one
		// entity share its version sequence.
		s, err := js.Stream(ctx, "FULFILLMENT")
		if err != nil {
			t.Fatalf("stream info: %v", err)
		}
		last, err := s.GetLastMsgForSubject(ctx, "fulfillment.shopline.*.1610418123456.4005740193290131085320")
		if err != nil {
			t.Fatalf("last event of a hold: %v", err)
		}
		if last.Subject != canonicalEvents["FULFILLMENT"][1] || last.Header.Get("ce-entityversion") != "2" {
			t.Errorf("last event of the hold: %s version %s", last.Subject, last.Header.Get("ce-entityversion"))
		}

		// The newest state of an entity, from each bucket.
		for _, bucket := range sortedKeys(stateBuckets) {
			kv, err := js.KeyValue(ctx, bucket)
			if err != nil {
				t.Fatalf("bucket %s: %v", bucket, err)
			}
			e, err := kv.Get(ctx, stateBuckets[bucket])
			if err != nil || !bytes.Equal(e.Value(), states[bucket]) {
				t.Errorf("%s %s: %v", bucket, stateBuckets[bucket], err)
			}
		}

		if err := js.DeleteConsumer(ctx, "ORDERS", durable); err != nil {
			t.Errorf("delete its durable: %v", err)
		}
		if err := nc.FlushWithContext(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errs:
			t.Errorf("the subscriber got %v", err)
		default:
		}
	})

	t.Run("refusals", func(t *testing.T) {
		createStream := func(what string, cfg jetstream.StreamConfig) refusal {
			return refusal{subscriberUser, what, func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
				_, err := js.CreateStream(ctx, cfg)
				return err
			}}
		}
		longer := streamFile(t, "ORDERS")
		longer.MaxAge *= 2
		assertRefused(t, ns.ClientURL(), pw, []refusal{
			refusePublish(subscriberUser, "orders.shipstation.upserted.123456789"),
			refusePublish(subscriberUser, "shipments.shipstation.voided.f99887766"),
			refusePublish(subscriberUser, "fulfillment.shopline.hold_released.1610418123456.4005740193290131085320"),
			refusePublish(subscriberUser, "webhooks.shopline.orders.create"),
			refusePublish(subscriberUser, "$KV.orders.shipstation.123456789"),
			refusePublish(subscriberUser, "$KV.holds.shopline.1610418123456.4005740193290131085320"),
			{subscriberUser, "put a state", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
				kv, err := js.KeyValue(ctx, "shipments")
				if err != nil {
					return err
				}
				_, err = kv.Put(ctx, stateBuckets["shipments"], []byte("{}"))
				return err
			}},
			createStream("create a stream", jetstream.StreamConfig{Name: "SCRATCH", Subjects: []string{"scratch.>"}}),
			createStream("create a stream on orders.>", jetstream.StreamConfig{Name: "COPY", Subjects: []string{"orders.>"}}),
			{subscriberUser, "update ORDERS", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
				_, err := js.UpdateStream(ctx, longer)
				return err
			}},
			{subscriberUser, "create a bucket", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
				_, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "scratch"})
				return err
			}},
			refuseDeleteStream(subscriberUser, "ORDERS"),
			refuseDeleteStream(subscriberUser, "KV_orders"),
			refusePurge(subscriberUser, "ORDERS"),
			refusePurge(subscriberUser, "SHIPMENTS"),
			refusePurge(subscriberUser, "FULFILLMENT"),
			refusePurge(subscriberUser, "KV_holds"),
			refuseSubscribe(subscriberUser, "orders.>"),
			refuseSubscribe(subscriberUser, "_INBOX.>"),
			refuseSubscribe(subscriberUser, "webhooks.>"),
			refuseConsumer(subscriberUser, "WEBHOOKS", "subscriber-raw"),
			refuseConsumer(subscriberUser, "DLQ", "subscriber-dlq"),
			refuseConsumer(subscriberUser, "KV_orders", "subscriber-watch"),
			refusePublish(subscriberUser, "$JS.API.STREAM.MSG.GET.WEBHOOKS"),
		})

		// Nothing the refused calls tried happened.
		for _, stream := range sortedKeys(canonicalEvents) {
			s, err := ajs.Stream(ctx, stream)
			if err != nil {
				t.Fatal(err)
			}
			info := s.CachedInfo()
			if n := info.State.Msgs; n != uint64(len(canonicalEvents[stream])) {
				t.Errorf("%s holds %d messages, want %d", stream, n, len(canonicalEvents[stream]))
			}
			if want := streamFile(t, stream); info.Config.MaxAge != want.MaxAge || !reflect.DeepEqual(info.Config.Subjects, want.Subjects) {
				t.Errorf("%s was changed: %+v", stream, info.Config)
			}
		}
		for _, bucket := range sortedKeys(stateBuckets) {
			kv, err := ajs.KeyValue(ctx, bucket)
			if err != nil {
				t.Fatal(err)
			}
			if e, err := kv.Get(ctx, stateBuckets[bucket]); err != nil || e.Revision() != 1 {
				t.Errorf("%s %s was written: %v", bucket, stateBuckets[bucket], err)
			}
		}
		for _, name := range []string{"SCRATCH", "COPY", "KV_scratch"} {
			if _, err := ajs.Stream(ctx, name); !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Errorf("stream %s: %v, want not found", name, err)
			}
		}
	})
}

// listConsumers returns the consumer names of a stream.
func listConsumers(ctx context.Context, js jetstream.JetStream, stream string) ([]string, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	lister := s.ConsumerNames(ctx)
	var names []string
	for n := range lister.Name() {
		names = append(names, n)
	}
	return names, lister.Err()
}
