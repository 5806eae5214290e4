package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/pkg/state"
)

// proc is a process the topology test started.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startProc starts bin with exactly env (nothing of the test's own
// environment), logging to a file that is printed when the test fails,
// and stops it (SIGTERM, then SIGKILL) when the test ends.
func startProc(t *testing.T, dir, name, bin string, env map[string]string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = envList(env)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		out.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 20*time.Second)
		if t.Failed() {
			t.Logf("--- %s: warnings and errors, then the last lines\n%s\n...\n%s", name, problems(p.log, 40), tail(p.log, 10))
		}
	})
	return p
}

// stop signals the process and waits for it to exit, killing it after
// grace.
func (p *proc) stop(sig os.Signal, grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func envList(env map[string]string) []string {
	list := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		list = append(list, k+"="+env[k])
	}
	return list
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// problems returns up to n log lines above level info.
func problems(path string, n int) string {
	b, _ := os.ReadFile(path)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `"level":"warn"`) || strings.Contains(l, `"level":"error"`) || strings.Contains(l, "[WRN]") || strings.Contains(l, "[ERR]") {
			out = append(out, l)
		}
	}
	return strings.Join(out[:min(n, len(out))], "\n")
}

// freePort returns a loopback port that was free a moment ago, and that
// no other freePort call of this test binary returns.
//
// The port is for a process the test starts, which binds it a moment
// later. A port from the kernel's ephemeral range (the one a listener on
// port 0 gets) can be taken in that moment by any process on the machine,
// for a listener on port 0 or as the local port of an outgoing connection:
// under the parallel suite a nats-server then failed to start with
// "address already in use". So the port is chosen below that range, where
// only a process asking for that very port could take it.
func freePort(t *testing.T) int {
	t.Helper()
	const lowest = 10000 // above the well-known and most registered ports
	ephemeral := ephemeralLow()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 1000 {
		port := lowest + rand.IntN(ephemeral-lowest)
		if portsGiven[port] {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln.Close()
		portsGiven[port] = true
		return port
	}
	t.Fatalf("no free loopback port between %d and %d", lowest, ephemeral)
	return 0
}

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// ephemeralLow returns the lowest port of the kernel's ephemeral range,
// or Linux's default where the range cannot be read or leaves too little
// room below it.
func ephemeralLow() int {
	const linuxDefault = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return linuxDefault
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		return linuxDefault
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= 20000 {
		// Too narrow a range below it to choose from: take the default.
		return linuxDefault
	}
	return low
}

// run runs bin to completion with env and returns its output.
func run(ctx context.Context, bin string, env map[string]string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = envList(env)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestComposeTopologyAsProcesses runs what `docker compose up` runs with
// deploy/compose/cluster.yml (the development setup, with its sandbox), as plain processes
// on loopback: three nats-server processes from the cluster
// configurations, the five service binaries with their compose
// environments and health checks (the binaries' own -healthcheck), the
// sandbox, and `hookstream send`. Then it kills the WEBHOOKS stream's
// leader while webhooks keep arriving: every webhook answered 2xx is in
// the stream exactly once, and the services keep working.
func TestComposeTopologyAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs a three-node cluster of processes; skipped with -short")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin+string(filepath.Separator),
		"github.com/nats-io/nats-server/v2",
		"../services/gateway/cmd/gateway",
		"../services/order-enricher/cmd/order-enricher",
		"../services/shipment-tracker/cmd/shipment-tracker",
		"../services/fulfillment-holds/cmd/fulfillment-holds",
		"../services/reconciler/cmd/reconciler",
		"../cmd/hookstream",
	)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	binary := func(name string) string { return filepath.Join(bin, name) }

	p := loadCompose(t, clusterSetup)

	// Three NATS servers from cluster-{1,2,3}.conf, as compose runs them:
	// the same files and environment, loopback ports, a store each.
	type node struct {
		name                string // server_name
		client, route, http int
		args                []string
		proc                *proc
	}
	nodes := make([]*node, 3)
	var routes []string
	for i := range nodes {
		nodes[i] = &node{name: "nats-" + strconv.Itoa(i+1), client: freePort(t), route: freePort(t), http: freePort(t)}
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(nodes[i].route))
	}
	natsEnv := composeEnv(t, p, "nats")
	for i, n := range nodes {
		dir := filepath.Join(tmp, n.name)
		conf := copyNATSConfigs(t, dir, "cluster-"+strconv.Itoa(i+1)+".conf")
		n.args = []string{"-c", conf, "-a", "127.0.0.1", "-p", strconv.Itoa(n.client), "-m", strconv.Itoa(n.http),
			"--cluster", "nats://127.0.0.1:" + strconv.Itoa(n.route), "--routes", strings.Join(routes, ",")}
		n.proc = startProc(t, tmp, n.name, binary("nats-server"), natsEnv, n.args...)
	}
	for _, n := range nodes {
		url := "http://127.0.0.1:" + strconv.Itoa(n.http) + "/healthz?js-enabled-only=true" // compose's health check
		eventually(t, 30*time.Second, n.name+" healthy", func() bool { return httpOK(url) })
	}
	var natsURLs []string
	for _, n := range nodes {
		natsURLs = append(natsURLs, "nats://127.0.0.1:"+strconv.Itoa(n.client))
	}
	natsURL := strings.Join(natsURLs, ",")

	// The sandbox: `hookstream sandbox` with the compose command's keys.
	web, api := "127.0.0.1:"+strconv.Itoa(freePort(t)), "127.0.0.1:"+strconv.Itoa(freePort(t))
	sandboxArgs := []string{"sandbox", "-addr=" + web, "-shipstation-api-addr=" + api}
	for _, a := range p.Services["sandbox"].Command {
		if strings.HasPrefix(a, "-snipcart-") || strings.HasPrefix(a, "-shipstation-api-key") || strings.HasPrefix(a, "-shipstation-api-secret") {
			sandboxArgs = append(sandboxArgs, a)
		}
	}
	webURL, apiURL := "http://"+web, "http://"+api
	if out, _ := run(ctx, binary("hookstream"), nil, "sandbox", "-h"); strings.Contains(out, "unknown command") {
		// Until cmd/hookstream registers the sandbox command, serve the
		// same handlers in-process.
		t.Log("hookstream has no sandbox command yet; serving the sandbox in-process")
		webURL, apiURL = startSandboxInProcess(t, p)
		api = strings.TrimPrefix(apiURL, "http://")
	} else {
		startProc(t, tmp, "sandbox", binary("hookstream"), nil, sandboxArgs...)
		check := append([]string{"sandbox", "-healthcheck"}, sandboxArgs[1:3]...)
		eventually(t, 20*time.Second, "sandbox healthy", func() bool {
			_, err := run(ctx, binary("hookstream"), nil, check...)
			return err == nil
		})
	}

	// The services, in compose's order, each waiting for the previous to
	// pass its health check; the environment is the compose file's with
	// only the addresses moved to loopback.
	serviceEnv := map[string]map[string]string{}
	serviceProc := map[string]*proc{}
	for _, s := range services {
		env := composeEnv(t, p, s.name)
		set := func(k, v string) {
			if _, ok := env[k]; !ok {
				t.Fatalf("compose does not set %s for %s", k, s.name)
			}
			env[k] = v
		}
		set("NATS_URL", natsURL)
		set(s.addrVar, "127.0.0.1:"+strconv.Itoa(freePort(t)))
		set("SHIPSTATION_RESOURCE_HOSTS", "^"+regexp.QuoteMeta(api)+"$")
		if s.name == "gateway" {
			set("SNIPCART_API_URL", webURL+sandbox.SnipcartPrefix)
			set("SHIPSTATION_V2_JWKS_URL", webURL+sandbox.ShipStationV2JWKSPath)
		} else {
			set("SHIPSTATION_API_URL", apiURL)
			if s.name == "reconciler" {
				set("SHOPLINE_API_URL", webURL+sandbox.ShoplinePrefix)
			}
			// A handler whose JetStream request went to the killed leader
			// waits for its deadline (state.Store.Apply bounds each call to state.CallTimeout), so
			// the consumers recover from the failover after
			// CONSUMER_HANDLER_TIMEOUT (default 2m). The test waits 15s.
			env["CONSUMER_HANDLER_TIMEOUT"] = handlerTimeout.String()
		}
		serviceEnv[s.name] = env
		if out, err := run(ctx, binary(s.name), env, "-healthcheck"); err == nil {
			t.Fatalf("%s -healthcheck passes before the service runs: %s", s.name, out)
		}
		serviceProc[s.name] = startProc(t, tmp, s.name, binary(s.name), env)
		waitHealthy(t, ctx, binary(s.name), env, serviceProc[s.name], 60*time.Second)
	}
	gatewayURL := "http://" + serviceEnv["gateway"]["GATEWAY_ADDR"]

	admin, err := nats.Connect(natsURL, nats.UserInfo("admin", natsEnv["NATS_PASSWORD_ADMIN"]), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ajs := newJetStream(t, admin)

	t.Run("webhooks sent with hookstream send become canonical events", func(t *testing.T) {
		gw := serviceEnv["gateway"]
		for _, w := range [][2]string{
			{"shipstation", "ORDER_NOTIFY"}, {"shipstation", "SHIP_NOTIFY"},
			{"snipcart", "order.completed"}, {"shopline", "fulfillment_order/on_hold"},
		} {
			out, err := run(ctx, binary("hookstream"), nil, "send", "-url", gatewayURL, "-sandbox", webURL,
				"-shipstation-api", apiURL, "-shipstation-token", gw["SHIPSTATION_WEBHOOK_TOKEN"],
				"-shopline-secret", gw["SHOPLINE_APP_SECRET"], w[0], w[1])
			if err != nil {
				t.Fatalf("hookstream send %s %s: %v\n%s", w[0], w[1], err, out)
			}
		}
		want := map[string]string{
			"orders.shipstation.upserted":            "ORDERS",
			"orders.snipcart.upserted":               "ORDERS",
			"shipments.shipstation.tracking_updated": "SHIPMENTS",
			"fulfillment.shopline.hold_placed":       "FULFILLMENT",
		}
		for _, subject := range sortedKeys(want) {
			eventually(t, 30*time.Second, subject, func() bool { return subjects(ajs, want[subject])[subject] > 0 })
		}
		for name := range ajs.StreamNames(ctx).Name() {
			s, err := ajs.Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if r := s.CachedInfo().Config.Replicas; r != 3 {
				t.Errorf("stream %s has %d replicas, want 3 (STREAM_REPLICAS=3)", name, r)
			}
		}
	})

	t.Run("hookstream streams prints deploy/streams", func(t *testing.T) {
		out, err := run(ctx, binary("hookstream"), nil, "streams")
		if strings.Contains(out, "unknown command") {
			t.Skip("cmd/hookstream does not register the streams command yet")
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		n := 0
		for {
			var got jetstream.StreamConfig
			if err := dec.Decode(&got); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			n++
			var want jetstream.StreamConfig
			if err := json.Unmarshal(readFile(t, filepath.Join(streamsDir, got.Name+".json")), &want); err != nil {
				t.Fatal(err)
			}
			if asJSON(got) != asJSON(want) {
				t.Errorf("hookstream streams prints %s differently from deploy/streams", got.Name)
			}
		}
		if files, _ := filepath.Glob(filepath.Join(streamsDir, "*.json")); n != len(files) {
			t.Errorf("hookstream streams prints %d streams, deploy/streams has %d", n, len(files))
		}
	})

	// The fault suite: a second gateway and a second fulfillment-holds
	// replica join; webhooks are sent as a provider sends them (any non-2xx
	// is sent again, to either gateway); while they arrive the WEBHOOKS
	// leader, a gateway and a fulfillment-holds replica are killed with
	// SIGKILL, and all three are started again later.
	t.Run("a NATS server, a gateway and a consumer replica die mid-stream", func(t *testing.T) {
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		s, err := ajs.Stream(sctx, "WEBHOOKS")
		scancel()
		if err != nil {
			t.Fatal(err)
		}
		leader := s.CachedInfo().Cluster.Leader
		victim := slices.IndexFunc(nodes, func(n *node) bool { return n.name == leader })
		if victim < 0 {
			t.Fatalf("WEBHOOKS leader %q is none of the nodes", leader)
		}
		replica := func(name string, addrVar string) (map[string]string, *proc) {
			env := maps.Clone(serviceEnv[name])
			env[addrVar] = "127.0.0.1:" + strconv.Itoa(freePort(t))
			pr := startProc(t, tmp, name+"-2", binary(name), env)
			waitHealthy(t, ctx, binary(name), env, pr, 30*time.Second)
			return env, pr
		}
		gateway2Env, _ := replica("gateway", "GATEWAY_ADDR")
		replica("fulfillment-holds", "HEALTH_ADDR")
		gateways := []string{gatewayURL, "http://" + gateway2Env["GATEWAY_ADDR"]}

		const total = 120
		hooks := holdHooks(t, total, holdOrderID, holdWebhookID)
		killed, revived := make(chan struct{}), make(chan struct{})
		var results []loadResult
		loaded := make(chan struct{})
		go func() {
			defer close(loaded)
			// Through whichever gateway the balancer picks.
			results = sendLikeAProvider(t, hooks, 4, 60, func(i, attempt int) sender {
				return sender{gateway: gateways[(i+attempt)%2], shoplineKey: serviceEnv["gateway"]["SHOPLINE_APP_SECRET"]}
			}, func(done int) {
				switch done {
				case total / 3:
					close(killed)
				case 2 * total / 3:
					close(revived)
				}
			})
		}()
		<-killed
		t.Logf("killing %s (the WEBHOOKS leader), the first gateway and the first fulfillment-holds replica after %d webhooks", leader, total/3)
		nodes[victim].proc.stop(syscall.SIGKILL, 5*time.Second)
		serviceProc["gateway"].stop(syscall.SIGKILL, 5*time.Second)
		serviceProc["fulfillment-holds"].stop(syscall.SIGKILL, 5*time.Second)
		killedAt := time.Now()
		<-revived
		t.Logf("starting them again after %d webhooks", 2*total/3)
		nodes[victim].proc = startProc(t, tmp, nodes[victim].name+"-again", binary("nats-server"), natsEnv, nodes[victim].args...)
		for _, name := range []string{"gateway", "fulfillment-holds"} {
			serviceProc[name] = startProc(t, tmp, name+"-again", binary(name), serviceEnv[name])
		}
		<-loaded

		retried := 0
		for i, r := range results {
			if !r.acked {
				t.Errorf("webhook %d never answered 2xx in %d attempts; last: %s", i, r.attempts, r.last)
			}
			if r.attempts > 1 {
				retried++
			}
		}
		t.Logf("%d of %d webhooks needed a retry", retried, total)
		acked := 0
		for _, r := range results {
			if r.acked {
				acked++
			}
		}

		// Every answered webhook is in WEBHOOKS exactly once.
		// (Each JetStream call gets a few seconds: a request that reached
		// the dead server before the cluster noticed is never answered.)
		counts := map[string]int{}
		eventually(t, 30*time.Second, "WEBHOOKS readable after the failover", func() bool {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			c, err := msgIDCounts(cctx, ajs, "webhooks.shopline.fulfillment_order.on_hold")
			counts = c
			return err == nil
		})
		lost, duplicated := 0, 0
		for i, r := range results {
			id := shopline.WebhookID("fulfillment_order/on_hold", hooks[i].headers[shopline.HeaderShopID], hooks[i].body)
			switch n := counts[id]; {
			case r.acked && n == 0:
				lost++
			case n > 1:
				duplicated++
			}
			if r.acked && counts[id] != 1 {
				t.Errorf("webhook %d (%s) is in WEBHOOKS %d times, want once", i, id, counts[id])
			}
		}
		t.Logf("fault run: %d webhooks, %d answered 2xx, %d lost, %d stored twice, %d needed a retry", total, acked, lost, duplicated, retried)

		// The services kept working: every hold is in the holds bucket,
		// and every health check passes again.
		var kv jetstream.KeyValue
		eventually(t, 30*time.Second, "the holds bucket", func() bool {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			kv, err = ajs.KeyValue(cctx, state.BucketHolds)
			return err == nil
		})
		for i := range total {
			key := "shopline.1610418123456." + holdOrderID(i)
			eventually(t, handlerTimeout+45*time.Second, "hold "+key, func() bool {
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				_, err := kv.Get(cctx, key)
				return err == nil
			})
		}
		t.Logf("every hold stored %s after the kill", time.Since(killedAt).Round(time.Second))
		// Every hold reached FULFILLMENT once, and no entity's events went
		// backwards or came twice.
		eventually(t, 30*time.Second, "a hold_placed for every hold", func() bool {
			return subjects(ajs, catalog.StreamFulfillment)["fulfillment.shopline.hold_placed"] >= total
		})
		last, events, breaches := checkCanonicalOrder(t, ctx, ajs, catalog.StreamFulfillment, nil)
		for i := range total {
			entity := "fulfillment.shopline.*.1610418123456." + holdOrderID(i)
			if last[entity].version == 0 {
				t.Errorf("no event for hold %s", entity)
			}
		}
		t.Logf("fault run: %d canonical events for %d holds, %d out of order or twice", events, len(last), breaches)
		for _, s := range services {
			waitHealthy(t, ctx, binary(s.name), serviceEnv[s.name], serviceProc[s.name], 30*time.Second)
		}
	})
}

// handlerTimeout is the consumers' CONSUMER_HANDLER_TIMEOUT in the
// topology test.
const handlerTimeout = 15 * time.Second

// holdOrderID and holdWebhookID are the fulfillment order and the
// X-Shopline-Webhook-Id of the failover test's i-th webhook.
func holdOrderID(i int) string   { return fmt.Sprintf("77%020d", i) }
func holdWebhookID(i int) string { return fmt.Sprintf("%024x", 0xdeb10c0000+i) }

// msgIDCounts counts the messages on subject in WEBHOOKS by Nats-Msg-Id.
func msgIDCounts(ctx context.Context, js jetstream.JetStream, subject string) (map[string]int, error) {
	s, err := js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for seq := uint64(1); ; {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return counts, nil
		}
		if err != nil {
			return nil, err
		}
		counts[m.Header.Get(nats.MsgIdHdr)]++
		seq = m.Sequence + 1
	}
}

