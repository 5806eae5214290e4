package deploy_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/natsconn"
	"github.com/hookstream/hookstream/pkg/streams"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
	"github.com/hookstream/hookstream/services/gateway"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
	"github.com/hookstream/hookstream/services/reconciler"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// root is the repository root: the compose project directory and the
// Docker build context. The tests run in deploy/.
const root = ".."

// Paths of the files under test, relative to the deploy module.
var (
	composeFile  = filepath.Join(root, "docker-compose.yml")
	envExample   = filepath.Join(root, ".env.example")
	clusterFile  = filepath.Join("compose", "cluster.yml")
	natsModule   = filepath.Join("docker", "nats", "go.mod")
	natsDir      = "nats"
	accountsConf = filepath.Join(natsDir, "accounts.conf")
	streamsDir   = "streams"
	dockerfile   = filepath.Join("docker", "Dockerfile")
	dockerignore = filepath.Join(root, ".dockerignore")
	k8sBase      = filepath.Join("k8s", "base")
	helmValues   = filepath.Join("k8s", "nats", "values.yaml")
)

// svc is one hookstream service as the deploy files see it.
type svc struct {
	// name is the compose service, the binary, the NATS user, the k8s
	// Deployment and (for consumers) the durable consumer.
	name string
	// load is the service's Load, the single source of truth for the
	// environment variables it reads.
	load func(lookup func(string) (string, bool)) (any, error)
	// port is where it serves /healthz and /readyz in a container.
	port int
	// addrVar is the variable that sets that listen address.
	addrVar string
}

// services are the five services, in start-up order.
var services = []svc{
	{"gateway", func(l func(string) (string, bool)) (any, error) { return gateway.Load(l) }, 8080, "GATEWAY_ADDR"},
	{"order-enricher", func(l func(string) (string, bool)) (any, error) { return orderenricher.Load(l) }, 8081, "HEALTH_ADDR"},
	{"shipment-tracker", func(l func(string) (string, bool)) (any, error) { return shipmenttracker.Load(l) }, 8082, "HEALTH_ADDR"},
	{"fulfillment-holds", func(l func(string) (string, bool)) (any, error) { return fulfillmentholds.Load(l) }, 8083, "HEALTH_ADDR"},
	{"reconciler", func(l func(string) (string, bool)) (any, error) { return reconciler.Load(l) }, 8084, "HEALTH_ADDR"},
}

// readVariables returns every environment variable the service's Load asks
// for: it calls Load with a lookup that records each name, once with
// nothing set and once with env (a variable read only when another is set
// is then seen too).
func (s svc) readVariables(env map[string]string) map[string]bool {
	var mu sync.Mutex
	asked := map[string]bool{}
	for _, vars := range []map[string]string{{}, env} {
		_, _ = s.load(func(name string) (string, bool) {
			mu.Lock()
			asked[name] = true
			mu.Unlock()
			v, ok := vars[name]
			return v, ok
		})
	}
	return asked
}

// natsConn returns the NATS connection settings of a loaded Config (every
// Config has a field or an embedded field NATS).
func natsConn(t *testing.T, cfg any) natsconn.Config {
	t.Helper()
	f := reflect.ValueOf(cfg).FieldByName("NATS")
	if !f.IsValid() {
		t.Fatalf("%T has no NATS field", cfg)
	}
	c, ok := f.Interface().(natsconn.Config)
	if !ok {
		t.Fatalf("%T.NATS is a %s, not a natsconn.Config", cfg, f.Type())
	}
	return c
}

// composeSetup is one way to run compose that the README gives: the files
// (-f, or COMPOSE_FILE in .env) and what .env holds.
type composeSetup struct {
	name  string
	files []string // relative to the repository root
	env   map[string]string
}

// developmentSetup is `docker compose up` without a .env;
// clusterSetup adds deploy/compose/cluster.yml.
var (
	developmentSetup = composeSetup{name: "development", files: []string{"docker-compose.yml"}}
	clusterSetup     = composeSetup{name: "development+cluster", files: []string{"docker-compose.yml", "deploy/compose/cluster.yml"}}
)

