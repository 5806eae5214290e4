package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// parseNATSConfig parses a configuration with nats-server's own parser.
// The passwords it references must be in the environment
// (setNATSPasswords).
func parseNATSConfig(t *testing.T, path string) *server.Options {
	t.Helper()
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server refuses %s: %v", path, err)
	}
	return opts
}

// natsConfigs are the server configurations under deploy/nats (not the
// included accounts.conf).
func natsConfigs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(natsDir, "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return f == accountsConf })
	if len(files) != 4 {
		t.Fatalf("want single.conf and three cluster configurations, got %v", files)
	}
	return files
}

// startNATS starts an embedded server from a configuration file, on a
// random loopback port with its store in a temporary directory.
func startNATS(t *testing.T, path string) *server.Server {
	t.Helper()
	opts := parseNATSConfig(t, path)
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	opts.HTTPHost, opts.HTTPPort = "127.0.0.1", server.RANDOM_PORT
	opts.StoreDir = t.TempDir()
	opts.NoSigs, opts.NoLog = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		t.Fatalf("nats-server from %s did not start", path)
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// TestNATSConfigsParse runs every configuration through nats-server's
// parser and checks what the deployment relies on.
func TestNATSConfigsParse(t *testing.T) {
	setNATSPasswords(t)
	users := []string{"admin", "fulfillment-holds", "gateway", "order-enricher", "reconciler", "shipment-tracker", "subscriber", "sys"}
	names := map[string]string{}
	for _, path := range natsConfigs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			o := parseNATSConfig(t, path)
			if !o.JetStream || o.StoreDir != "/data/jetstream" {
				t.Errorf("JetStream %t in %q, want on in /data/jetstream (the volume)", o.JetStream, o.StoreDir)
			}
			if o.HTTPPort != 8222 {
				t.Errorf("monitoring port %d, want 8222", o.HTTPPort)
			}
			if o.Port != 4222 {
				t.Errorf("client port %d, want 4222", o.Port)
			}
			if o.SyncInterval != 2*time.Minute || o.SyncAlways {
				t.Errorf("sync_interval %s (always %t): the README documents 2m", o.SyncInterval, o.SyncAlways)
			}
			if o.MaxPayload < 1<<20+64<<10 {
				t.Errorf("max_payload %d is below a 1 MiB webhook and its headers", o.MaxPayload)
			}
			if o.SystemAccount != "SYS" {
				t.Errorf("system account %q, want SYS", o.SystemAccount)
			}
			var got []string
			for _, u := range o.Users {
				got = append(got, u.Username)
				want := "HOOKSTREAM"
				if u.Username == "sys" {
					want = "SYS"
				}
				if u.Account == nil || u.Account.Name != want {
					t.Errorf("user %s is not in account %s", u.Username, want)
				}
				if restricted := u.Permissions != nil; restricted != (u.Username != "admin" && u.Username != "sys") {
					t.Errorf("user %s: restricted permissions %t", u.Username, restricted)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, users) {
				t.Errorf("users %v, want %v", got, users)
			}
			if prev, dup := names[o.ServerName]; dup {
				t.Errorf("server_name %q is also %s's", o.ServerName, prev)
			}
			names[o.ServerName] = path
			if !strings.HasPrefix(filepath.Base(path), "cluster-") {
				if o.Cluster.Port != 0 {
					t.Error("single.conf has a cluster block")
				}
				return
			}
			if o.Cluster.Name != "hookstream" || o.Cluster.Port != 6222 || len(o.Routes) != 3 {
				t.Errorf("cluster %q on port %d with %d routes, want hookstream on 6222 with 3", o.Cluster.Name, o.Cluster.Port, len(o.Routes))
			}
		})
	}
}

// TestNATSConfigNeedsEveryPassword: a server with a user whose password is
// not set must not start.
func TestNATSConfigNeedsEveryPassword(t *testing.T) {
	pw := setNATSPasswords(t)
	for _, name := range sortedKeys(pw) {
		t.Run(name, func(t *testing.T) {
			os.Unsetenv(name)
			defer os.Setenv(name, pw[name])
			_, err := server.ProcessConfigFile(filepath.Join(natsDir, "single.conf"))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("parsed without %s: %v", name, err)
			}
		})
	}
}
