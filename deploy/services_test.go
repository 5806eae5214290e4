package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natsconn"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/pkg/state"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
	"github.com/hookstream/hookstream/services/gateway"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
	"github.com/hookstream/hookstream/services/reconciler"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

var update = flag.Bool("update", false, "rewrite deploy/streams/consumers/ from the consumers the services create")

// consumersDir holds the durable consumers' definitions, as
// `nats consumer add <STREAM> --config <file>` takes them.
var consumersDir = filepath.Join(streamsDir, "consumers")

// connectAs connects to url as a NATS user and returns the connection and
// its asynchronous errors, where permission violations arrive. The
// subscriber user gets its replies on its own inbox prefix, as it must.
func connectAs(t *testing.T, url, user, password string) (*nats.Conn, <-chan error) {
	t.Helper()
	errs := make(chan error, 64)
	opts := []nats.Option{nats.UserInfo(user, password), nats.Name("deploy-test-" + user),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		})}
	if user != "admin" {
		// Each user's replies come on its own prefix (accounts.conf; the
		// services' default NATS_INBOX_PREFIX).
		opts = append(opts, nats.CustomInboxPrefix("_INBOX_"+user))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

func newJetStream(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// subjects returns how many messages each subject of a stream holds.
func subjects(js jetstream.JetStream, stream string) map[string]uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(">"))
	if err != nil {
		return nil
	}
	counts := maps.Clone(info.State.Subjects)
	// A canonical event is on its catalog subject followed by the entity's
	// key: count it under the catalog subject too.
	for subject, n := range info.State.Subjects {
		if et, ok := catalog.BySubject(subject); ok && et.Canonical() && et.Subject != subject {
			counts[et.Subject] += n
		}
	}
	return counts
}

// isViolation reports a permissions violation the server sent.
func isViolation(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "permissions violation")
}

