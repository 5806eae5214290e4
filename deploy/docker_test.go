package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// dockerTestVar turns TestDockerCompose on; deploy/docker/compose-test.sh
// sets it once an engine runs and the images are built.
const dockerTestVar = "HOOKSTREAM_DOCKER_TEST"

// composeProject is one `docker compose` project of the test: the real
// docker-compose.yml (and the files on top of it), run from the repository
// root as a user types it, with a project name of its own (hookstream-ct-*,
// which compose-test.sh cleans up) and its own host ports.
type composeProject struct {
	name    string
	envFile string   // --env-file: what .env would hold ("" for none)
	files   []string // -f, when not docker-compose.yml alone
	ports   map[string]int
}

// newComposeProject returns a project whose .env holds env, and takes it
// down with its volumes at the end of the test.
func newComposeProject(t *testing.T, name string, env map[string]string, files ...string) *composeProject {
	t.Helper()
	p := &composeProject{name: "hookstream-ct-" + name, files: files, ports: map[string]int{}}
	for _, v := range []string{"GATEWAY_PORT", "NATS_PORT", "NATS_MONITOR_PORT", "SANDBOX_PORT"} {
		p.ports[v] = freePort(t)
	}
	p.envFile = filepath.Join(t.TempDir(), ".env")
	var b strings.Builder
	for _, k := range sortedKeys(env) {
		fmt.Fprintf(&b, "%s=%s\n", k, env[k])
	}
	if err := os.WriteFile(p.envFile, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if out, err := p.compose(ctx, "down", "-v", "--remove-orphans", "--timeout", "10"); err != nil {
			t.Errorf("docker compose down -v: %v\n%s", err, out)
		}
	})
	return p
}

