/**
 * Network reachability with monitoring and backups on (test-cluster config plus platform.monitoring,
 * platform.backup and one agent's storage.backup): Prometheus reaches the metrics ports and nothing else,
 * nobody else reaches the metrics ports, the backup pod reaches only the API server, and the rest of the
 * isolation matrix (tests/isolation.test.ts) still holds.
 */
import * as assert from "node:assert";
import { type Cluster, type Endpoint, allowed } from "../harness/networkPolicyEvaluator";
import { type ProgramRun, runProgram } from "../harness/program";
import { clusterOf as clusterOfRun, computerPod, kagentPod } from "../harness/programCluster";
import { copy, stackConfig } from "../harness/stackFile";

const computer = computerPod;
const backupPod = (agent: string): Endpoint => ({
    namespace: `agent-${agent}`,
    labels: {
        "app.kubernetes.io/name": "persistent-agent",
        "app.kubernetes.io/component": "backup",
        "persistent-agents.dev/agent": agent,
    },
});
const prometheus: Endpoint = {
    namespace: "monitoring",
    labels: { "app.kubernetes.io/name": "prometheus", prometheus: "k8s" },
};
const grafana: Endpoint = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "grafana" } };
const prometheusElsewhere: Endpoint = { namespace: "default", labels: { "app.kubernetes.io/name": "prometheus" } };
const kagentController: Endpoint = { namespace: "kagent", labels: { app: "kagent-controller" } };
const stranger: Endpoint = { namespace: "default", labels: { app: "curious" } };
const apiServer: Endpoint = { ip: "10.0.0.1" };

const SHELL_METRICS = 9101;
const CONTROL_METRICS = 9102;
const OTHER_PORTS = [5900, 6080, 8080, 8081];

function operationsConfig(): Record<string, any> {
    const config = copy(stackConfig("test-cluster"));
    config.platform.monitoring = { enabled: true };
    config.platform.apiServer = { cidrs: ["10.0.0.1/32"] };
    config.agents[0].storage = {
        ...config.agents[0].storage,
        backup: { schedule: "0 3 * * *", retention: { count: 7 }, volumeSnapshotClass: "csi-snapshots" },
    };
    return config;
}

function clusterOf(run: ProgramRun): Cluster {
    return clusterOfRun(run, ["kagent", "default", "kube-system", "monitoring"]);
}

describe("reachability with monitoring and backups on", () => {
    let cluster: Cluster;
    before(async () => {
        cluster = clusterOf(await runProgram({ config: operationsConfig() }));
    });

    it("lets Prometheus scrape each computer's metrics ports, and only the ports that computer has", () => {
        assert.ok(allowed(cluster, prometheus, computer("devbot"), SHELL_METRICS));
        assert.ok(allowed(cluster, prometheus, computer("devbot"), CONTROL_METRICS));
        assert.ok(allowed(cluster, prometheus, computer("databot"), SHELL_METRICS));
        assert.ok(!allowed(cluster, prometheus, computer("databot"), CONTROL_METRICS), "databot has no desktop");
    });

    it("gives Prometheus no MCP, VNC or browser-view port", () => {
        for (const agent of ["devbot", "databot"]) {
            for (const port of OTHER_PORTS) {
                assert.ok(
                    !allowed(cluster, prometheus, computer(agent), port),
                    `Prometheus reaches ${agent} on ${port}`,
                );
            }
        }
    });

    it("gives nobody else the metrics ports", () => {
        for (const [who, from] of [
            ["grafana", grafana],
            ["a Prometheus-labelled pod in default", prometheusElsewhere],
            ["a stranger", stranger],
            ["devbot's kagent pod", kagentPod("devbot")],
            ["the kagent controller", kagentController],
            ["databot's computer", computer("databot")],
        ] as const) {
            assert.ok(
                !allowed(cluster, from, computer("devbot"), SHELL_METRICS),
                `${who} reaches devbot's shell metrics`,
            );
            assert.ok(
                !allowed(cluster, from, computer("devbot"), CONTROL_METRICS),
                `${who} reaches devbot's computer-control metrics`,
            );
        }
    });

    it("keeps the MCP matrix as it was", () => {
        assert.ok(allowed(cluster, kagentPod("devbot"), computer("devbot"), 8081));
        assert.ok(allowed(cluster, kagentController, computer("databot"), 8081));
        assert.ok(!allowed(cluster, kagentPod("devbot"), computer("databot"), 8081));
        assert.ok(!allowed(cluster, stranger, computer("devbot"), 8080));
    });

    it("lets the backup pod reach the API server and nothing else, and nothing reach it", () => {
        assert.ok(allowed(cluster, backupPod("devbot"), apiServer, 443));
        assert.ok(allowed(cluster, backupPod("devbot"), apiServer, 6443));
        assert.ok(!allowed(cluster, backupPod("devbot"), apiServer, 22));
        assert.ok(!allowed(cluster, backupPod("devbot"), { ip: "140.82.112.3" }, 443), "the internet");
        assert.ok(!allowed(cluster, backupPod("devbot"), computer("devbot"), 8081), "its own computer");
        assert.ok(
            !allowed(
                cluster,
                backupPod("devbot"),
                { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
                53,
                "UDP",
            ),
        );
        assert.ok(!allowed(cluster, stranger, backupPod("devbot"), 8080));
        assert.ok(!allowed(cluster, computer("devbot"), backupPod("devbot"), 8080));
    });

    it("with the pause hook, lets the backup pod reach the shell's port and nothing else of the computer", async () => {
        const config = operationsConfig();
        config.agents[0].storage.backup.pauseJobs = true;
        const hooked = clusterOf(await runProgram({ config }));
        assert.ok(allowed(hooked, backupPod("devbot"), computer("devbot"), 8081));
        for (const port of [5900, 8080, SHELL_METRICS, CONTROL_METRICS]) {
            assert.ok(
                !allowed(hooked, backupPod("devbot"), computer("devbot"), port),
                `backup pod reaches devbot on ${port}`,
            );
        }
        assert.ok(!allowed(hooked, backupPod("devbot"), computer("databot"), 8081), "another agent's shell");
        assert.ok(
            !allowed(hooked, stranger, computer("devbot"), 8081),
            "the hook's policy opens the port to its pod only",
        );
        assert.ok(!allowed(hooked, prometheus, computer("devbot"), 8081));
    });

    it("opens nothing to Prometheus when monitoring is off", async () => {
        const config = operationsConfig();
        config.platform.monitoring = { enabled: false };
        const off = clusterOf(await runProgram({ config }));
        assert.ok(!allowed(off, prometheus, computer("devbot"), SHELL_METRICS));
        assert.ok(!allowed(off, prometheus, computer("devbot"), CONTROL_METRICS));
    });
});