// TestServicesDoTheirJobAsTheirNATSUsers is the proof of the permission
// sets: a server started from deploy/nats/single.conf, each real service
// built from its compose environment (only the addresses moved to
// loopback) and connected as its own user, the sandbox APIs as the
// providers. Authenticated webhooks go through the gateway and come out as
// canonical events; broken ones end in the DLQ; no connection sees a
// permissions violation. Then deploy/streams/ is compared with the streams
// and consumers the services created, and each user is refused what is
// not its job.
func TestServicesDoTheirJobAsTheirNATSUsers(t *testing.T) {
	pw := setNATSPasswords(t)
	ns := startNATS(t, filepath.Join(natsDir, "single.conf"))
	p := loadCompose(t, developmentSetup)
	gwEnv, oeEnv := composeEnv(t, p, "gateway"), composeEnv(t, p, "order-enricher")

	dev, err := sandbox.NewDev(gwEnv["SNIPCART_SECRET_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(dev)
	t.Cleanup(web.Close)
	api := sandbox.NewShipStationAPI(sandbox.ShipStationKey{Key: oeEnv["SHIPSTATION_API_KEY"], Secret: oeEnv["SHIPSTATION_API_SECRET"]})
	api.SetRateLimit(0, 0) // the reconciler below runs every 200ms
	apiSrv := httptest.NewServer(api)
	t.Cleanup(apiSrv.Close)
	apiURL, _ := url.Parse(apiSrv.URL)
	shopline := sandbox.NewShoplineAPI(composeEnv(t, p, "reconciler")["SHOPLINE_ACCESS_TOKEN"])
	shopline.SetRateLimit(0, 0)
	shoplineSrv := httptest.NewServer(shopline)
	t.Cleanup(shoplineSrv.Close)
	loopback := map[string]string{
		"SHOPLINE_API_URL":           shoplineSrv.URL,
		"NATS_URL":                   ns.ClientURL(),
		"HEALTH_ADDR":                "-",
		"SNIPCART_API_URL":           web.URL + sandbox.SnipcartPrefix,
		"SHIPSTATION_V2_JWKS_URL":    web.URL + sandbox.ShipStationV2JWKSPath,
		"SHIPSTATION_API_URL":        apiSrv.URL,
		"SHIPSTATION_RESOURCE_HOSTS": "^" + regexp.QuoteMeta(apiURL.Host) + "$",
	}

	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	var (
		mu         sync.Mutex
		violations []string
		runs       []func(context.Context) error
		gatewayURL string
	)
	for _, s := range services {
		env := composeEnv(t, p, s.name)
		for k, v := range loopback {
			if _, ok := env[k]; ok {
				env[k] = v
			}
		}
		if s.name == "reconciler" { // at once and often, not every 5m with a 5m settle time
			env["RECONCILE_INTERVAL"], env["RECONCILE_SETTLE"], env["RECONCILE_LEASE"] = "200ms", "1ms", "2s"
			env["SHIPSTATION_RATE_LIMIT"] = "100000"
		}
		cfg, err := s.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		opts := []nats.Option{nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if isViolation(err) {
				mu.Lock()
				violations = append(violations, s.name+": "+err.Error())
				mu.Unlock()
			}
		})}
		if s.name == "gateway" {
			opts = append(opts, gateway.NATSOptions()...)
		}
		nc, err := natsconn.Connect(natsConn(t, cfg), "hookstream-"+s.name, log, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		slog := log.Named(s.name)
		switch cfg := cfg.(type) {
		case gateway.Config:
			gw, err := gateway.New(cfg, nc, slog)
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			gatewayURL = "http://" + ln.Addr().String()
			runs = append(runs, func(ctx context.Context) error { return gw.Serve(ctx, ln) })
		case orderenricher.Config:
			svc, err := orderenricher.New(cfg, nc, slog)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, svc.Run)
		case shipmenttracker.Config:
			svc, err := shipmenttracker.New(cfg, nc, slog)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, svc.Run)
		case fulfillmentholds.Config:
			svc, err := fulfillmentholds.New(cfg, nc, slog)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, svc.Run)
		case reconciler.Config:
			svc, err := reconciler.New(cfg, nc, slog)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, svc.Run)
		default:
			t.Fatalf("no constructor for %T", cfg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	for _, run := range runs {
		running.Go(func() {
			if err := run(ctx); err != nil {
				t.Errorf("service stopped: %v", err)
			}
		})
	}
	t.Cleanup(func() { cancel(); running.Wait() }) // before the connections close

	admin, _ := connectAs(t, ns.ClientURL(), "admin", pw["NATS_PASSWORD_ADMIN"])
	ajs := newJetStream(t, admin)

	eventually(t, 20*time.Second, "the gateway to be ready (WEBHOOKS exists)", func() bool {
		resp, err := http.Get(gatewayURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for _, c := range []struct{ stream, durable string }{
		{"WEBHOOKS", orderenricher.Durable}, {"WEBHOOKS", shipmenttracker.Durable},
		{"WEBHOOKS", fulfillmentholds.Durable}, {fulfillmentholds.StreamHoldTimers, fulfillmentholds.TimersDurable},
	} {
		eventually(t, 20*time.Second, "durable consumer "+c.durable+" on "+c.stream, func() bool {
			_, err := ajs.Consumer(context.Background(), c.stream, c.durable)
			return err == nil
		})
	}

	t.Run("webhooks become canonical events", func(t *testing.T) {
		snd := sender{gateway: gatewayURL, sandbox: web.URL, api: apiSrv.URL,
			token: gwEnv["SHIPSTATION_WEBHOOK_TOKEN"], shoplineKey: gwEnv["SHOPLINE_APP_SECRET"]}
		for _, w := range [][2]string{
			{"shipstation", "ORDER_NOTIFY"}, {"shipstation", "SHIP_NOTIFY"}, {"shipstation", "FULFILLMENT_REJECTED"},
			{"snipcart", "order.completed"}, {"snipcart", "order.trackingNumber.changed"},
			{"shopline", "fulfillment_order/on_hold"},
		} {
			snd.mustSend(t, w[0], w[1])
		}
		want := map[string][]string{
			"ORDERS":                          {"orders.shipstation.upserted", "orders.snipcart.upserted"},
			"SHIPMENTS":                       {"shipments.shipstation.tracking_updated", "shipments.snipcart.tracking_updated"},
			"FULFILLMENT":                     {"fulfillment.shopline.hold_placed", "fulfillment.shipstation.rejected"},
			fulfillmentholds.StreamHoldTimers: {"holdtimers.schedule.shopline.1610418123456.4005740193290131085320"},
		}
		for _, stream := range sortedKeys(want) {
			for _, subject := range want[stream] {
				eventually(t, 30*time.Second, subject+" in "+stream, func() bool { return subjects(ajs, stream)[subject] > 0 })
			}
		}
		// The release cancels the overdue timer: fulfillment-holds purges
		// its schedule subject.
		snd.mustSend(t, "shopline", "fulfillment_order/released")
		eventually(t, 30*time.Second, "hold_released", func() bool {
			return subjects(ajs, "FULFILLMENT")["fulfillment.shopline.hold_released"] > 0
		})
		timer := want[fulfillmentholds.StreamHoldTimers][0]
		eventually(t, 30*time.Second, "the timer to be cancelled", func() bool {
			n, ok := subjects(ajs, fulfillmentholds.StreamHoldTimers)[timer]
			return !ok || n == 0
		})
	})

	t.Run("the reconciler finds an order whose webhook never came", func(t *testing.T) {
		// A batch created at ShipStation without a webhook: only the
		// reconciler, as its NATS user, can bring its orders in.
		api.SetBatchSize("never-notified", 1)
		if _, err := api.Create(apiSrv.URL + "/orders?storeID=42&importBatch=never-notified"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "webhooks.shipstation.reconciled.order in WEBHOOKS", func() bool {
			return subjects(ajs, "WEBHOOKS")["webhooks.shipstation.reconciled.order"] > 0
		})
		eventually(t, 30*time.Second, "the reconciled order in the orders bucket", func() bool {
			kv, err := ajs.KeyValue(context.Background(), "orders")
			if err != nil {
				return false
			}
			keys, err := kv.Keys(context.Background())
			if err != nil {
				return false
			}
			for _, k := range keys {
				var o struct {
					Store string `json:"store"`
				}
				if state.GetState(context.Background(), kv, k, &o) == nil && o.Store == "42" {
					return true
				}
			}
			return false
		})
	})

	t.Run("undecodable messages go to the DLQ", func(t *testing.T) {
		junk := map[string]string{ // published subject -> the consumer whose DLQ gets it
			"webhooks.snipcart.order.completed":                          orderenricher.Durable,
			"webhooks.shipstation.ship_notify":                           shipmenttracker.Durable,
			"webhooks.shopline.fulfillment_order.released":               fulfillmentholds.Durable,
			fulfillmentholds.HoldTimerFiredPrefix + "shopline.junk.junk": fulfillmentholds.TimersDurable,
		}
		for subject := range junk {
			if _, err := ajs.Publish(context.Background(), subject, []byte("not a CloudEvent")); err != nil {
				t.Fatal(err)
			}
		}
		for subject, durable := range junk {
			entry := dlq.Subject(durable, subject)
			eventually(t, 30*time.Second, entry, func() bool { return subjects(ajs, dlq.StreamName)[entry] > 0 })
		}
	})

	t.Run("no permissions violation", func(t *testing.T) {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range violations {
			t.Error(v)
		}
	})

	t.Run("deploy/streams matches what the services create", func(t *testing.T) {
		compareDefinitions(t, ajs, pw)
	})

	t.Run("refusals", func(t *testing.T) {
		assertRefused(t, ns.ClientURL(), pw, refusals())
		// Nothing the refused calls tried happened.
		for _, name := range []string{"WEBHOOKS", "ORDERS", "SHIPMENTS", "FULFILLMENT", fulfillmentholds.StreamHoldTimers, dlq.StreamName} {
			if _, err := ajs.Stream(context.Background(), name); err != nil {
				t.Errorf("stream %s: %v", name, err)
			}
		}
		if _, err := ajs.Consumer(context.Background(), "WEBHOOKS", orderenricher.Durable); err != nil {
			t.Errorf("consumer %s: %v", orderenricher.Durable, err)
		}
		if n := subjects(ajs, "ORDERS")["orders.snipcart.forged"]; n != 0 {
			t.Errorf("a forged order was stored")
		}
	})

	t.Run("consumers can copy a message by sequence", func(t *testing.T) {
		// What the max-deliveries advisory listener does when a process
		// died on a message's last delivery: read it from its stream.
		for _, c := range []struct{ user, stream string }{
			{orderenricher.Durable, "WEBHOOKS"}, {shipmenttracker.Durable, "WEBHOOKS"},
			{fulfillmentholds.Durable, "WEBHOOKS"}, {fulfillmentholds.Durable, fulfillmentholds.StreamHoldTimers},
		} {
			nc, errs := connectAs(t, ns.ClientURL(), c.user, pw[passwordVar(c.user)])
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			s, err := newJetStream(t, nc).Stream(ctx, c.stream)
			if err == nil {
				_, err = s.GetMsg(ctx, s.CachedInfo().State.LastSeq)
			}
			cancel()
			if err != nil {
				t.Errorf("%s cannot read %s by sequence: %v", c.user, c.stream, err)
			}
			select {
			case v := <-errs:
				t.Errorf("%s: %v", c.user, v)
			default:
			}
		}
	})

	t.Run("the operator and the system user", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := ajs.CreateStream(ctx, jetstream.StreamConfig{Name: "SCRATCH", Subjects: []string{"scratch.>"}}); err != nil {
			t.Fatalf("admin cannot create a stream: %v", err)
		}
		if err := ajs.DeleteStream(ctx, "SCRATCH"); err != nil {
			t.Fatalf("admin cannot delete a stream: %v", err)
		}
		sys, _ := connectAs(t, ns.ClientURL(), "sys", pw["NATS_PASSWORD_SYS"])
		msg, err := sys.RequestWithContext(ctx, "$SYS.REQ.SERVER.PING.JSZ", nil)
		if err != nil || !bytes.Contains(msg.Data, []byte(`"server"`)) {
			t.Fatalf("the system user cannot monitor the server: %v", err)
		}
	})
}

// refusal is something a user must not be able to do.
type refusal struct {
	user, what string
	do         func(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) error
}

// assertRefused connects as each refusal's user (connectAs) and checks that
// the server answers what it tries with a permissions violation.
func assertRefused(t *testing.T, url string, pw map[string]string, rs []refusal) {
	t.Helper()
	for _, r := range rs {
		t.Run(r.user+" "+r.what, func(t *testing.T) {
			nc, errs := connectAs(t, url, r.user, pw[passwordVar(r.user)])
			js := newJetStream(t, nc)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				err := r.do(ctx, nc, js)
				if err == nil {
					err = nc.FlushWithContext(ctx)
				}
				done <- err
			}()
			var err error
			select {
			case v := <-errs:
				if !isViolation(v) {
					t.Errorf("got %v, want a permissions violation", v)
				}
				return
			case err = <-done:
			}
			select { // the violation may arrive just after a flush returned
			case v := <-errs:
				if !isViolation(v) {
					t.Errorf("got %v, want a permissions violation", v)
				}
			case <-time.After(2 * time.Second):
				t.Errorf("not refused (the call returned %v)", err)
			}
		})
	}
}

// refusePublish: user must not publish on subject.
func refusePublish(user, subject string) refusal {
	return refusal{user, "publish " + subject, func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) error {
		return nc.Publish(subject, []byte("{}"))
	}}
}

