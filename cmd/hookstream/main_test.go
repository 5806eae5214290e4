package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/schemas"
)

// TestMain lets the test binary run as the hookstream command, so tests
// about processes start a real one: HOOKSTREAM_TEST_MAIN=1 <test binary> dev …
func TestMain(m *testing.M) {
	if os.Getenv("HOOKSTREAM_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testLogger logs to the test, or nowhere in a benchmark (whose output
// is its figures).
func testLogger(t testing.TB) *zap.Logger {
	if _, benchmark := t.(*testing.B); benchmark {
		return zap.NewNop()
	}
	return zaptest.NewLogger(t)
}

func startTestDev(t testing.TB) *devEnv {
	t.Helper()
	return startTestDevWith(t, devOptions{})
}

// startTestDevWith starts `hookstream dev` with o, every listener on a
// free loopback port and the store in a temporary directory, stopped when
// the test ends.
func startTestDevWith(t testing.TB, o devOptions) *devEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	o.dataDir, o.natsPort = t.TempDir(), 0
	o.gatewayAddr, o.sandboxAddr, o.apiAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	env, err := startDev(ctx, o, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := env.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return env
}

// `hookstream send` posts every catalog event, correctly authenticated, to
// `hookstream dev`, and each one ends in the WEBHOOKS stream.
func TestSendEveryCatalogEventToDev(t *testing.T) {
	env := startTestDev(t)
	for _, et := range catalog.Webhooks() {
		var out bytes.Buffer
		err := run(context.Background(), []string{"send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL, "-shipstation-api", env.apiURL, et.Provider, et.Event}, &out)
		if err != nil || !strings.Contains(out.String(), "200 OK") {
			t.Errorf("send %s %s: %v\n%s", et.Provider, et.Event, err, out.String())
		}
	}
	js := devJetStream(t, env)
	s, err := js.Stream(context.Background(), catalog.StreamWebhooks)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.State.Msgs, uint64(len(catalog.Webhooks())); got != want {
		t.Errorf("%d messages stored, want %d (one per catalog event)", got, want)
	}
	// The consumers turned the webhooks into canonical events: ShipStation's
	// fetched from the API sandbox, Snipcart's and SHOPLINE's from the
	// webhook itself.
	for stream, subjects := range map[string][]string{
		catalog.StreamOrders: {"orders.shipstation.upserted", "orders.snipcart.upserted", "orders.shopline.upserted"},
		catalog.StreamShipments: {"shipments.shipstation.tracking_updated", "shipments.snipcart.tracking_updated", "shipments.shopline.tracking_updated",
			"shipments.shipstation.delivery_updated"}, // TRACK_EVENT_V2 and API_TRACK
	} {
		for _, subject := range subjects {
			natstest.Eventually(t, "events on "+subject, func() bool { return countOn(t, js, stream, subject) > 0 })
		}
		checkContract(t, js, stream)
	}
}

// checkContract holds every event in a canonical stream to the
// subscribers' contract (schemas.CheckCanonicalEvent: subject, headers,
// ids, entity version, data).
func checkContract(t *testing.T, js jetstream.JetStream, stream string) {
	t.Helper()
	eachMsg(t, js, stream, "", func(m *jetstream.RawStreamMsg) {
		if _, err := schemas.CheckCanonicalEvent(m.Subject, m.Header, m.Data); err != nil {
			t.Errorf("%s #%d on %s breaks the contract: %v", stream, m.Sequence, m.Subject, err)
		}
	})
}

// devJetStream is a JetStream context on env's NATS server, closed when
// the test ends.
func devJetStream(t *testing.T, env *devEnv) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(env.ns.ClientURL())
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

// countOn counts the events of a catalog subject in stream: canonical
// events are on <subject>.<entity key>.
func countOn(t *testing.T, js jetstream.JetStream, stream, subject string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		return 0
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(subject+".>"))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

// `send -file` posts another body with its own headers: the released
// sample releases the hold the on-hold sample placed.
func TestSendFileReleasesTheHold(t *testing.T) {
	env := startTestDev(t)
	send := func(args ...string) {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"send", "-url", env.gatewayURL}, args...), &out); err != nil {
			t.Fatalf("send %v: %v\n%s", args, err, out.String())
		}
		if !strings.Contains(out.String(), `"status":"stored"`) {
			t.Fatalf("send %v was not stored:\n%s", args, out.String())
		}
	}
	js, err := jetstream.New(env.nc)
	if err != nil {
		t.Fatal(err)
	}
	// In order: a release handled before its placement (they may run
	// concurrently) rightly publishes no hold_released.
	send("shopline", "fulfillment_order/update")
	natstest.Eventually(t, "hold_placed", func() bool {
		return countOn(t, js, catalog.StreamFulfillment, "fulfillment.shopline.hold_placed") == 1
	})
	send("-file", "../../schemas/examples/shopline/fulfillment_order.update.released.json", "shopline", "fulfillment_order/update")
	natstest.Eventually(t, "hold_released", func() bool {
		return countOn(t, js, catalog.StreamFulfillment, "fulfillment.shopline.hold_released") == 1
	})
	checkContract(t, js, catalog.StreamFulfillment)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"holds", "list", "--nats", env.ns.ClientURL()}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "out of stock") {
		t.Errorf("the released hold is still listed as open:\n%s", out.String())
	}
}

