// Package metricnames checks the metric names that monitoring/rules.yaml and monitoring/dashboard.json use
// against monitoring/metric-names.json, with Prometheus's own rule loader and PromQL parser (the ones
// Prometheus runs the deployed rules with), so that an alert can never wait on a series no one exports.
// The other half, that the servers' real /metrics output has every family listed, is checked against the
// running servers (tests/monitoring/shell-metrics.test.mts and the desktop end-to-end tests).
package metricnames

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// ourJob is the job label every agent's PodMonitor gives our servers' series (components/render/monitoring.ts).
const ourJob = "persistent-agents"

var repo = filepath.Join("..", "..", "..")

type nameList struct {
	Servers map[string]struct {
		Port     int               `json:"port"`
		Families map[string]string `json:"families"`
	} `json:"servers"`
	External map[string]map[string]string `json:"external"`
}

// exported maps each series name that may appear in a query to who exports it; histograms expand to
// their _bucket, _sum and _count series.
type exported map[string]struct {
	exporter string
	ours     bool
}

func loadNames(t *testing.T) exported {
	t.Helper()
	var list nameList
	data, err := os.ReadFile(filepath.Join(repo, "monitoring", "metric-names.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("monitoring/metric-names.json: %v", err)
	}
	names := exported{}
	add := func(exporter string, ours bool, families map[string]string) {
		for family, kind := range families {
			series := []string{family}
			switch kind {
			case "histogram":
				series = []string{family + "_bucket", family + "_sum", family + "_count"}
			case "counter", "gauge":
			default:
				t.Fatalf("monitoring/metric-names.json: %s of %s has type %q; use counter, gauge or histogram", family, exporter, kind)
			}
			for _, name := range series {
				names[name] = struct {
					exporter string
					ours     bool
				}{exporter, ours}
			}
		}
	}
	for server, entry := range list.Servers {
		add(server, true, entry.Families)
	}
	for exporter, families := range list.External {
		add(exporter, false, families)
	}
	return names
}

var promql = parser.NewParser(parser.Options{})

// selectors returns every vector selector of a PromQL expression (range selectors included).
func selectors(expr string) ([]*parser.VectorSelector, error) {
	node, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var found []*parser.VectorSelector
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			found = append(found, vs)
		}
		return nil
	})
	return found, nil
}

// problems lists what is wrong with one query: a name no one exports, a selector without a name, or one
// of our series selected without job="persistent-agents" (which would mix in other applications' mcp_*).
func problems(where, expr string, names exported) []string {
	found, err := selectors(expr)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", where, err)}
	}
	var out []string
	for _, vs := range found {
		if vs.Name == "" {
			out = append(out, fmt.Sprintf("%s: selector %s has no metric name", where, vs))
			continue
		}
		exporter, ok := names[vs.Name]
		if !ok {
			out = append(out, fmt.Sprintf("%s: %s is exported by nothing in monitoring/metric-names.json (a server must export it first, see docs/pod-contract.md)", where, vs.Name))
			continue
		}
		if exporter.ours && !hasMatcher(vs.LabelMatchers, "job", ourJob) {
			out = append(out, fmt.Sprintf("%s: %s (exported by %s) must be selected with job=%q", where, vs, exporter.exporter, ourJob))
		}
	}
	return out
}

func hasMatcher(matchers []*labels.Matcher, name, value string) bool {
	for _, m := range matchers {
		if m.Name == name && m.Type == labels.MatchEqual && m.Value == value {
			return true
		}
	}
	return false
}

func TestRulesUseOnlyExportedMetrics(t *testing.T) {
	names := loadNames(t)
	groups, errs := rulefmt.ParseFile(filepath.Join(repo, "monitoring", "rules.yaml"), false, model.UTF8Validation, promql, slog.Default())
	if len(errs) > 0 {
		t.Fatalf("monitoring/rules.yaml does not load: %v", errs)
	}
	rules := 0
	for _, group := range groups.Groups {
		for _, rule := range group.Rules {
			rules++
			for _, p := range problems(fmt.Sprintf("rules.yaml %s/%s", group.Name, rule.Alert+rule.Record), rule.Expr, names) {
				t.Error(p)
			}
		}
	}
	if rules == 0 {
		t.Fatal("monitoring/rules.yaml has no rules")
	}
}

// grafanaVariable matches $name, ${name} and ${name:format}, which Grafana replaces before querying.
var grafanaVariable = regexp.MustCompile(`\$\{[^}]+\}|\$__\w+|\$\w+`)

// substitute replaces Grafana variables with values of the right PromQL kind so the parser can check the rest.
func substitute(expr string) string {
	return grafanaVariable.ReplaceAllStringFunc(expr, func(v string) string {
		if strings.Contains(v, "interval") {
			return "5m"
		}
		return ".+"
	})
}

type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

func TestDashboardUsesOnlyExportedMetrics(t *testing.T) {
	names := loadNames(t)
	data, err := os.ReadFile(filepath.Join(repo, "monitoring", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var board dashboard
	if err := json.Unmarshal(data, &board); err != nil {
		t.Fatalf("monitoring/dashboard.json: %v", err)
	}
	queries := map[string]string{}
	var walk func([]panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			for i, target := range p.Targets {
				queries[fmt.Sprintf("dashboard panel %q target %d", p.Title, i)] = target.Expr
			}
			walk(p.Panels)
		}
	}
	walk(board.Panels)
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)
	for _, variable := range board.Templating.List {
		var query struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(variable.Query, &query) == nil && query.Query != "" {
			if m := labelValues.FindStringSubmatch(query.Query); m != nil {
				queries["dashboard variable "+variable.Name] = m[1]
			}
		}
	}
	if len(queries) < 10 {
		t.Fatalf("expected the dashboard's queries, found %d", len(queries))
	}
	keys := make([]string, 0, len(queries))
	for k := range queries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, where := range keys {
		if strings.TrimSpace(queries[where]) == "" {
			t.Errorf("%s: empty query", where)
			continue
		}
		for _, p := range problems(where, substitute(queries[where]), names) {
			t.Error(p)
		}
	}
}

// The checks themselves must catch what they are for.
func TestProblemsCatchesUnknownAndUnscopedNames(t *testing.T) {
	names := loadNames(t)
	if got := problems("x", `rate(mcp_tool_calls{job="persistent-agents"}[5m])`, names); len(got) != 1 || !strings.Contains(got[0], "mcp_tool_calls is exported by nothing") {
		t.Errorf("a misspelt family: %v", got)
	}
	if got := problems("x", `histogram_quantile(0.9, rate(mcp_tool_call_duration_seconds_bucket[5m]))`, names); len(got) != 1 || !strings.Contains(got[0], "job=") {
		t.Errorf("our series without the job matcher: %v", got)
	}
	if got := problems("x", `kube_deployment_spec_replicas > 0 and on (namespace) up{job="persistent-agents"}`, names); len(got) != 0 {
		t.Errorf("valid external and own names: %v", got)
	}
	if got := problems("x", `{job="persistent-agents"}`, names); len(got) != 1 {
		t.Errorf("a selector without a name: %v", got)
	}
}