// waitHealthy runs the binary's own health check (`<bin> -healthcheck`,
// what the compose file and the image run) until it passes.
func waitHealthy(t *testing.T, ctx context.Context, bin string, env map[string]string, p *proc, d time.Duration) {
	t.Helper()
	var last string
	deadline := time.Now().Add(d)
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := run(cctx, bin, env, "-healthcheck")
		cancel()
		if err == nil {
			return
		}
		last = out
		if p.exited() {
			t.Fatalf("%s exited:\n%s", p.name, tail(p.log, 20))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy after %s: %s", p.name, d, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func httpOK(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// copyNATSConfigs copies deploy/nats into dir with the JetStream store
// moved from the container's volume (/data/jetstream) into dir, and
// returns the path of conf there. Ports and routes are set by flags.
func copyNATSConfigs(t *testing.T, dir, conf string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(natsDir, "*.conf"))
	for _, f := range files {
		b := readFile(t, f)
		if filepath.Base(f) == conf {
			const store = "store_dir: /data/jetstream"
			if bytes.Count(b, []byte(store)) != 1 {
				t.Fatalf("%s does not set %q once", f, store)
			}
			b = bytes.Replace(b, []byte(store), []byte(`store_dir: "`+filepath.Join(dir, "jetstream")+`"`), 1)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, conf)
}

// startSandboxInProcess serves the sandbox handlers `hookstream sandbox`
// serves, with the compose command's keys, and returns their base URLs.
func startSandboxInProcess(t *testing.T, p *types.Project) (web, api string) {
	t.Helper()
	flags := map[string]string{}
	for _, arg := range p.Services["sandbox"].Command {
		if k, v, ok := strings.Cut(arg, "="); ok {
			flags[strings.TrimLeft(k, "-")] = v
		}
	}
	dev, err := sandbox.NewDev(flags["snipcart-secret-key"])
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewServer(dev)
	t.Cleanup(w.Close)
	a := httptest.NewServer(sandbox.NewShipStationAPI(sandbox.ShipStationKey{Key: flags["shipstation-api-key"], Secret: flags["shipstation-api-secret"]}))
	t.Cleanup(a.Close)
	return w.URL, a.URL
}
