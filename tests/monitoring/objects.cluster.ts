/**
 * The monitoring objects the stack renders pass the real API server's validation against the upstream
 * Prometheus Operator v0.93.0 CRDs (server-side dry-run, strict field validation), and a wrong one is
 * refused, so the check is live; so do the runbook's restore manifests. Run by tests/backup/run.sh, which
 * starts the API server.
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { parseStackConfig } from "../../components/config";
import { type StackPlan, planStack } from "../../components/plan";
import { renderStack } from "../../components/render";
import { dryRunApply, kubectl } from "../real/kube";

const settings = {
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
            const result = kubectl(
                ["apply", "--server-side", "-f", "-"],
                JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
            );
            assert.strictEqual(result.status, 0, result.stderr);
        }
    });

    /** A desktop agent and a CLI agent of a stack with monitoring on, as the stack plans and renders them. */
    const plan: StackPlan = planStack(
        parseStackConfig({
            values: {
                platform: {
                    registry: "registry.example.com",
                    giteaHost: "git.example.com",
                    vault: { address: "http://vault.vault:8200" },
                    monitoring: settings,
                },
                agents: [{ name: "devbot" }, { name: "databot", desktop: { enabled: false } }],
            },
            isSecret: () => true,
            stackName: "monitoring-test",
        }),
    );
    const image = `registry.example.com/agents/image@sha256:${"ab".repeat(32)}`;
    const rendered = renderStack(plan, { desktop: image, computerControlMcp: image, shell: image });
    const operations = (agent: string) => rendered.agents[agent].operations.map(({ object }) => object as any);
    const find = (objects: any[], kind: string) => objects.find((object) => object.kind === kind);
    const objects = () => [
        ...operations("devbot"),
        find(operations("databot"), "PodMonitor"),
        ...rendered.monitoring.map(({ object }) => object as any),
    ];

    for (const object of objects()) {
        it(`accepts ${object.kind} ${object.metadata.namespace}/${object.metadata.name}`, () => {
            const result = dryRunApply(object);
            assert.strictEqual(result.status, 0, result.stderr);
        });
    }

    it("refuses a PodMonitor and a PrometheusRule that break the CRD schemas, naming the field", () => {
        const monitor: any = structuredClone(find(operations("databot"), "PodMonitor"));
        monitor.spec.podMetricsEndpoints[0].scheme = "ftp";
        const badMonitor = dryRunApply(monitor);
        assert.notStrictEqual(badMonitor.status, 0);
        assert.match(badMonitor.stderr, /podMetricsEndpoints\[0\]\.scheme/);

        const rule: any = structuredClone(
            find(
                rendered.monitoring.map(({ object }) => object),
                "PrometheusRule",
            ),
        );
        rule.spec.groups[0].rules[0].for = "ten minutes";
        const badRule = dryRunApply(rule);
        assert.notStrictEqual(badRule.status, 0);
        assert.match(badRule.stderr, /rules\[0\]\.for/);
    });
});

/** The runbook's manifests for restoring into another agent are what the API server accepts. */
describe("the runbook's restore manifests on a real API server", function () {
    this.timeout(60_000);

    it("accepts the pre-provisioned VolumeSnapshotContent and VolumeSnapshot of 'Into a new agent'", () => {
        const runbook = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "runbook.md"), "utf8");
        const section = runbook.slice(runbook.indexOf("## Restore a workspace from a snapshot (storage.restoreFrom)"));
        const block = /```yaml\n([\s\S]*?)```/.exec(section.slice(section.indexOf("**Into a new agent**")));
        assert.ok(block, "the section has a yaml block");
        const text = block[1]
            .replace(/^ {3}/gm, "")
            .replace("<driver>", "csi.example.com")
            .replace("<snapshotHandle>", "snapshot-1234");
        const documents = yaml.loadAll(text) as any[];
        assert.deepStrictEqual(
            documents.map((d) => d.kind),
            ["VolumeSnapshotContent", "VolumeSnapshot"],
        );
        const namespace = kubectl(
            ["apply", "--server-side", "-f", "-"],
            JSON.stringify({
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name: documents[1].metadata.namespace },
            }),
        );
        assert.strictEqual(namespace.status, 0, namespace.stderr);
        for (const document of documents) {
            const result = dryRunApply(document);
            assert.strictEqual(result.status, 0, `${document.kind}: ${result.stderr}`);
        }
        // And the check is live: a content without a source is refused.
        const broken = { ...documents[0], spec: { ...documents[0].spec, source: {} } };
        assert.notStrictEqual(dryRunApply(broken).status, 0);
    });
});
