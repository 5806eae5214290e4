package subscribe_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/streams"
	"github.com/hookstream/hookstream/pkg/subscribe"
)

// subscriberPermissions are the least a subscriber with durable durable on
// stream needs: what Run does on the wire, and nothing else.
func subscriberPermissions(stream, durable string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.STREAM.INFO." + stream,                            // the stream exists
			"$JS.API.STREAM.INFO.DLQ",                                  // the DLQ exists (created by hookstream)
			"$JS.API.CONSUMER.CREATE." + stream + "." + durable,        // several filters
			"$JS.API.CONSUMER.CREATE." + stream + "." + durable + ".>", // one filter
			"$JS.API.CONSUMER.INFO." + stream + "." + durable,          // ack-pending gauges
			"$JS.API.CONSUMER.MSG.NEXT." + stream + "." + durable,      // fetch
			"$JS.ACK." + stream + "." + durable + ".>",                 // ack, nak, term, in progress
			"$JS.API.STREAM.MSG.GET." + stream,                         // the advisory listener's DLQ copy
			"dlq." + durable + ".>",                                    // dead letters
			"$JS.API.STREAM.INFO.KV_dlq_owed",                          // bind the owed bucket (hookstream's services create it)
			"$JS.API.CONSUMER.CREATE.KV_dlq_owed.>",                    // list what durable owes the DLQ, at start-up
			"$JS.API.CONSUMER.DELETE.KV_dlq_owed.>",                    // and stop listing
			"$JS.FC.KV_dlq_owed.>",                                     // the listing's flow control
			"$JS.API.DIRECT.GET.KV_dlq_owed.>",                         // read an owed record
			"$KV.dlq_owed." + durable + ".>",                           // record a copy that failed on the last delivery
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			"_INBOX_subscriber.>",
			"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + stream + "." + durable,
		}},
	}
}

// Run works as a least-privilege user whose replies must use
// _INBOX_subscriber: retries, dead letters and acks stay within the
// permissions above, and the server reports no violation.
func TestRunAsLeastPrivilegeSubscriber(t *testing.T) {
	const durable = "perm-test"
	opts := &server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		Users: []*server.User{
			{Username: "admin", Password: "admin"},
			{Username: "subscriber", Password: "sub", Permissions: subscriberPermissions(catalog.StreamOrders, durable)},
		},
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	connect := func(user, password string, extra ...nats.Option) jetstream.JetStream {
		nc, err := nats.Connect(ns.ClientURL(), append([]nats.Option{nats.UserInfo(user, password)}, extra...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	admin := connect("admin", "admin")
	e := provisionJS(t, admin)
	if _, err := admin.CreateStream(context.Background(), dlq.Stream(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateKeyValue(context.Background(), dlq.OwedBucketConfig(1)); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)
	for _, id := range []string{"ok", "flaky", "broken"} {
		e.putOrder(t, nil, order(catalog.ShipStation, id, id, t0))
	}

	violations := make(chan error, 16)
	sub := connect("subscriber", "sub", nats.CustomInboxPrefix("_INBOX_subscriber"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) || strings.Contains(strings.ToLower(err.Error()), "permission") {
				select {
				case violations <- err:
				default:
				}
			}
		}))
	var done received[string]
	run(t, sub, subscribe.Config{
		Durable:        durable,
		FilterSubjects: []string{"orders.>"},
		Consumer:       runner.Config{BackOff: []time.Duration{20 * time.Millisecond}, MaxDeliver: 2},
		Metrics:        prometheus.NewRegistry(), // the ack-pending gauges ask for the consumer's info
	}, func(_ context.Context, ev subscribe.Event) error {
		switch {
		case ev.EntityID == "shipstation:broken":
			return runner.Permanent(errors.New("cannot map"))
		case ev.EntityID == "shipstation:flaky" && ev.Attempt == 1:
			return errors.New("try again")
		}
		done.add(ev.EntityID)
		return nil
	})
	entries := waitDLQ(t, admin, durable, 1)
	if entries[0].Header.Get("ce-subject") != "shipstation:broken" {
		t.Errorf("DLQ entry for %s", entries[0].Header.Get("ce-subject"))
	}
	natstest.Eventually(t, "ok and flaky handled", func() bool { return len(done.get()) == 2 })
	select {
	case err := <-violations:
		t.Errorf("permission violation: %v", err)
	default:
	}
}
