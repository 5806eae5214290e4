package deploy_test

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// The services each way of running compose starts; the README says the same.
var (
	defaultServices = []string{"fulfillment-holds", "gateway", "nats", "nats-box", "order-enricher", "shipment-tracker"}
	sandboxServices = []string{"sandbox"}
	clusterServices = []string{"nats-2", "nats-3"}
)

func TestComposeProfilesStartWhatTheREADMESays(t *testing.T) {
	cases := []struct {
		name     string
		envFiles []string
		profiles []string
		want     []string
	}{
		{"docker compose up", []string{envExample}, []string{}, defaultServices},
		{"--profile sandbox", []string{envExample}, []string{"sandbox"}, slices.Concat(defaultServices, sandboxServices)},
		{"--profile cluster", []string{envExample}, []string{"cluster"}, slices.Concat(defaultServices, clusterServices)},
		{"--env-file deploy/compose/cluster.env", []string{envExample, clusterEnv}, nil, slices.Concat(defaultServices, clusterServices)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loadCompose(t, tc.envFiles, tc.profiles)
			got := p.ServiceNames()
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("services = %v, want %v", got, want)
			}
		})
	}
}

func TestComposeServicesHaveHealthChecksPinnedImagesAndRestartPolicies(t *testing.T) {
	p := loadCompose(t, []string{envExample}, []string{"*"})
	df := parseDockerfile(t)
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		t.Run(name, func(t *testing.T) {
			hc := s.HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) < 2 {
				t.Fatalf("no health check: %+v", hc)
			}
			if s.Restart == "" || s.Restart == "no" {
				t.Errorf("restart policy %q", s.Restart)
			}
			if s.Build == nil {
				if !pinned(s.Image) {
					t.Errorf("image %q is not pinned to a version", s.Image)
				}
				return
			}
			// A service built from the one image recipe.
			if got, want := filepath.Clean(filepath.Join(s.Build.Context, s.Build.Dockerfile)), mustAbs(t, dockerfile); got != want {
				t.Errorf("built from %s, want %s", got, want)
			}
			if !df.hasStage(s.Build.Target) {
				t.Errorf("build target %q is not a stage of %s", s.Build.Target, dockerfile)
			}
			arg := s.Build.Args["SERVICE"]
			if arg == nil || *arg == "" {
				t.Fatal("no SERVICE build argument")
			}
			main := filepath.Join(root, "services", *arg, "cmd", *arg)
			if *arg == "hookstream" {
				main = filepath.Join(root, "cmd", "hookstream")
			}
			if _, err := os.Stat(main); err != nil {
				t.Errorf("SERVICE=%s: the Dockerfile builds %s: %v", *arg, main, err)
			}
			if bin := hc.Test[1]; hc.Test[0] != "CMD" || bin != "/app/"+*arg {
				t.Errorf("health check %q does not run the image's binary /app/%s", hc.Test, *arg)
			}
			if s.Image == "" || !strings.Contains(s.Image, *arg) {
				t.Errorf("image name %q does not name %s", s.Image, *arg)
			}
		})
	}
}

// pinned reports an image reference with a version tag (or a digest).
func pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return false
	}
	tag := image[i+1:]
	return tag != "latest" && regexp.MustCompile(`^v?\d+\.\d+`).MatchString(tag)
}

func TestComposeStartsInOrderThroughHealthChecks(t *testing.T) {
	p := loadCompose(t, []string{envExample}, []string{"*"})
	for _, name := range sortedKeys(p.Services) {
		for dep, d := range p.Services[name].DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s depends on %s with condition %q, want %s", name, dep, d.Condition, types.ServiceConditionHealthy)
			}
			if hc := p.Services[dep].HealthCheck; hc == nil || hc.Disable {
				t.Errorf("%s waits for %s to be healthy, but %s has no health check", name, dep, dep)
			}
		}
	}
	want := map[string][]string{
		"nats-box":          {"nats"},
		"gateway":           {"nats"},
		"order-enricher":    {"gateway", "nats"},
		"shipment-tracker":  {"gateway", "nats"},
		"fulfillment-holds": {"gateway", "nats"},
	}
	for name, deps := range want {
		got := sortedKeys(p.Services[name].DependsOn)
		if !slices.Equal(got, deps) {
			t.Errorf("%s depends on %v, want %v", name, got, deps)
		}
	}
}

