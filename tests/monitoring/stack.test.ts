/** The monitoring objects the program registers, and their options (platform.monitoring). */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { ProgramError, type ProgramRun, runProgram } from "../harness/program";
import { copy, stackConfig } from "../harness/stackFile";

/** The one object of a type with this metadata.name (and namespace): independent of Pulumi resource names. */
function object(run: ProgramRun, type: string, name: string, namespace?: string): any {
    const found = run
        .byType(type)
        .filter(
            (r) =>
                r.inputs.metadata.name === name &&
                (namespace === undefined || r.inputs.metadata.namespace === namespace),
        );
    assert.strictEqual(found.length, 1, `${type} ${namespace ?? ""}/${name}: found ${found.length}`);
    return found[0].inputs;
}

const repo = path.join(__dirname, "..", "..");
const POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
const PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

function withMonitoring(monitoring: Record<string, unknown>): Record<string, any> {
    const config = copy(stackConfig("test-cluster"));
    config.platform.monitoring = monitoring;
    return config;
}

const dashboards = (run: ProgramRun) =>
    run.byType(CONFIG_MAP).filter((r) => r.inputs.metadata.name === "persistent-agents-dashboard");

describe("monitoring objects", () => {
    it("registers none of them while platform.monitoring is off (the default)", async () => {
        const run = await runProgram({ config: stackConfig("test-cluster") });
        assert.deepStrictEqual(run.byType(POD_MONITOR), []);
        assert.deepStrictEqual(run.byType(PROMETHEUS_RULE), []);
        assert.deepStrictEqual(dashboards(run), []);
        assert.deepStrictEqual(
            run.byType(NETWORK_POLICY).filter((p) => p.inputs.metadata.name.endsWith("-metrics")),
            [],
        );
    });

    describe("with platform.monitoring.enabled and its defaults", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ config: withMonitoring({ enabled: true }) });
        });

        it("gives each agent a PodMonitor on its computer's metrics ports, with the labels Prometheus selects", () => {
            const devbot = object(run, POD_MONITOR, "devbot-computer", "agent-devbot");
            assert.strictEqual(devbot.metadata.namespace, "agent-devbot");
            assert.strictEqual(devbot.metadata.labels.release, "kube-prometheus-stack");
            assert.deepStrictEqual(devbot.spec.selector.matchLabels, {
                "app.kubernetes.io/name": "persistent-agent",
                "app.kubernetes.io/component": "computer",
                "persistent-agents.dev/agent": "devbot",
            });
            assert.deepStrictEqual(
                devbot.spec.podMetricsEndpoints.map((e: any) => [e.port, e.path, e.interval]),
                [
                    ["shell-metrics", "/metrics", "30s"],
                    ["control-metrics", "/metrics", "30s"],
                ],
            );
            assert.deepStrictEqual(devbot.spec.podMetricsEndpoints[0].relabelings, [
                {
                    action: "replace",
                    sourceLabels: ["__meta_kubernetes_pod_label_persistent_agents_dev_agent"],
                    targetLabel: "agent",
                },
                { action: "replace", targetLabel: "job", replacement: "persistent-agents" },
            ]);
            const databot = object(run, POD_MONITOR, "databot-computer", "agent-databot");
            assert.deepStrictEqual(
                databot.spec.podMetricsEndpoints.map((e: any) => e.port),
                ["shell-metrics"],
                "no desktop, no computer-control",
            );
        });

        it("scrapes ports the computer pod really declares, with the contract's numbers", () => {
            for (const agent of ["devbot", "databot"]) {
                const pod = object(run, "kubernetes:apps/v1:Deployment", `${agent}-computer`).spec.template.spec;
                const declared = new Map(
                    pod.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => [p.name, p.containerPort])),
                );
                for (const endpoint of object(run, POD_MONITOR, `${agent}-computer`, `agent-${agent}`).spec
                    .podMetricsEndpoints) {
                    assert.strictEqual(
                        declared.get(endpoint.port),
                        endpoint.port === "shell-metrics" ? 9101 : 9102,
                        `${agent} ${endpoint.port}`,
                    );
                }
            }
        });

        it("deploys monitoring/rules.yaml as the PrometheusRule, unchanged, in the monitoring namespace", () => {
            const [rule] = run.byType(PROMETHEUS_RULE);
            assert.strictEqual(run.byType(PROMETHEUS_RULE).length, 1, "one for the stack");
            assert.strictEqual(rule.inputs.metadata.namespace, "monitoring");
            assert.strictEqual(rule.inputs.metadata.labels.release, "kube-prometheus-stack");
            assert.deepStrictEqual(
                rule.inputs.spec,
                yaml.load(fs.readFileSync(path.join(repo, "monitoring", "rules.yaml"), "utf8")),
            );
        });

        it("deploys monitoring/dashboard.json as a ConfigMap with Grafana's sidecar label", () => {
            const [dashboard] = dashboards(run);
            assert.strictEqual(dashboard.inputs.metadata.namespace, "monitoring");
            assert.strictEqual(dashboard.inputs.metadata.labels.grafana_dashboard, "1");
            assert.strictEqual(
                dashboard.inputs.data["persistent-agents.json"],
                fs.readFileSync(path.join(repo, "monitoring", "dashboard.json"), "utf8"),
            );
        });
    });

    it("follows every option: namespace, Prometheus pods, selector labels, interval, runbook base, dashboard namespace and labels", async () => {
        const run = await runProgram({
            config: withMonitoring({
                enabled: true,
                namespace: "observability",
                prometheusPodLabels: { prometheus: "main" },
                selectorLabels: { team: "agents" },
                scrapeInterval: "1m",
                runbookBaseUrl: "https://git.example.com/ops/persistent-agents/src/branch/main",
                dashboard: { namespace: "grafana", labels: { grafana_dashboard: "agents" } },
            }),
        });
        const monitor = object(run, POD_MONITOR, "devbot-computer", "agent-devbot");
        assert.strictEqual(monitor.metadata.labels.team, "agents");
        assert.strictEqual(monitor.metadata.labels.release, undefined, "the operator's labels replace the default");
        assert.strictEqual(monitor.spec.podMetricsEndpoints[0].interval, "1m");
        const policy = object(run, NETWORK_POLICY, "devbot-computer-metrics", "agent-devbot");
        assert.deepStrictEqual(policy.spec.ingress[0].from, [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } },
                podSelector: { matchLabels: { prometheus: "main" } },
            },
        ]);
        const [rule] = run.byType(PROMETHEUS_RULE);
        assert.strictEqual(rule.inputs.metadata.namespace, "observability");
        const urls = rule.inputs.spec.groups.flatMap((g: any) => g.rules).map((r: any) => r.annotations.runbook_url);
        assert.ok(urls.length >= 10);
        for (const url of urls) {
            assert.match(
                url,
                /^https:\/\/git\.example\.com\/ops\/persistent-agents\/src\/branch\/main\/docs\/runbook\.md#agent[a-z]+$/,
            );
        }
        const [dashboard] = dashboards(run);
        assert.strictEqual(dashboard.inputs.metadata.namespace, "grafana");
        assert.deepStrictEqual(dashboard.inputs.metadata.labels.grafana_dashboard, "agents");
    });

    it("refuses bad monitoring settings, naming the field and the fix", async () => {
        let message = "";
        try {
            await runProgram({
                config: withMonitoring({
                    enabled: "yes",
                    scrapeInterval: "30 seconds",
                    runbookBaseUrl: "git.example.com/runbooks",
                    selectorLabels: { "bad key!": "x" },
                    dashbord: {},
                }),
            });
        } catch (error) {
            assert.ok(error instanceof ProgramError, String(error));
            message = error.message;
        }
        assert.match(message, /platform\.monitoring\.enabled: "yes" is not true or false/);
        assert.match(
            message,
            /platform\.monitoring\.scrapeInterval: "30 seconds" is not a Prometheus duration, e\.g\. 30s or 1m/,
        );
        assert.match(
            message,
            /platform\.monitoring\.runbookBaseUrl: "git\.example\.com\/runbooks" is not an http\(s\) URL/,
        );
        assert.match(message, /platform\.monitoring\.selectorLabels/);
        assert.match(message, /platform\.monitoring\.dashbord: unknown key; did you mean "dashboard"\?/);
    });

    it("leaves the dashboard out when platform.monitoring.dashboard.enabled is false", async () => {
        const run = await runProgram({ config: withMonitoring({ enabled: true, dashboard: { enabled: false } }) });
        assert.deepStrictEqual(dashboards(run), []);
        assert.strictEqual(run.byType(PROMETHEUS_RULE).length, 1);
    });
});