// refuseSubscribe: user must not subscribe to subject.
func refuseSubscribe(user, subject string) refusal {
	return refusal{user, "subscribe " + subject, func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) error {
		_, err := nc.SubscribeSync(subject)
		return err
	}}
}

// refuseDeleteStream: user must not delete stream.
func refuseDeleteStream(user, stream string) refusal {
	return refusal{user, "delete stream " + stream, func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
		return js.DeleteStream(ctx, stream)
	}}
}

// refusePurge: user must not purge stream.
func refusePurge(user, stream string) refusal {
	return refusal{user, "purge " + stream, func(ctx context.Context, nc *nats.Conn, _ jetstream.JetStream) error {
		_, err := nc.RequestWithContext(ctx, "$JS.API.STREAM.PURGE."+stream, []byte("{}"))
		return err
	}}
}

// refuseConsumer: user must not create (or take over) durable on stream.
func refuseConsumer(user, stream, durable string) refusal {
	return refusal{user, "create consumer " + durable + " on " + stream, func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
		_, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: durable, AckPolicy: jetstream.AckExplicitPolicy})
		return err
	}}
}

func refusals() []refusal {
	return []refusal{
		refusePublish("gateway", "orders.snipcart.forged"),
		refusePublish("gateway", "dlq.order-enricher.x"),
		refusePublish("gateway", "webhooks.shipstation.reconciled.order"),
		refusePublish("reconciler", "webhooks.shipstation.order_notify"),
		refusePublish("reconciler", "orders.shipstation.upserted.1"),
		refusePublish("reconciler", "$KV.orders.shipstation.1"),
		refusePublish("reconciler", "$KV.shipments.shipstation.1"),
		refuseSubscribe("reconciler", "webhooks.>"),
		refuseDeleteStream("reconciler", "WEBHOOKS"),
		refusePublish("gateway", "$KV.orders.x"),
		refuseSubscribe("gateway", "webhooks.>"),
		// Each user reads its own replies only: PubAcks, fetched messages
		// and API answers of the others travel on their prefixes.
		refuseSubscribe("gateway", "_INBOX_order-enricher.>"),
		refuseSubscribe("order-enricher", "_INBOX_gateway.>"),
		refuseSubscribe("shipment-tracker", "_INBOX.>"),
		refuseSubscribe("fulfillment-holds", "_INBOX_subscriber.>"),
		refuseDeleteStream("gateway", "WEBHOOKS"),
		refusePurge("gateway", "WEBHOOKS"),
		refuseConsumer("gateway", "WEBHOOKS", "gateway"),
		refuseDeleteStream("gateway", "ORDERS"),

		refusePublish("order-enricher", "webhooks.shopline.orders.create"),
		refusePublish("order-enricher", "shipments.snipcart.tracking_updated"),
		refusePublish("order-enricher", "dlq.shipment-tracker.x"),
		refusePublish("order-enricher", "$KV.shipments.x"),
		refuseSubscribe("order-enricher", "orders.>"),
		refuseDeleteStream("order-enricher", "ORDERS"),
		refuseDeleteStream("order-enricher", "WEBHOOKS"),
		{"order-enricher", "delete its consumer", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
			return js.DeleteConsumer(ctx, "WEBHOOKS", orderenricher.Durable)
		}},
		refuseConsumer("order-enricher", "WEBHOOKS", shipmenttracker.Durable),
		refusePublish("order-enricher", "$JS.API.CONSUMER.MSG.NEXT.WEBHOOKS."+shipmenttracker.Durable),

		refusePublish("shipment-tracker", "orders.snipcart.forged"),
		refusePublish("shipment-tracker", "$KV.orders.x"),
		refuseDeleteStream("shipment-tracker", "SHIPMENTS"),
		refusePurge("shipment-tracker", "WEBHOOKS"),
		refuseConsumer("shipment-tracker", "WEBHOOKS", fulfillmentholds.Durable),

		refusePublish("fulfillment-holds", "holdtimers.fired.shopline.x.y"),
		refusePublish("fulfillment-holds", "orders.snipcart.forged"),
		refusePublish("fulfillment-holds", "$KV.orders.x"),
		refuseDeleteStream("fulfillment-holds", fulfillmentholds.StreamHoldTimers),
		refusePurge("fulfillment-holds", "FULFILLMENT"),
		refuseDeleteStream("fulfillment-holds", "WEBHOOKS"),
	}
}

