/**
 * The monitoring objects the stack renders pass the real API server's validation against the upstream
 * Prometheus Operator v0.93.0 CRDs (server-side dry-run, strict field validation), and a wrong one is
 * refused, so the check is live. Run by tests/backup/run.sh, which starts the API server.
 */
import * as assert from "assert";
import { MonitoringSettings, dashboardConfigMap, metricsNetworkPolicy, podMonitor, prometheusRule } from "../../components/monitoring";
import { dryRunApply, kubectl } from "../real/kube";

const settings: MonitoringSettings = {
    enabled: true,
    namespace: "monitoring",
    prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" },
    selectorLabels: { release: "kube-prometheus-stack" },
    scrapeInterval: "30s",
    runbookBaseUrl: "https://git.example.com/ops/persistent-agents/src/branch/main/",
    dashboard: { enabled: true, labels: { grafana_dashboard: "1" } },
};

describe("monitoring objects on a real API server", function () {
    this.timeout(60_000);

    before(() => {
        for (const name of ["monitoring", "agent-devbot", "agent-databot"]) {
            const result = kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
            assert.strictEqual(result.status, 0, result.stderr);
        }
    });

    const objects = () => [
        podMonitor({ name: "devbot", namespace: "agent-devbot", desktop: true }, settings),
        podMonitor({ name: "databot", namespace: "agent-databot", desktop: false }, settings),
        metricsNetworkPolicy({ name: "devbot", namespace: "agent-devbot", desktop: true }, settings),
        prometheusRule(settings),
        dashboardConfigMap(settings),
    ];

    for (const object of objects()) {
        it(`accepts ${object.kind} ${object.metadata.namespace}/${object.metadata.name}`, () => {
            const result = dryRunApply(object);
            assert.strictEqual(result.status, 0, result.stderr);
        });
    }

    it("refuses a PodMonitor and a PrometheusRule that break the CRD schemas, naming the field", () => {
        const monitor: any = podMonitor({ name: "devbot", namespace: "agent-devbot", desktop: false }, settings);
        monitor.spec.podMetricsEndpoints[0].scheme = "ftp";
        const badMonitor = dryRunApply(monitor);
        assert.notStrictEqual(badMonitor.status, 0);
        assert.match(badMonitor.stderr, /podMetricsEndpoints\[0\]\.scheme/);

        const rule: any = prometheusRule(settings);
        rule.spec.groups[0].rules[0].for = "ten minutes";
        const badRule = dryRunApply(rule);
        assert.notStrictEqual(badRule.status, 0);
        assert.match(badRule.stderr, /rules\[0\]\.for/);
    });
});