// `hookstream dlq` lists, shows and redrives a real entry: a webhook the
// order-enricher cannot process (published past the gateway).
func TestDLQCommands(t *testing.T) {
	env := startTestDev(t)
	natsURL := env.ns.ClientURL()
	js, err := jetstream.New(env.nc)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg("webhooks.shipstation.order_notify")
	for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "broken-1", "ce-source": "/test",
		"ce-type": "com.shipstation.webhook.order_notify"} {
		msg.Header.Set(k, v)
	}
	msg.Data = []byte(`{"resource":"not a ShipStation body"}`)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	dlq := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), append(append([]string{"dlq"}, args...), "-nats", natsURL), &out); err != nil {
			t.Fatalf("dlq %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	seqOf := func(list string) string {
		m := regexp.MustCompile(`(?m)^(\d+)\s+order-enricher\s+webhooks\.shipstation\.order_notify\s`).FindStringSubmatch(list)
		if m == nil {
			return ""
		}
		return m[1]
	}
	var first string
	natstest.Eventually(t, "the DLQ entry", func() bool { first = seqOf(dlq("list")); return first != "" })
	if show := dlq("show", first); !strings.Contains(show, "not a ShipStation webhook body") || !strings.Contains(show, `"resource"`) {
		t.Errorf("dlq show lacks the error or the data:\n%s", show)
	}
	if out := dlq("redrive", first); !strings.Contains(out, "redrove entry "+first) {
		t.Errorf("redrive said %q", out)
	}
	// Still broken: the enricher sends it back, as a new entry.
	var second string
	natstest.Eventually(t, "the redriven message back in the DLQ", func() bool {
		second = seqOf(dlq("list"))
		return second != "" && second != first
	})
	if list := dlq("list"); strings.Count(list, "order-enricher") != 1 {
		t.Errorf("want exactly one entry after the redrive:\n%s", list)
	}
}

func TestSendRefusesWhatItCannotSign(t *testing.T) {
	env := startTestDev(t)
	for name, args := range map[string][]string{
		"unknown event":    {"shopline", "products/create"},
		"unknown provider": {"shopify", "orders/create"},
		"missing event":    {"shopline"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL}, args...), io.Discard)
			if err == nil {
				t.Errorf("send %v succeeded", args)
			}
		})
	}
	// A wrong secret is the gateway's to refuse: send reports the 401.
	var out bytes.Buffer
	err := run(context.Background(), []string{"send", "-url", env.gatewayURL, "-shopline-secret", "wrong", "shopline", "orders/create"}, &out)
	if err == nil || !strings.Contains(out.String(), "401") {
		t.Errorf("send with a wrong secret: %v\n%s", err, out.String())
	}
}