// TestComposeEnvironmentIsWhatEachConfigReads holds every service's compose
// environment against the variables its Load asks for (recorded through
// the lookup function): compose sets nothing a service ignores, sets what
// a container needs, and the result loads without error as the service's
// own NATS user.
func TestComposeEnvironmentIsWhatEachConfigReads(t *testing.T) {
	required := []string{"NATS_URL", "NATS_USER", "NATS_PASSWORD", "STREAM_REPLICAS", "LOG_FORMAT"}
	for _, files := range [][]string{{envExample}, {envExample, clusterEnv}} {
		p := loadCompose(t, files, nil)
		for _, s := range services {
			t.Run(strings.Join(files, "+")+"/"+s.name, func(t *testing.T) {
				env := composeEnv(t, p, s.name)
				reads := s.readVariables(env)
				for _, k := range sortedKeys(env) {
					if !reads[k] {
						t.Errorf("compose sets %s, which %s's Config never reads", k, s.name)
					}
				}
				for _, k := range append(required, s.addrVar) {
					if _, ok := env[k]; !ok {
						t.Errorf("compose does not set %s", k)
					}
				}
				cfg, err := s.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
				if err != nil {
					t.Fatalf("the compose environment does not load: %v", err)
				}
				nc := natsConn(t, cfg)
				if nc.User != s.name || nc.Password == "" {
					t.Errorf("connects to NATS as %q (password set: %t), want its own user %q", nc.User, nc.Password != "", s.name)
				}
				if got, want := cfg.(interface{ HealthURL() string }).HealthURL(), "http://127.0.0.1:"+strconv.Itoa(s.port); got != want {
					t.Errorf("-healthcheck asks %s, want %s", got, want)
				}
			})
		}
	}
}

