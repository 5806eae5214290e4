package deploy_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// The parts of the Kubernetes objects the tests look at (JSON names as in
// the API).
type (
	k8sObject struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	k8sDeployment struct {
		k8sObject
		Spec struct {
			Replicas *int        `json:"replicas"`
			Selector k8sSelector `json:"selector"`
			Template struct {
				Metadata struct {
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
				Spec struct {
					TerminationGracePeriodSeconds *int `json:"terminationGracePeriodSeconds"`
					SecurityContext               struct {
						RunAsNonRoot *bool `json:"runAsNonRoot"`
						RunAsUser    *int  `json:"runAsUser"`
					} `json:"securityContext"`
					Containers []k8sContainer `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	k8sSelector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	}
	k8sContainer struct {
		Name  string `json:"name"`
		Image string `json:"image"`
		Ports []struct {
			Name          string `json:"name"`
			ContainerPort int    `json:"containerPort"`
		} `json:"ports"`
		Env []struct {
			Name      string `json:"name"`
			Value     string `json:"value"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name     string `json:"name"`
					Key      string `json:"key"`
					Optional bool   `json:"optional"`
				} `json:"secretKeyRef"`
			} `json:"valueFrom"`
		} `json:"env"`
		LivenessProbe, ReadinessProbe, StartupProbe *struct {
			HTTPGet *struct {
				Path string `json:"path"`
				Port any    `json:"port"`
			} `json:"httpGet"`
		}
		Resources struct {
			Requests map[string]string `json:"requests"`
			Limits   map[string]string `json:"limits"`
		} `json:"resources"`
		SecurityContext struct {
			ReadOnlyRootFilesystem   bool `json:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation *bool
		} `json:"securityContext"`
	}
	k8sService struct {
		k8sObject
		Spec struct {
			Selector map[string]string `json:"selector"`
			Ports    []struct {
				TargetPort any `json:"targetPort"`
			} `json:"ports"`
		} `json:"spec"`
	}
	k8sPDB struct {
		k8sObject
		Spec struct {
			MinAvailable   any         `json:"minAvailable"`
			MaxUnavailable any         `json:"maxUnavailable"`
			Selector       k8sSelector `json:"selector"`
		} `json:"spec"`
	}
)

// kustomizeBuild renders deploy/k8s/base with kustomize itself and returns
// each object's JSON by kind and name.
func kustomizeBuild(t *testing.T) map[string]map[string][]byte {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), mustAbs(t, k8sBase))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", k8sBase, err)
	}
	objs := map[string]map[string][]byte{}
	for _, r := range res.Resources() {
		b, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if objs[r.GetKind()] == nil {
			objs[r.GetKind()] = map[string][]byte{}
		}
		objs[r.GetKind()][r.GetName()] = b
	}
	return objs
}

func decode[T any](t *testing.T, objs map[string]map[string][]byte, kind, name string) T {
	t.Helper()
	var v T
	b, ok := objs[kind][name]
	if !ok {
		t.Fatalf("kustomize build has no %s %s", kind, name)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: %v", kind, name, err)
	}
	return v
}

// matches reports whether selector selects labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestKustomizeBaseRunsEveryServiceSafely(t *testing.T) {
	objs := kustomizeBuild(t)
	if got := slices.Sorted(maps.Keys(objs)); !slices.Equal(got, []string{"Deployment", "PodDisruptionBudget", "Service"}) {
		t.Errorf("kinds %v", got)
	}
	for _, s := range services {
		t.Run(s.name, func(t *testing.T) {
			d := decode[k8sDeployment](t, objs, "Deployment", s.name)
			labels := d.Spec.Template.Metadata.Labels
			if !matches(d.Spec.Selector.MatchLabels, labels) {
				t.Errorf("the selector %v does not select the pods %v", d.Spec.Selector.MatchLabels, labels)
			}
			if labels["app.kubernetes.io/part-of"] != "hookstream" {
				t.Errorf("pods are not labelled part-of hookstream: %v", labels)
			}
			if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
				t.Errorf("replicas %v: a PodDisruptionBudget needs at least 2", d.Spec.Replicas)
			}
			pod := d.Spec.Template.Spec
			if sc := pod.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
				t.Errorf("pod does not run as the image's user 65532: %+v", sc)
			}
			if g := pod.TerminationGracePeriodSeconds; g == nil || *g <= 30 {
				t.Errorf("terminationGracePeriodSeconds %v does not cover the 30s drain", g)
			}
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers", len(pod.Containers))
			}
			c := pod.Containers[0]
			if !strings.HasPrefix(c.Image, "hookstream/"+s.name+":") {
				t.Errorf("image %q", c.Image)
			}
			if len(c.Ports) != 1 || c.Ports[0].ContainerPort != s.port || c.Ports[0].Name != "http" {
				t.Errorf("ports %+v, want http %d", c.Ports, s.port)
			}
			for _, p := range []struct {
				name  string
				probe *struct {
					HTTPGet *struct {
						Path string `json:"path"`
						Port any    `json:"port"`
					} `json:"httpGet"`
				}
				path string
			}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}, {"startup", c.StartupProbe, "/healthz"}} {
				if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || fmt.Sprint(p.probe.HTTPGet.Port) != "http" {
					t.Errorf("%s probe is not GET %s on port http", p.name, p.path)
				}
			}
			for _, r := range []string{"cpu", "memory"} {
				if c.Resources.Requests[r] == "" {
					t.Errorf("no %s request", r)
				}
			}
			if c.Resources.Limits["memory"] == "" {
				t.Error("no memory limit")
			}
			if !c.SecurityContext.ReadOnlyRootFilesystem {
				t.Error("the root file system is writable")
			}

			// The environment: only what the Config reads, secrets from the
			// service's own Secret, and a configuration that loads.
			env := map[string]string{}
			for _, e := range c.Env {
				switch {
				case e.ValueFrom == nil:
					env[e.Name] = e.Value
				case e.ValueFrom.SecretKeyRef != nil:
					ref := e.ValueFrom.SecretKeyRef
					if ref.Name != "hookstream-"+s.name {
						t.Errorf("%s comes from Secret %s, want hookstream-%s", e.Name, ref.Name, s.name)
					}
					if e.Name == "NATS_PASSWORD" && ref.Optional {
						t.Error("NATS_PASSWORD is optional")
					}
					env[e.Name] = "from-secret-" + ref.Key
				default:
					t.Errorf("%s has an unexpected valueFrom", e.Name)
				}
			}
			reads := s.readVariables(env)
			for _, k := range sortedKeys(env) {
				if !reads[k] {
					t.Errorf("sets %s, which %s's Config never reads", k, s.name)
				}
			}
			if !strings.HasPrefix(env["NATS_PASSWORD"], "from-secret-") {
				t.Error("NATS_PASSWORD is not from a Secret")
			}
			if env["STREAM_REPLICAS"] != "3" {
				t.Errorf("STREAM_REPLICAS=%q, want 3 on the three-node cluster", env["STREAM_REPLICAS"])
			}
			cfg, err := s.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if err != nil {
				t.Fatalf("the Deployment's environment does not load: %v", err)
			}
			if u := natsConn(t, cfg).User; u != s.name {
				t.Errorf("NATS user %q, want %q", u, s.name)
			}
			if got, want := cfg.(interface{ HealthURL() string }).HealthURL(), "http://127.0.0.1:"+strconv.Itoa(s.port); got != want {
				t.Errorf("serves its probes at %s, the container port is %d", got, s.port)
			}

			svc := decode[k8sService](t, objs, "Service", s.name)
			if !matches(svc.Spec.Selector, labels) || len(svc.Spec.Ports) == 0 || fmt.Sprint(svc.Spec.Ports[0].TargetPort) != "http" {
				t.Errorf("Service does not reach the pods' http port: %+v", svc.Spec)
			}
			pdb := decode[k8sPDB](t, objs, "PodDisruptionBudget", s.name)
			if !matches(pdb.Spec.Selector.MatchLabels, labels) {
				t.Errorf("PodDisruptionBudget selects %v, not the pods", pdb.Spec.Selector.MatchLabels)
			}
			if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
				t.Errorf("PodDisruptionBudget needs one of minAvailable and maxUnavailable: %+v", pdb.Spec)
			}
		})
	}
}

// TestHelmValuesRunAThreeNodeJetStreamCluster checks the values for the
// official NATS chart: three nodes, JetStream on persistent volumes, the
// image the compose file runs, and hookstream's accounts.conf with its
// passwords from a Secret.
func TestHelmValuesRunAThreeNodeJetStreamCluster(t *testing.T) {
	var v struct {
		Container struct {
			Image struct{ Repository, Tag string }
			Env   map[string]json.RawMessage
		}
		Config struct {
			Cluster struct {
				Enabled  bool
				Replicas int
			}
			JetStream struct {
				Enabled   bool
				FileStore struct {
					Enabled bool
					PVC     struct {
						Enabled bool
						Size    string
					}
				}
			}
			Monitor struct{ Enabled bool }
			Merge   map[string]any
		}
		ConfigMap struct {
			Merge struct {
				Data map[string]string
			}
		}
		PodDisruptionBudget struct{ Enabled bool }
	}
	if err := yaml.Unmarshal(readFile(t, helmValues), &v); err != nil {
		t.Fatal(err)
	}
	c := v.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != 3 {
		t.Errorf("cluster %+v, want 3 nodes", c.Cluster)
	}
	if !c.JetStream.Enabled || !c.JetStream.FileStore.Enabled || !c.JetStream.FileStore.PVC.Enabled || c.JetStream.FileStore.PVC.Size == "" {
		t.Errorf("JetStream %+v, want file storage on persistent volumes", c.JetStream)
	}
	if !c.Monitor.Enabled || !v.PodDisruptionBudget.Enabled {
		t.Error("monitoring or the PodDisruptionBudget is off")
	}
	// compose builds nats-server at the version deploy/docker/nats/go.mod
	// pins; the chart's official image must be of the same minor version.
	if want := natsServerMinor(t); v.Container.Image.Repository != "nats" || !strings.HasPrefix(v.Container.Image.Tag, want+"-") {
		t.Errorf("image %s:%s, want nats:%s-* (nats-server as %s pins it)", v.Container.Image.Repository, v.Container.Image.Tag, want, natsModule)
	}
	if got := string(readFile(t, accountsConf)); v.ConfigMap.Merge.Data["accounts.conf"] != got {
		t.Errorf("configMap accounts.conf differs from %s", accountsConf)
	}
	if c.Merge["00$include"] != "accounts.conf" {
		t.Errorf("the server configuration does not include accounts.conf: %v", c.Merge)
	}
	for _, m := range regexp.MustCompile(`\$(NATS_PASSWORD_[A-Z_]+)`).FindAllStringSubmatch(string(readFile(t, accountsConf)), -1) {
		var env struct {
			ValueFrom struct {
				SecretKeyRef struct{ Name, Key string }
			}
		}
		raw, ok := v.Container.Env[m[1]]
		if !ok || json.Unmarshal(raw, &env) != nil || env.ValueFrom.SecretKeyRef.Name != "hookstream-nats-users" || env.ValueFrom.SecretKeyRef.Key == "" {
			t.Errorf("%s is not set from the Secret hookstream-nats-users", m[1])
		}
	}
}

// natsServerMinor returns the major.minor version of nats-server that
// deploy/docker/nats/go.mod pins ("2.15").
func natsServerMinor(t *testing.T) string {
	t.Helper()
	mf, err := modfile.Parse(natsModule, readFile(t, natsModule), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mf.Require {
		if r.Mod.Path == "github.com/nats-io/nats-server/v2" {
			return strings.TrimPrefix(semver.MajorMinor(r.Mod.Version), "v")
		}
	}
	t.Fatalf("%s does not require nats-server", natsModule)
	return ""
}