// The real binary, started as `hookstream dev`, serves and exits cleanly on
// SIGTERM: HTTP stopped, NATS drained, embedded server shut down.
func TestDevProcessStopsOnSignal(t *testing.T) {
	cmd := exec.Command(os.Args[0], "dev", "-data", t.TempDir(), "-nats-port", "0",
		"-addr", "127.0.0.1:0", "-sandbox-addr", "127.0.0.1:0", "-shipstation-api-addr", "127.0.0.1:0", "-log-level", "warn")
	cmd.Env = append(os.Environ(), "HOOKSTREAM_TEST_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	gatewayLine := regexp.MustCompile(`gateway\s+(http://\S+)`)
	lines := bufio.NewScanner(stdout)
	var gatewayURL string
	for lines.Scan() {
		if m := gatewayLine.FindStringSubmatch(lines.Text()); m != nil {
			gatewayURL = m[1]
			break
		}
	}
	if gatewayURL == "" {
		t.Fatal("dev printed no gateway address")
	}
	go io.Copy(io.Discard, stdout)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "-url", gatewayURL, "shipstation", "ORDER_NOTIFY"}, &out); err != nil {
		t.Fatalf("send to the dev process: %v\n%s", err, out.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("dev did not exit within 20s of SIGTERM")
	}
}

// The README's test command is the one .ci/run runs, and the subject
// table of docs/catalog.md is the catalog's. Run with -update to rewrite
// the table.
func TestReadmeMatchesCatalogAndCI(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	tablePath := filepath.Join(root, "docs", "catalog.md")
	table, err := os.ReadFile(tablePath)
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	testCmd := regexp.MustCompile(`(?m)^go test .*$`).Find(ci)
	if testCmd == nil || !bytes.Contains(readme, testCmd) {
		t.Errorf("README does not show .ci/run's test command %q", testCmd)
	}
	const begin, end = "<!-- catalog:begin -->\n", "<!-- catalog:end -->"
	i, j := bytes.Index(table, []byte(begin)), bytes.Index(table, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("docs/catalog.md lacks the %q … %q markers", begin, end)
	}
	want := catalog.Markdown()
	if got := string(table[i+len(begin) : j]); got != want {
		if *update {
			updated := string(table[:i+len(begin)]) + want + string(table[j:])
			if err := os.WriteFile(tablePath, []byte(updated), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/catalog.md's event table differs from catalog.Markdown(); run go test ./cmd/hookstream -run Readme -update")
	}
}

// hookstream dev accepts webhooks signed with well-known secrets: its
// gateway listens on loopback unless told otherwise, and says loudly when
// it is told otherwise.
func TestDevGatewayIsLoopbackByDefault(t *testing.T) {
	var out bytes.Buffer
	_ = runDev(context.Background(), []string{"-h"}, &out)
	if !strings.Contains(out.String(), `(default "127.0.0.1:8080")`) {
		t.Errorf("dev -h does not show a loopback default for -addr:\n%s", out.String())
	}

	core, logs := observer.New(zap.WarnLevel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, err := startDev(ctx, devOptions{
		dataDir: t.TempDir(), gatewayAddr: "0.0.0.0:0", sandboxAddr: "127.0.0.1:0", apiAddr: "127.0.0.1:0",
	}, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = env.stop() })
	if logs.FilterMessageSnippet("well-known development secrets").Len() != 1 {
		t.Errorf("no warning for a gateway on 0.0.0.0: %v", logs.All())
	}
}

// The ShipStation V2 events the consumers fetch, sent to `hookstream dev`:
// each becomes canonical events from the V2 API sandbox (a shipment with
// source fulfillment, a rejected fulfillment, orders), that keep the
// subscribers' contract, and nothing lands in a DLQ.
func TestSendV2FetchedEventsToDev(t *testing.T) {
	env := startTestDev(t)
	for _, event := range []string{"FULFILLMENT_SHIPPED_V2", "FULFILLMENT_REJECTED_V2", "SALES_ORDERS_IMPORTED_V2"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"send", "-url", env.gatewayURL, "-sandbox", env.sandboxURL, "shipstation", event}, &out); err != nil {
			t.Fatalf("send %s: %v\n%s", event, err, out.String())
		}
	}
	js := devJetStream(t, env)
	for stream, subject := range map[string]string{
		catalog.StreamShipments:   "shipments.shipstation.tracking_updated",
		catalog.StreamFulfillment: "fulfillment.shipstation.rejected",
		catalog.StreamOrders:      "orders.shipstation.upserted",
	} {
		natstest.Eventually(t, "events on "+subject, func() bool { return countOn(t, js, stream, subject) > 0 })
		checkContract(t, js, stream)
	}
	s, err := js.Stream(context.Background(), dlq.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := s.Info(context.Background()); err != nil || info.State.Msgs != 0 {
		t.Errorf("DLQ holds %d messages (%v), want none", info.State.Msgs, err)
	}
}