// TestComposeNATSUsersMatchTheServerConfig checks the credentials line up:
// the NATS servers get every password accounts.conf references, and each
// service's NATS_PASSWORD is its user's.
func TestComposeNATSUsersMatchTheServerConfig(t *testing.T) {
	refs := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$(NATS_PASSWORD_[A-Z_]+)`).FindAllStringSubmatch(string(readFile(t, accountsConf)), -1) {
		refs[m[1]] = true
	}
	p := loadCompose(t, []string{envExample, clusterEnv}, nil)
	for _, server := range []string{"nats", "nats-2", "nats-3"} {
		env := composeEnv(t, p, server)
		if got, want := sortedKeys(env), sortedKeys(refs); !slices.Equal(got, want) {
			t.Errorf("%s gets %v, accounts.conf reads %v", server, got, want)
		}
	}
	natsEnv := composeEnv(t, p, "nats")
	for _, s := range services {
		env := composeEnv(t, p, s.name)
		if env["NATS_PASSWORD"] != natsEnv[passwordVar(s.name)] {
			t.Errorf("%s's NATS_PASSWORD is not %s", s.name, passwordVar(s.name))
		}
	}
	if box := composeEnv(t, p, "nats-box"); box["NATS_USER"] != "admin" || box["NATS_PASSWORD"] != natsEnv["NATS_PASSWORD_ADMIN"] {
		t.Errorf("nats-box is not the operator user: %v", box)
	}
}

// TestComposeSandboxProfilePointsTheServicesAtTheSandbox follows each URL
// .env.example gives the services to the sandbox service's listeners, and
// checks the sandbox knows the secrets they use.
func TestComposeSandboxProfilePointsTheServicesAtTheSandbox(t *testing.T) {
	p := loadCompose(t, []string{envExample}, []string{"sandbox"})
	flags := map[string]string{}
	for _, arg := range p.Services["sandbox"].Command {
		if k, v, ok := strings.Cut(arg, "="); ok {
			flags[strings.TrimLeft(k, "-")] = v
		}
	}
	sandboxPort := func(flag string) string {
		_, port, ok := strings.Cut(flags[flag], ":")
		if !ok {
			t.Fatalf("sandbox command has no -%s=<host:port>: %q", flag, p.Services["sandbox"].Command)
		}
		return port
	}
	web, api := sandboxPort("addr"), sandboxPort("shipstation-api-addr")
	gw := composeEnv(t, p, "gateway")
	for _, k := range []string{"SNIPCART_API_URL", "SHIPSTATION_V2_JWKS_URL"} {
		u, err := url.Parse(gw[k])
		if err != nil || u.Hostname() != "sandbox" || u.Port() != web {
			t.Errorf("gateway %s=%q, want the sandbox on port %s", k, gw[k], web)
		}
	}
	if flags["snipcart-secret-key"] != gw["SNIPCART_SECRET_KEY"] {
		t.Errorf("the sandbox validates Snipcart tokens with another key than the gateway's")
	}
	hosts := regexp.MustCompile(gw["SHIPSTATION_RESOURCE_HOSTS"])
	if !hosts.MatchString("sandbox:"+api) || hosts.MatchString("ssapi.shipstation.com") {
		t.Errorf("gateway SHIPSTATION_RESOURCE_HOSTS=%q should allow exactly the sandbox API sandbox:%s", hosts, api)
	}
	for _, s := range services[1:] {
		env := composeEnv(t, p, s.name)
		if u, err := url.Parse(env["SHIPSTATION_API_URL"]); err != nil || u.Host != "sandbox:"+api {
			t.Errorf("%s SHIPSTATION_API_URL=%q, want http://sandbox:%s", s.name, env["SHIPSTATION_API_URL"], api)
		}
		if env["SHIPSTATION_API_KEY"] != flags["shipstation-api-key"] || env["SHIPSTATION_API_SECRET"] != flags["shipstation-api-secret"] {
			t.Errorf("%s's ShipStation API key is not one the sandbox accepts", s.name)
		}
	}
}

// TestComposeClusterEnvRunsThreeNodesAndR3 checks deploy/compose/cluster.env:
// the three servers run the three cluster configurations, the services
// know all of them and create R3 streams.
func TestComposeClusterEnvRunsThreeNodesAndR3(t *testing.T) {
	p := loadCompose(t, []string{envExample, clusterEnv}, nil)
	hosts := map[string]string{} // host name -> compose service
	for i, name := range []string{"nats", "nats-2", "nats-3"} {
		s := p.Services[name]
		conf := "/etc/nats/cluster-" + strconv.Itoa(i+1) + ".conf"
		if !slices.Contains(s.Command, conf) {
			t.Errorf("%s runs %q, want %s", name, s.Command, conf)
		}
		mounted := false
		for _, v := range s.Volumes {
			if v.Target == "/etc/nats" && v.Source == mustAbs(t, natsDir) {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("%s does not mount deploy/nats at /etc/nats", name)
		}
		hosts[s.Hostname] = name
		for _, n := range s.Networks {
			if n != nil {
				for _, a := range n.Aliases {
					hosts[a] = name
				}
			}
		}
	}
	for _, s := range services {
		env := composeEnv(t, p, s.name)
		if env["STREAM_REPLICAS"] != "3" {
			t.Errorf("%s STREAM_REPLICAS=%q, want 3", s.name, env["STREAM_REPLICAS"])
		}
		var reached []string
		for _, u := range strings.Split(env["NATS_URL"], ",") {
			pu, err := url.Parse(strings.TrimSpace(u))
			if err != nil || hosts[pu.Hostname()] == "" || pu.Port() != "4222" {
				t.Errorf("%s NATS_URL names %q, which is no NATS server of the project", s.name, u)
				continue
			}
			reached = append(reached, hosts[pu.Hostname()])
		}
		slices.Sort(reached)
		if !slices.Equal(reached, []string{"nats", "nats-2", "nats-3"}) {
			t.Errorf("%s NATS_URL reaches %v, want all three servers", s.name, reached)
		}
	}
	// The routes of the cluster configurations name these hosts.
	setNATSPasswords(t)
	for i := 1; i <= 3; i++ {
		opts := parseNATSConfig(t, filepath.Join(natsDir, "cluster-"+strconv.Itoa(i)+".conf"))
		for _, r := range opts.Routes {
			if hosts[r.Hostname()] == "" || r.Port() != "6222" {
				t.Errorf("cluster-%d.conf routes to %s, which is no NATS server of the project", i, r)
			}
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