func (p *composeProject) command(ctx context.Context, args ...string) *exec.Cmd {
	full := []string{"compose", "-p", p.name, "--env-file", p.envFile}
	for _, f := range p.files {
		full = append(full, "-f", f)
	}
	cmd := exec.CommandContext(ctx, "docker", append(full, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "COMPOSE_PROGRESS=plain", "COMPOSE_ANSI=never")
	for k, v := range p.ports {
		cmd.Env = append(cmd.Env, k+"="+strconv.Itoa(v))
	}
	return cmd
}

// compose runs `docker compose <args>` and returns its output.
func (p *composeProject) compose(ctx context.Context, args ...string) (string, error) {
	out, err := p.command(ctx, args...).CombinedOutput()
	return string(out), err
}

// must runs `docker compose <args>` and fails the test if it fails.
func (p *composeProject) must(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := p.compose(ctx, args...)
	if err != nil {
		t.Fatalf("docker compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// up starts the project and waits until every service is healthy.
func (p *composeProject) up(t *testing.T) {
	t.Helper()
	start := time.Now()
	p.must(t, "up", "-d", "--wait", "--wait-timeout", "240")
	t.Logf("docker compose up -d --wait: every service healthy after %s", time.Since(start).Round(time.Second))
}

// nats runs the nats CLI in nats-box, as the README shows.
func (p *composeProject) nats(t *testing.T, args ...string) string {
	t.Helper()
	return p.must(t, append([]string{"exec", "-T", "nats-box", "nats"}, args...)...)
}

// streamSubjects returns `nats stream subjects <stream> --json`, or nil. A
// canonical event is on its catalog subject followed by the entity's key:
// it counts under the catalog subject too.
func (p *composeProject) streamSubjects(stream string) map[string]uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := p.compose(ctx, "exec", "-T", "nats-box", "nats", "stream", "subjects", stream, "--json")
	if err != nil {
		return nil
	}
	var subs map[string]uint64
	if json.Unmarshal([]byte(out), &subs) != nil {
		return nil
	}
	counts := maps.Clone(subs)
	for subject, n := range subs {
		if et, ok := catalog.BySubject(subject); ok && et.Canonical() && et.Subject != subject {
			counts[et.Subject] += n
		}
	}
	return counts
}

// streamMessages returns how many messages each stream holds.
func (p *composeProject) streamMessages(t *testing.T, streams ...string) map[string]uint64 {
	t.Helper()
	counts := map[string]uint64{}
	for _, s := range streams {
		var info jetstream.StreamInfo
		if err := json.Unmarshal([]byte(p.nats(t, "stream", "info", s, "--json")), &info); err != nil {
			t.Fatalf("nats stream info %s --json: %v", s, err)
		}
		counts[s] = info.State.Msgs
	}
	return counts
}

// container is what the test reads of `docker inspect`.
type container struct {
	ID     string
	Name   string
	Config struct {
		User   string
		Env    []string
		Labels map[string]string
	}
	State struct {
		Status    string
		StartedAt time.Time
		Health    *struct{ Status string }
	}
	NetworkSettings struct {
		Networks map[string]struct{ IPAddress string }
	}
}

func (c container) service() string { return c.Config.Labels["com.docker.compose.service"] }

func (c container) env(name string) string {
	for _, kv := range c.Config.Env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

// containers inspects the project's containers, by service.
func (p *composeProject) containers(t *testing.T) map[string]container {
	t.Helper()
	ids := strings.Fields(p.must(t, "ps", "-a", "-q"))
	if len(ids) == 0 {
		t.Fatal("the project has no containers")
	}
	out, err := exec.Command("docker", append([]string{"inspect"}, ids...)...).Output()
	if err != nil {
		t.Fatalf("docker inspect: %v", err)
	}
	var cs []container
	if err := json.Unmarshal(out, &cs); err != nil {
		t.Fatal(err)
	}
	m := map[string]container{}
	for _, c := range cs {
		m[c.service()] = c
	}
	return m
}

// processUIDs returns the user ids of a container's processes, as the
// host's ps sees them (docker top).
func processUIDs(t *testing.T, id string) []string {
	t.Helper()
	out, err := exec.Command("docker", "top", id, "-o", "pid,uid,args").Output()
	if err != nil {
		t.Fatalf("docker top: %v", err)
	}
	var uids []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n")[1:] {
		if f := strings.Fields(line); len(f) >= 2 {
			uids = append(uids, f[1])
		}
	}
	return uids
}

// natsConnections returns each client connection's NATS user by the
// client's address, from the monitoring endpoint's /connz.
func natsConnections(t *testing.T, monitorPort int) map[string][]string {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(monitorPort) + "/connz?auth=true&limit=1024")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var connz struct {
		Connections []struct {
			IP   string `json:"ip"`
			User string `json:"authorized_user"`
		} `json:"connections"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&connz); err != nil {
		t.Fatal(err)
	}
	users := map[string][]string{}
	for _, c := range connz.Connections {
		users[c.IP] = append(users[c.IP], c.User)
	}
	return users
}

// The services of docker-compose.yml: the five hookstream services, which
// connect to NATS as the user of their name, and the rest.
var (
	appServices   = []string{"gateway", "order-enricher", "shipment-tracker", "fulfillment-holds", "reconciler"}
	canonicalWant = map[string]string{ // subject -> stream, as the README's tour shows
		"orders.shipstation.upserted":            "ORDERS",
		"orders.snipcart.upserted":               "ORDERS",
		"shipments.shipstation.tracking_updated": "SHIPMENTS",
		"fulfillment.shopline.hold_placed":       "FULFILLMENT",
	}
)

// TestDockerCompose runs docker-compose.yml for real: the development
// setup as `docker compose up` on a fresh clone starts it, `hookstream
// send` from the host for every provider, restart and down/up, the
// production setup from an .env, and the three-node cluster losing its
// stream leader under load. deploy/docker/compose-test.sh sets up the
// engine and the images and runs it (HOOKSTREAM_DOCKER_TEST=1).
func TestDockerCompose(t *testing.T) {
	if os.Getenv(dockerTestVar) != "1" {
		t.Skip("runs docker compose on an engine: deploy/docker/compose-test.sh runs it with " + dockerTestVar + "=1")
	}
	hookstream := filepath.Join(t.TempDir(), "hookstream")
	if out, err := exec.Command("go", "build", "-o", hookstream, "../cmd/hookstream").CombinedOutput(); err != nil {
		t.Fatalf("go build hookstream: %v\n%s", err, out)
	}

	t.Run("development", func(t *testing.T) { testDevelopmentSetup(t, hookstream) })
	t.Run("production", testProductionSetup)
	t.Run("cluster", testClusterSetup)
}

func testDevelopmentSetup(t *testing.T, hookstream string) {
	// No .env: `docker compose up` as typed on a fresh clone.
	p := newComposeProject(t, "dev", nil)

	t.Run("up: every service healthy, in dependency order", func(t *testing.T) {
		p.up(t)
		cs := p.containers(t)
		want := append(slices.Clone(appServices), "nats", "nats-box", "sandbox")
		for _, s := range want {
			c, ok := cs[s]
			if !ok {
				t.Fatalf("no %s container", s)
			}
			if c.State.Health == nil || c.State.Health.Status != "healthy" {
				t.Errorf("%s: %s, health %+v", s, c.State.Status, c.State.Health)
			}
		}
		if len(cs) != len(want) {
			t.Errorf("containers %v, want %v", sortedKeys(cs), want)
		}
		order := [][2]string{{"nats", "gateway"}, {"nats", "nats-box"}}
		for _, s := range appServices[1:] {
			order = append(order, [2]string{"gateway", s})
		}
		for _, o := range order {
			if !cs[o[0]].State.StartedAt.Before(cs[o[1]].State.StartedAt) {
				t.Errorf("%s started at %s, not after %s (%s)", o[1], cs[o[1]].State.StartedAt, o[0], cs[o[0]].State.StartedAt)
			}
		}
		t0 := cs["nats"].State.StartedAt
		for _, s := range want {
			t.Logf("%-18s started %5.1fs after nats, %s", s, cs[s].State.StartedAt.Sub(t0).Seconds(), cs[s].State.Health.Status)
		}
	})

	t.Run("labelled as the development setup", func(t *testing.T) {
		for s, c := range p.containers(t) {
			if got := c.Config.Labels["hookstream.setup"]; got != "development" {
				t.Errorf("%s: label hookstream.setup=%q", s, got)
			}
		}
		for _, s := range appServices {
			logs := p.must(t, "logs", "--no-log-prefix", s)
			if !strings.Contains(logs, "DEVELOPMENT SETUP") {
				t.Errorf("%s does not log that it runs the development setup:\n%s", s, lastLines(logs, 5))
			}
		}
		t.Logf("every container labelled hookstream.setup=development; the five services log DEVELOPMENT SETUP")
	})

	t.Run("each service runs non-root, as its own NATS user", func(t *testing.T) {
		cs := p.containers(t)
		users := natsConnections(t, p.ports["NATS_MONITOR_PORT"])
		for _, s := range sortedKeys(cs) {
			c := cs[s]
			uids := processUIDs(t, c.ID)
			for _, uid := range uids {
				if uid == "0" {
					t.Errorf("%s runs a process as root (uids %v)", s, uids)
				}
			}
			var natsUsers []string
			for _, n := range c.NetworkSettings.Networks {
				natsUsers = append(natsUsers, users[n.IPAddress]...)
			}
			slices.Sort(natsUsers)
			natsUsers = slices.Compact(natsUsers)
			if slices.Contains(appServices, s) && !slices.Equal(natsUsers, []string{s}) {
				t.Errorf("%s connects to NATS as %v, want [%s]", s, natsUsers, s)
			}
			t.Logf("%-18s user %q, process uids %v, NATS users %v", s, c.Config.User, slices.Compact(uids), natsUsers)
		}
	})

	t.Run("hookstream send from the host reaches the canonical streams", func(t *testing.T) {
		gateway := "http://127.0.0.1:" + strconv.Itoa(p.ports["GATEWAY_PORT"])
		sandboxURL := "http://127.0.0.1:" + strconv.Itoa(p.ports["SANDBOX_PORT"])
		for _, w := range [][2]string{
			{"shipstation", "ORDER_NOTIFY"}, {"shipstation", "SHIP_NOTIFY"},
			{"snipcart", "order.completed"}, {"shopline", "fulfillment_order/on_hold"},
		} {
			out, err := exec.Command(hookstream, "send", "-url", gateway, "-sandbox", sandboxURL,
				"-shipstation-api", "http://sandbox:8091", w[0], w[1]).CombinedOutput()
			if err != nil {
				t.Fatalf("hookstream send %s %s: %v\n%s", w[0], w[1], err, out)
			}
			t.Logf("hookstream send %s %s: %s", w[0], w[1], strings.TrimSpace(lastLines(string(out), 1)))
		}
		for _, subject := range sortedKeys(canonicalWant) {
			stream := canonicalWant[subject]
			eventually(t, 60*time.Second, subject+" in "+stream, func() bool { return p.streamSubjects(stream)[subject] > 0 })
			t.Logf("docker compose exec nats-box nats stream subjects %s: %s", stream, subject)
		}
		t.Logf("docker compose exec nats-box nats stream ls:\n%s", p.nats(t, "stream", "ls", "--names"))
		keys := p.nats(t, "kv", "ls", "orders")
		if strings.TrimSpace(keys) == "" {
			t.Error("nats kv ls orders lists no order")
		}
		t.Logf("docker compose exec nats-box nats kv ls orders:\n%s", strings.TrimSpace(keys))
	})

	streams := []string{"WEBHOOKS", "ORDERS", "SHIPMENTS", "FULFILLMENT"}
	var before map[string]uint64
	keep := func(t *testing.T, what string) {
		after := p.streamMessages(t, streams...)
		for _, s := range streams {
			if after[s] != before[s] || before[s] == 0 {
				t.Errorf("%s: %d messages before %s, %d after", s, before[s], what, after[s])
			}
		}
		t.Logf("messages before and after %s: %v -> %v", what, before, after)
	}
	t.Run("docker compose restart keeps the data", func(t *testing.T) {
		before = p.streamMessages(t, streams...)
		p.must(t, "restart")
		p.up(t)
		keep(t, "restart")
	})
	t.Run("docker compose down, then up, keeps the data", func(t *testing.T) {
		before = p.streamMessages(t, streams...)
		p.must(t, "down")
		if out := p.must(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
			t.Fatalf("containers left after down: %s", out)
		}
		p.up(t)
		keep(t, "down and up")
	})
}

// productionEnv is an .env for production as .env.example asks for it:
// its COMPOSE_FILE and HOOKSTREAM_SETUP, and every empty value filled in
// with one that is no development value (productionSetup).
func productionEnv(t *testing.T) map[string]string {
	env := productionSetup(t, false).env
	for k, v := range env {
		if strings.HasPrefix(v, "dev-") || strings.Contains(v, "sandbox") {
			t.Fatalf(".env.example sets %s=%s", k, v)
		}
	}
	return env
}

func testProductionSetup(t *testing.T) {
	t.Run("an .env with real values runs production: no sandbox, labelled production", func(t *testing.T) {
		p := newComposeProject(t, "prod", productionEnv(t))
		services := strings.Fields(p.must(t, "config", "--services"))
		if slices.Contains(services, "sandbox") {
			t.Errorf("production runs the sandbox: %v", services)
		}
		p.up(t)
		cs := p.containers(t)
		for s, c := range cs {
			if got := c.Config.Labels["hookstream.setup"]; got != "production" {
				t.Errorf("%s: label hookstream.setup=%q", s, got)
			}
		}
		for _, s := range appServices {
			if got := cs[s].env("HOOKSTREAM_SETUP"); got != "production" {
				t.Errorf("%s: HOOKSTREAM_SETUP=%q", s, got)
			}
			for _, k := range []string{"SNIPCART_API_URL", "SHIPSTATION_API_URL", "SHIPSTATION_V2_JWKS_URL", "SHOPLINE_API_URL"} {
				if v := cs[s].env(k); strings.Contains(v, "sandbox") {
					t.Errorf("%s: %s=%s", s, k, v)
				}
			}
		}
		t.Logf("services %v, all healthy and labelled hookstream.setup=production", sortedKeys(cs))
	})

	t.Run("production refuses development secrets and sandbox URLs", func(t *testing.T) {
		env := productionEnv(t)
		env["SNIPCART_SECRET_KEY"] = "dev-snipcart-secret-key"
		env["NATS_PASSWORD_GATEWAY"] = "dev-gateway-password"
		env["SNIPCART_API_URL"] = "http://sandbox:8090/snipcart"
		p := newComposeProject(t, "refuse", env)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := p.compose(ctx, "run", "--rm", "--no-deps", "-T", "gateway")
		if err == nil {
			t.Fatalf("the gateway started with development secrets in production:\n%s", out)
		}
		for _, v := range []string{"SNIPCART_SECRET_KEY", "NATS_PASSWORD", "SNIPCART_API_URL"} {
			if !strings.Contains(out, v+":") {
				t.Errorf("the gateway's refusal does not name %s:\n%s", v, out)
			}
		}
		t.Logf("docker compose run gateway: %v\n%s", err, lastLines(out, 6))
	})

	t.Run("an .env copied from .env.example and not filled in stops compose", func(t *testing.T) {
		example, err := filepath.Abs(envExample)
		if err != nil {
			t.Fatal(err)
		}
		p := &composeProject{name: "hookstream-ct-example", envFile: example}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := p.compose(ctx, "config", "--quiet")
		if err == nil || !strings.Contains(out, "is missing a value: set it in .env") {
			t.Fatalf("docker compose config with .env.example as .env: %v\n%s", err, out)
		}
		t.Logf("docker compose config: %s", strings.TrimSpace(out))
	})
}

func testClusterSetup(t *testing.T) {
	p := newComposeProject(t, "cluster", nil, "docker-compose.yml", "deploy/compose/cluster.yml")
	var nodes map[string]container // server name -> container
	t.Run("up: three nodes, R3 streams", func(t *testing.T) {
		p.up(t)
		cs := p.containers(t)
		nodes = map[string]container{"nats-1": cs["nats"], "nats-2": cs["nats-2"], "nats-3": cs["nats-3"]}
		for n, c := range nodes {
			if c.ID == "" || c.State.Health == nil || c.State.Health.Status != "healthy" {
				t.Fatalf("%s is not a healthy container: %+v", n, c.State)
			}
		}
		servers := p.nats(t, "--user", "sys", "--password", "dev-sys-password", "server", "list")
		for n := range nodes {
			if !strings.Contains(servers, n) {
				t.Errorf("nats server list does not show %s:\n%s", n, servers)
			}
		}
		t.Logf("docker compose exec nats-box nats server list (as sys):\n%s", lastLines(servers, 12))
		for _, s := range []string{"WEBHOOKS", "ORDERS", "SHIPMENTS", "FULFILLMENT"} {
			var info jetstream.StreamInfo
			eventually(t, 60*time.Second, s+" created", func() bool {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				out, err := p.compose(ctx, "exec", "-T", "nats-box", "nats", "stream", "info", s, "--json")
				return err == nil && json.Unmarshal([]byte(out), &info) == nil
			})
			if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
				t.Errorf("%s: %d replicas, cluster %+v", s, info.Config.Replicas, info.Cluster)
				continue
			}
			t.Logf("%-11s R%d, leader %s, replicas %s and %s", s, info.Config.Replicas, info.Cluster.Leader,
				info.Cluster.Replicas[0].Name, info.Cluster.Replicas[1].Name)
		}
	})

	t.Run("docker kill of the WEBHOOKS leader under load loses no webhook answered 2xx", func(t *testing.T) {
		if nodes == nil {
			t.Skip("the cluster did not come up")
		}
		var info jetstream.StreamInfo
		if err := json.Unmarshal([]byte(p.nats(t, "stream", "info", "WEBHOOKS", "--json")), &info); err != nil {
			t.Fatal(err)
		}
		leader := info.Cluster.Leader
		victim, ok := nodes[leader]
		if !ok {
			t.Fatalf("WEBHOOKS leader %q is none of the nodes", leader)
		}

		const total, killAfter, workers = 150, 50, 4
		hooks := holdHooks(t, total, dockerHoldOrderID, dockerHoldWebhookID)
		snd := sender{gateway: "http://127.0.0.1:" + strconv.Itoa(p.ports["GATEWAY_PORT"]), shoplineKey: "dev-shopline-app-secret"}
		killed := make(chan struct{})
		var results []loadResult
		loaded := make(chan struct{})
		go func() {
			defer close(loaded)
			results = sendLikeAProvider(t, hooks, workers, 90, func(int, int) sender { return snd }, func(done int) {
				if done == killAfter {
					close(killed)
				}
			})
		}()
		<-killed
		if out, err := exec.Command("docker", "kill", victim.ID).CombinedOutput(); err != nil {
			t.Fatalf("docker kill %s: %v\n%s", victim.Name, err, out)
		}
		killedAt := time.Now()
		t.Logf("docker kill %s (%s, the WEBHOOKS leader) after %d webhooks", strings.TrimPrefix(victim.Name, "/"), leader, killAfter)
		<-loaded
		t.Logf("the load ended %s after the kill", time.Since(killedAt).Round(100*time.Millisecond))

		// Bring the node back, so the stream is read through the host's
		// port on nats-1 whichever node died.
		p.up(t)
		nc, err := nats.Connect("nats://127.0.0.1:"+strconv.Itoa(p.ports["NATS_PORT"]),
			nats.UserInfo("admin", "dev-admin-password"), nats.MaxReconnects(-1))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js := newJetStream(t, nc)
		var counts map[string]int
		eventually(t, 60*time.Second, "WEBHOOKS readable after the failover", func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			counts, err = msgIDCounts(ctx, js, "webhooks.shopline.fulfillment_order.on_hold")
			return err == nil
		})
		acked, retried, stored, lost, dup := 0, 0, 0, 0, 0
		for i, r := range results {
			n := counts[shopline.WebhookID("fulfillment_order/on_hold", hooks[i].headers[shopline.HeaderShopID], hooks[i].body)]
			if r.acked {
				acked++
			} else {
				t.Errorf("webhook %d never answered 2xx in %d attempts; last: %s", i, r.attempts, r.last)
			}
			if r.attempts > 1 {
				retried++
			}
			if n > 0 {
				stored++
			}
			if r.acked && n == 0 {
				lost++
				t.Errorf("webhook %d was answered 2xx and is not in WEBHOOKS", i)
			}
			if n > 1 {
				dup++
				t.Errorf("webhook %d is in WEBHOOKS %d times", i, n)
			}
		}
		t.Logf("webhooks sent %d, answered 2xx %d (%d after a retry), stored %d, lost %d, stored twice %d",
			total, acked, retried, stored, lost, dup)
	})
}

// dockerHoldOrderID and dockerHoldWebhookID are the fulfillment order and
// webhook id of the cluster step's i-th webhook.
func dockerHoldOrderID(i int) string   { return fmt.Sprintf("88%020d", i) }
func dockerHoldWebhookID(i int) string { return fmt.Sprintf("%024x", 0xd0c4e70000+i) }

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
