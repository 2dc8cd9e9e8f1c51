/**
 * Egress by domain name in the rendered stack: reachability computed from the generated NetworkPolicies
 * (the computer reaches outside the cluster only through its proxy; the proxy reaches the allowed ports
 * and the operator's rules, never the private ranges), the proxy pod's security, quotas, the proxy
 * variables of every computer container, and where a brokered git token goes.
 */
import * as assert from "node:assert";
import { type Cluster, type Endpoint, allowed } from "./harness/networkPolicyEvaluator";
import { type ProgramRun, runProgram } from "./harness/program";
import { clusterOf as clusterOfRun } from "./harness/programCluster";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

const labelsOf = (agent: string, component: string) => ({
    "app.kubernetes.io/name": "persistent-agent",
    "app.kubernetes.io/component": component,
    "persistent-agents.dev/agent": agent,
});
const computer = (agent: string): Endpoint => ({ namespace: `agent-${agent}`, labels: labelsOf(agent, "computer") });
const proxy = (agent: string): Endpoint => ({ namespace: `agent-${agent}`, labels: labelsOf(agent, "egress-proxy") });
const kagentPod = (agent: string): Endpoint => ({
    namespace: `agent-${agent}`,
    labels: { app: "kagent", kagent: agent },
});
const stranger: Endpoint = { namespace: "default", labels: { app: "curious" } };
const dns: Endpoint = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
const gitea: Endpoint = { namespace: "gitea", labels: { app: "gitea" } };
const prometheus: Endpoint = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } };
const internet = (ip: string): Endpoint => ({ ip });
const PRIVATE = ["10.0.0.5", "172.20.1.1", "192.168.1.10", "169.254.169.254", "100.64.0.1"];

function clusterOf(run: ProgramRun): Cluster {
    return clusterOfRun(run, ["kagent", "default", "kube-system", "gitea", "harbor", "monitoring"]);
}

/** test-cluster with devbot given a list (and its git credential brokered); databot keeps direct egress. */
function egressConfig(monitoring = false) {
    const config = copy(testCluster);
    config.agents[0].network = { allowDomains: ["pypi.org", { host: "*.example.com", ports: [8443] }] };
    config.agents[0].credentials = { gitea: { brokered: true } };
    if (monitoring) {
        config.platform.monitoring = { enabled: true };
    }
    return config;
}

describe("egress proxy: reachability", () => {
    let run: ProgramRun;
    let cluster: Cluster;
    let before_: Cluster;
    before(async () => {
        run = await runProgram({ config: egressConfig(true) });
        cluster = clusterOf(run);
        const plain = copy(testCluster);
        plain.platform.monitoring = { enabled: true };
        before_ = clusterOf(await runProgram({ config: plain }));
    });

    it("closes the computer's direct way out; it keeps DNS, its proxy and the in-cluster namespaces", () => {
        assert.ok(allowed(before_, computer("devbot"), internet("140.82.112.3"), 443), "before: direct HTTPS");
        assert.ok(!allowed(cluster, computer("devbot"), internet("140.82.112.3"), 443), "now only through the proxy");
        assert.ok(!allowed(cluster, computer("devbot"), internet("140.82.112.3"), 80));
        assert.ok(allowed(cluster, computer("devbot"), dns, 53, "UDP"));
        assert.ok(allowed(cluster, computer("devbot"), proxy("devbot"), 3128));
        assert.ok(!allowed(cluster, computer("devbot"), proxy("devbot"), 9103), "not the metrics port");
        assert.ok(allowed(cluster, computer("devbot"), gitea, 3000), "in-cluster Gitea stays direct");
    });

    it("lets the proxy out to the allowed ports and the operator's rules, never to private ranges", () => {
        assert.ok(allowed(cluster, proxy("devbot"), dns, 53, "UDP"));
        for (const port of [443, 8443, 80]) {
            // 443 and 8443 from the list; 80 from the operator's CIDR rule the proxy inherits.
            assert.ok(allowed(cluster, proxy("devbot"), internet("140.82.112.3"), port), `port ${port}`);
        }
        assert.ok(!allowed(cluster, proxy("devbot"), internet("140.82.112.3"), 22));
        for (const ip of PRIVATE) {
            assert.ok(!allowed(cluster, proxy("devbot"), internet(ip), 443), `proxy reaches private ${ip}`);
        }
        assert.ok(allowed(cluster, proxy("devbot"), gitea, 3000), "an in-cluster namespace of the operator's rules");
    });

    it("admits only the agent's own computer to the proxy (and Prometheus to its metrics)", () => {
        assert.ok(!allowed(cluster, stranger, proxy("devbot"), 3128));
        assert.ok(!allowed(cluster, kagentPod("devbot"), proxy("devbot"), 3128), "kagent's pod has its own rules");
        assert.ok(!allowed(cluster, computer("databot"), proxy("devbot"), 3128), "another agent's computer");
        assert.ok(allowed(cluster, prometheus, proxy("devbot"), 9103));
        assert.ok(!allowed(cluster, prometheus, proxy("devbot"), 3128));
    });

    it("leaves an agent without a list as it was", () => {
        assert.ok(allowed(cluster, computer("databot"), internet("140.82.112.3"), 443));
        const databot = (c: Cluster) =>
            c.policies.filter((p) => p.metadata.namespace === "agent-databot").map((p) => p.metadata.name);
        assert.deepStrictEqual(databot(cluster), databot(before_));
        assert.strictEqual(
            run.byType("kubernetes:apps/v1:Deployment").filter((d) => d.name === "databot-egress-deployment").length,
            0,
        );
    });
});

