package deploy_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// Paths of the monitoring files under test.
var (
	alertRules = filepath.Join("monitoring", "alerts.yaml")
	dashboard  = filepath.Join("monitoring", "dashboard.json")
)

// promql is Prometheus' PromQL parser, with its default options.
var promql = parser.NewParser(parser.Options{})

// exportedMetrics are the metric names hookstream's Go code declares
// (Name: "hookstream_…"), with the series a histogram adds.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	decl := regexp.MustCompile(`Name:\s+"(hookstream_[a-z0-9_]+)"`)
	histogram := regexp.MustCompile(`NewHistogram(Vec)?\(prometheus\.HistogramOpts\{\s*Name:\s+"(hookstream_[a-z0-9_]+)"`)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
		for _, m := range histogram.FindAllStringSubmatch(string(src), -1) {
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				names[m[2]+suffix] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !names["hookstream_gateway_requests_total"] || !names["hookstream_consumer_event_age_seconds_bucket"] {
		t.Fatalf("metric declarations not found: %v", names)
	}
	return names
}

// metricNames returns the metric names a PromQL expression reads, failing
// the test when Prometheus' parser refuses it.
func metricNames(t *testing.T, where, expr string) []string {
	t.Helper()
	e, err := promql.ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return nil
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names
}

// The alert rules load with Prometheus' own rule parser (YAML, PromQL,
// templates), and every metric they name is one hookstream exports.
func TestAlertRulesParseAndNameRealMetrics(t *testing.T) {
	t.Parallel()
	groups, errs := rulefmt.ParseFile(alertRules, false, model.UTF8Validation, promql, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.Fatal("no rule groups")
	}
	exported := exportedMetrics(t)
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			names := metricNames(t, r.Alert, r.Expr)
			if len(names) == 0 {
				t.Errorf("%s reads no metric", r.Alert)
			}
			for _, n := range names {
				if !exported[n] {
					t.Errorf("%s reads %s, which hookstream does not export", r.Alert, n)
				}
			}
		}
	}
	for _, want := range []string{"HookstreamGatewayRefusingWebhooks", "HookstreamConsumerNearMaxAckPending", "HookstreamDLQGrowing",
		"HookstreamConsumerLagging", "HookstreamProviderRateLimited"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no %s alert", want)
		}
	}
}

// The Grafana dashboard is a dashboard (panels with Prometheus targets),
// each query parses, and every metric it reads is one hookstream exports.
func TestDashboardQueriesNameRealMetrics(t *testing.T) {
	t.Parallel()
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(readFile(t, dashboard), &d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || len(d.Panels) < 10 {
		t.Fatalf("dashboard %q has uid %q and %d panels", d.Title, d.UID, len(d.Panels))
	}
	exported := exportedMetrics(t)
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			for _, n := range metricNames(t, p.Title, target.Expr) {
				if !exported[n] {
					t.Errorf("panel %q reads %s, which hookstream does not export", p.Title, n)
				}
			}
		}
	}
}