// productionSetup is `docker compose up` with .env.example copied to .env
// and every empty value filled in (with a value that is no development
// secret); cluster uncomments its COMPOSE_FILE line for the cluster.
func productionSetup(t *testing.T, cluster bool) composeSetup {
	t.Helper()
	env := envFile(t, envExample)
	for k, v := range env {
		if v == "" {
			env[k] = "prod-" + strings.ToLower(k)
		}
	}
	if cluster {
		m := regexp.MustCompile(`(?m)^#(COMPOSE_FILE=.*cluster\.yml)$`).FindStringSubmatch(string(readFile(t, envExample)))
		if m == nil {
			t.Fatalf("%s has no commented COMPOSE_FILE line for the cluster", envExample)
		}
		_, env["COMPOSE_FILE"], _ = strings.Cut(m[1], "=")
	}
	name := "production"
	if cluster {
		name += "+cluster"
	}
	return composeSetup{name: name, files: strings.Split(env["COMPOSE_FILE"], ":"), env: env}
}

// allSetups are the four ways to run compose.
func allSetups(t *testing.T) []composeSetup {
	return []composeSetup{developmentSetup, clusterSetup, productionSetup(t, false), productionSetup(t, true)}
}

// loadCompose loads the setup's compose files with the Compose
// specification's loader, interpolating from its .env (never from the
// process environment or a developer's .env), with no profile active.
func loadCompose(t *testing.T, setup composeSetup) *types.Project {
	t.Helper()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	dotEnv := filepath.Join(t.TempDir(), ".env")
	var b strings.Builder
	for _, k := range sortedKeys(setup.env) {
		b.WriteString(k + "=" + setup.env[k] + "\n")
	}
	if err := os.WriteFile(dotEnv, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range setup.files {
		files = append(files, abs(filepath.Join(root, f)))
	}
	opts, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(abs(root)),
		cli.WithEnvFiles(dotEnv),
		cli.WithDotEnv,
		cli.WithProfiles([]string{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := opts.LoadProject(ctx)
	if err != nil {
		t.Fatalf("load %s: %v", setup.name, err)
	}
	return p
}

// composeEnv is a service's environment in the compose project, every
// variable interpolated.
func composeEnv(t *testing.T, p *types.Project, service string) map[string]string {
	t.Helper()
	s, ok := p.Services[service]
	if !ok {
		t.Fatalf("compose has no service %q", service)
	}
	env := map[string]string{}
	for k, v := range s.Environment {
		if v == nil {
			t.Fatalf("compose service %s: %s has no value", service, k)
		}
		env[k] = *v
	}
	return env
}

// envFile reads a dotenv file with the Compose loader's parser.
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	env, err := dotenv.GetEnvFromFile(map[string]string{}, []string{path})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return env
}

// setNATSPasswords sets the environment variables the NATS configurations
// read (the NATS_PASSWORD_* of the development setup), as compose gives
// them to the nats service, and returns them.
func setNATSPasswords(t *testing.T) map[string]string {
	t.Helper()
	pw := map[string]string{}
	for k, v := range composeEnv(t, loadCompose(t, developmentSetup), "nats") {
		if strings.HasPrefix(k, "NATS_PASSWORD_") {
			t.Setenv(k, v)
			pw[k] = v
		}
	}
	if len(pw) == 0 {
		t.Fatal("compose gives the nats service no NATS_PASSWORD_*")
	}
	return pw
}

// passwordVar is the variable holding a NATS user's password.
func passwordVar(user string) string {
	return "NATS_PASSWORD_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_"))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventually polls cond every 50ms until it is true or d has passed.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startNATSWithWebhooks starts the nats-server binary built into bin, with
// its store under tmp, and creates the WEBHOOKS stream; it returns the
// server's URL and a JetStream handle whose connection closes with the test.
func startNATSWithWebhooks(ctx context.Context, t *testing.T, tmp, bin string) (string, jetstream.JetStream) {
	t.Helper()
	port := freePort(t)
	natsURL := "nats://127.0.0.1:" + strconv.Itoa(port)
	startProc(t, tmp, "nats-server", filepath.Join(bin, "nats-server"), nil,
		"-js", "-sd", filepath.Join(tmp, "store"), "-a", "127.0.0.1", "-p", strconv.Itoa(port))
	nc, err := nats.Connect(natsURL, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "WEBHOOKS created", func() bool {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return streams.Ensure(cctx, js, streams.Webhooks(streams.Options{})) == nil
	})
	return natsURL, js
}