describe("egress proxy: the pod, the computer's variables, the brokered token", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config: egressConfig() });
    });

    it("runs the proxy non-root, read-only, without capabilities, token or escalation", () => {
        const pod = run.one("kubernetes:apps/v1:Deployment", "devbot-egress-deployment").inputs.spec.template.spec;
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.deepStrictEqual(pod.securityContext, {
            runAsUser: 1000,
            runAsGroup: 1000,
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepStrictEqual(
            pod.containers.map((c: any) => [c.name, c.securityContext]),
            ["egress-proxy", "egress-metrics"].map((name) => [
                name,
                { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            ]),
        );
        assert.match(pod.containers[0].image, /\/egress-proxy:.*@sha256:/);
    });

    it("gives every container of the computer the proxy and in-cluster names direct", () => {
        const pod = run.one("kubernetes:apps/v1:Deployment", "devbot-computer").inputs.spec.template.spec;
        const url = "http://devbot-egress.agent-devbot.svc.cluster.local:3128";
        for (const container of pod.containers) {
            const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
            for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) {
                assert.strictEqual(env[name], url, `${container.name} ${name}`);
            }
            assert.match(env.NO_PROXY, /(^|,)\.svc\.cluster\.local(,|$)/);
            assert.strictEqual(env.no_proxy, env.NO_PROXY);
        }
        const databot = run.one("kubernetes:apps/v1:Deployment", "databot-computer").inputs.spec.template.spec;
        assert.ok(databot.containers.every((c: any) => !c.env.some((e: any) => /proxy/i.test(e.name))));
    });

    it("keeps a brokered token out of the computer: no file, no variable; the proxy mounts its header line", () => {
        const pod = run.one("kubernetes:apps/v1:Deployment", "devbot-computer").inputs.spec.template.spec;
        assert.ok(!JSON.stringify(pod).includes("git-credentials"), "no git-credentials volume, mount or variable");
        const shell = pod.containers.find((c: any) => c.name === "shell");
        const env = Object.fromEntries(shell.env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.GIT_CONFIG_KEY_0, "url.http://git.test-cluster.agentydragon.com/.insteadOf");
        assert.strictEqual(env.GIT_CONFIG_VALUE_0, "https://git.test-cluster.agentydragon.com/");
        const secret = run.one("kubernetes:external-secrets.io/v1:ExternalSecret", "devbot-credentials").inputs.spec;
        const keys = secret.target.template.data;
        assert.ok(!("git-credentials" in keys));
        assert.match(
            keys["egress-broker-git"],
            /^request_header_add Authorization "Basic \{\{ printf "%s:%s" "devbot" /,
        );
        const proxyPod = run.one("kubernetes:apps/v1:Deployment", "devbot-egress-deployment").inputs.spec.template.spec;
        assert.deepStrictEqual(proxyPod.volumes.find((v: any) => v.name === "broker").secret, {
            secretName: "devbot-credentials",
            items: [{ key: "egress-broker-git", path: "broker-git.conf" }],
        });
        const rules = run.one("kubernetes:core/v1:ConfigMap", "devbot-egress-configmap").inputs.data["rules.conf"];
        assert.match(rules, /^cache_peer git\.test-cluster\.agentydragon\.com parent 443 0 .* originserver tls /m);
        // databot's credential is as before.
        const databotSecret = run.one("kubernetes:external-secrets.io/v1:ExternalSecret", "databot-credentials").inputs
            .spec;
        assert.ok("git-credentials" in databotSecret.target.template.data);
    });

    it("makes room in the quota for the proxy pod and its rollout", async () => {
        const quota = (r: ProgramRun, agent: string) =>
            r.one("kubernetes:core/v1:ResourceQuota", `${agent}-quota`).inputs.spec.hard;
        const plain = await runProgram({ config: testCluster });
        assert.strictEqual(Number(quota(run, "devbot").pods), Number(quota(plain, "devbot").pods) + 2);
        assert.strictEqual(Number(quota(run, "devbot").services), Number(quota(plain, "devbot").services) + 1);
        assert.deepStrictEqual(quota(run, "databot"), quota(plain, "databot"));
    });
});