// compareDefinitions holds deploy/streams/*.json and
// deploy/streams/consumers/*.json against the streams and durable
// consumers the services created on the server js is connected to: each
// file is created on a fresh server (as `nats stream add --config` and
// `nats consumer add --config` would) and the two servers' definitions
// must be equal.
func compareDefinitions(t *testing.T, js jetstream.JetStream, pw map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fresh := startNATS(t, filepath.Join(natsDir, "single.conf"))
	fnc, _ := connectAs(t, fresh.ClientURL(), "admin", pw["NATS_PASSWORD_ADMIN"])
	fjs := newJetStream(t, fnc)

	var streams []jetstream.StreamInfo
	for name := range js.StreamNames(ctx).Name() {
		if strings.HasPrefix(name, "KV_") {
			continue // buckets: `nats kv add`, made by the services
		}
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, *s.CachedInfo())
	}
	files, _ := filepath.Glob(filepath.Join(streamsDir, "*.json"))
	if len(files) != len(streams) {
		t.Errorf("deploy/streams has %d files, the services create %d streams", len(files), len(streams))
	}
	for _, info := range streams {
		var cfg jetstream.StreamConfig
		path := filepath.Join(streamsDir, info.Config.Name+".json")
		if err := json.Unmarshal(readFile(t, path), &cfg); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		s, err := fjs.CreateStream(ctx, cfg)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		want, got := info.Config, s.CachedInfo().Config
		want.Metadata, got.Metadata = nil, nil // the server's version stamps
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s drifted from what the services create (regenerate: hookstream streams -dir deploy/streams):\n file: %s\n services: %s", path, asJSON(got), asJSON(want))
		}
	}

	var consumers []string
	for _, info := range streams {
		s, err := js.Stream(ctx, info.Config.Name)
		if err != nil {
			t.Fatal(err)
		}
		for ci := range s.ListConsumers(ctx).Info() {
			cfg := ci.Config
			cfg.Metadata = nil
			path := filepath.Join(consumersDir, ci.Stream+"."+ci.Name+".json")
			consumers = append(consumers, path)
			if *update {
				if err := os.MkdirAll(consumersDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(asJSON(cfg)+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var fileCfg jetstream.ConsumerConfig
			if err := json.Unmarshal(readFile(t, path), &fileCfg); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			c, err := fjs.CreateOrUpdateConsumer(ctx, ci.Stream, fileCfg)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			got := c.CachedInfo().Config
			got.Metadata = nil
			if !reflect.DeepEqual(got, cfg) {
				t.Errorf("%s drifted from what the service creates (regenerate: go test -run TestServicesDoTheirJob -update):\n file: %s\n service: %s", path, asJSON(got), asJSON(cfg))
			}
		}
	}
	files, _ = filepath.Glob(filepath.Join(consumersDir, "*.json"))
	slices.Sort(files)
	slices.Sort(consumers)
	if !slices.Equal(files, consumers) {
		t.Errorf("deploy/streams/consumers has %v, the services create %v", files, consumers)
	}
}

func asJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err.Error()
	}
	return strings.TrimSuffix(b.String(), "\n")
}
