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
	defaultServices = []string{"fulfillment-holds", "gateway", "nats", "nats-box", "order-enricher", "reconciler", "shipment-tracker"}
	sandboxServices = []string{"sandbox"}
	clusterServices = []string{"nats-2", "nats-3"}
)

func TestComposeSetupsStartWhatTheREADMESays(t *testing.T) {
	want := map[string][]string{
		"development":         slices.Concat(defaultServices, sandboxServices),
		"development+cluster": slices.Concat(defaultServices, sandboxServices, clusterServices),
		"production":          defaultServices,
		"production+cluster":  slices.Concat(defaultServices, clusterServices),
	}
	for _, setup := range allSetups(t) {
		t.Run(setup.name, func(t *testing.T) {
			p := loadCompose(t, setup)
			got := p.ServiceNames()
			slices.Sort(got)
			want := slices.Clone(want[setup.name])
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("services = %v, want %v", got, want)
			}
			for _, name := range got {
				if l := p.Services[name].Labels["hookstream.setup"]; l != strings.TrimSuffix(setup.name, "+cluster") {
					t.Errorf("%s is labelled hookstream.setup=%q", name, l)
				}
			}
		})
	}
}

// TestComposeClusterCannotStartHalfACluster: without cluster.yml there is
// no second node to start, whatever the profiles.
func TestComposeClusterCannotStartHalfACluster(t *testing.T) {
	for _, setup := range []composeSetup{developmentSetup, productionSetup(t, false)} {
		for _, profile := range []string{"cluster", "*"} {
			p := loadCompose(t, setup)
			all, err := p.WithProfiles([]string{profile})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range clusterServices {
				if _, ok := all.Services[name]; ok {
					t.Errorf("%s with --profile %s runs %s", setup.name, profile, name)
				}
			}
		}
	}
}

func TestComposeServicesHaveHealthChecksBuiltImagesAndRestartPolicies(t *testing.T) {
	p := loadCompose(t, clusterSetup)
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
			// Every image is built from the one image recipe (the NATS
			// server and CLI too, at the versions a go.mod pins), so
			// compose pulls nothing but the Dockerfile's base images.
			if s.Build == nil {
				t.Fatalf("image %q is not built from %s", s.Image, dockerfile)
			}
			if got, want := filepath.Clean(filepath.Join(s.Build.Context, s.Build.Dockerfile)), mustAbs(t, dockerfile); got != want {
				t.Errorf("built from %s, want %s", got, want)
			}
			if !df.hasStage(s.Build.Target) {
				t.Errorf("build target %q is not a stage of %s", s.Build.Target, dockerfile)
			}
			if s.Build.Target == "nats" || s.Build.Target == "nats-box" {
				if !strings.HasPrefix(s.Image, "hookstream/"+s.Build.Target) {
					t.Errorf("image name %q does not name %s", s.Image, s.Build.Target)
				}
				return
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

func TestComposeStartsInOrderThroughHealthChecks(t *testing.T) {
	p := loadCompose(t, clusterSetup)
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
		"reconciler":        {"order-enricher", "shipment-tracker"},
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
	for _, setup := range allSetups(t) {
		p := loadCompose(t, setup)
		for _, s := range services {
			t.Run(setup.name+"/"+s.name, func(t *testing.T) {
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
				if got, want := env["HOOKSTREAM_SETUP"], strings.TrimSuffix(setup.name, "+cluster"); got != want {
					t.Errorf("HOOKSTREAM_SETUP=%q, want %s", got, want)
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
	for _, setup := range []composeSetup{clusterSetup, productionSetup(t, true)} {
		t.Run(setup.name, func(t *testing.T) { testComposeNATSUsers(t, setup, refs) })
	}
}

func testComposeNATSUsers(t *testing.T, setup composeSetup, refs map[string]bool) {
	p := loadCompose(t, setup)
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

// TestComposeDevelopmentPointsTheServicesAtTheSandbox follows each URL the
// development setup gives the services to the sandbox service's listeners,
// and checks the sandbox knows the secrets they use.
func TestComposeDevelopmentPointsTheServicesAtTheSandbox(t *testing.T) {
	p := loadCompose(t, developmentSetup)
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
	if u, err := url.Parse(composeEnv(t, p, "reconciler")["SHOPLINE_API_URL"]); err != nil || u.Host != "sandbox:"+web {
		t.Errorf("reconciler SHOPLINE_API_URL=%q, want the sandbox on port %s", u, web)
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

// TestComposeProductionUsesNoSandbox: in production nothing points at the
// sandbox, and no secret is a development one.
func TestComposeProductionUsesNoSandbox(t *testing.T) {
	for _, setup := range []composeSetup{productionSetup(t, false), productionSetup(t, true)} {
		p := loadCompose(t, setup)
		for _, name := range sortedKeys(p.Services) {
			for k, v := range composeEnv(t, p, name) {
				if strings.Contains(v, "sandbox") || strings.HasPrefix(v, "dev-") {
					t.Errorf("%s: %s %s=%s", setup.name, name, k, v)
				}
			}
		}
	}
}

// TestComposeClusterRunsThreeNodesAndR3 checks deploy/compose/cluster.yml:
// the three servers run the three cluster configurations, the services
// know all of them and create R3 streams.
func TestComposeClusterRunsThreeNodesAndR3(t *testing.T) {
	p := loadCompose(t, clusterSetup)
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
