/**
 * What a build can reach, and who can reach a build (issue 21): the rendered NetworkPolicies of the build
 * service, evaluated with Kubernetes' semantics for each agent's daemon. A build step runs in its daemon's
 * network namespace, so the daemon's egress is what a `RUN curl …` reaches: never more than its agent's
 * own computer may reach (plus the registry rule), never the private ranges, link-local metadata or other
 * agents' pods.
 */
import * as assert from "node:assert";
import { egressProxySelector } from "../components/contract/labels";
import { type Cluster, type Endpoint, allowed } from "./harness/networkPolicyEvaluator";
import { type ProgramRun, runProgram } from "./harness/program";
import { clusterOf as clusterOfRun, computerPod, kagentPod } from "./harness/programCluster";
import { copy, stackConfig } from "./harness/stackFile";

const BUILD_NAMESPACE = "agent-builds";
const AGENTS = ["devbot", "databot"];

const computer = computerPod;
/** An agent's daemon pod, as its Deployment labels it. */
const daemon = (agent: string): Endpoint => ({
    namespace: BUILD_NAMESPACE,
    labels: {
        "app.kubernetes.io/name": "buildkitd",
        "app.kubernetes.io/component": "build-service",
        "app.kubernetes.io/managed-by": "pulumi",
        "persistent-agents.dev/agent": agent,
    },
});
const ip = (address: string): Endpoint => ({ ip: address });
const pod = (namespace: string, labels: Record<string, string> = { app: namespace }): Endpoint => ({
    namespace,
    labels,
});
const other = (agent: string) => AGENTS.find((a) => a !== agent)!;

/** Destinations a build might try, with ports: the internet, private and link-local ranges, the cluster. */
const PROBES: [Endpoint, number, string][] = [
    [ip("140.82.112.3"), 443, "public HTTPS"],
    [ip("140.82.112.3"), 80, "public HTTP"],
    [ip("140.82.112.3"), 22, "public SSH"],
    [ip("140.82.112.3"), 5432, "a public database port"],
    [ip("169.254.169.254"), 80, "cloud metadata"],
    [ip("169.254.169.254"), 443, "link-local on 443"],
    [ip("10.0.0.5"), 443, "private 10/8"],
    [ip("10.96.0.1"), 443, "the kube-apiserver's ClusterIP"],
    [ip("172.20.1.1"), 80, "private 172.16/12"],
    [ip("192.168.1.10"), 443, "private 192.168/16"],
    [ip("100.64.0.1"), 443, "carrier-grade NAT"],
    [ip("127.0.0.1"), 80, "loopback range"],
    [pod("gitea"), 3000, "in-cluster Gitea"],
    [pod("harbor"), 8080, "in-cluster Harbor"],
    [pod("kagent", { app: "kagent-controller" }), 8083, "the kagent controller"],
    [pod("vault"), 8200, "Vault"],
    [pod("kube-system", { component: "kube-apiserver" }), 6443, "the API server pod"],
    [pod("default", { app: "curious" }), 8080, "a pod in default"],
];

function clusterOf(run: ProgramRun): Cluster {
    const cluster = clusterOfRun(run, ["kagent", "default", "kube-system", "gitea", "harbor", "vault", "dns-system"]);
    // A namespace labelled as an agent's but without the stack's policies (another stack's, or one made by
    // hand): its pods' egress is open, so only a daemon's own ingress rule stands between them and it.
    cluster.namespaceLabels["agent-intruder"] = {
        "kubernetes.io/metadata.name": "agent-intruder",
        "persistent-agents.dev/agent": "intruder",
    };
    return cluster;
}

describe("build network: what each agent's builds can reach", () => {
    let cluster: Cluster;
    before(async () => {
        const config = copy(stackConfig("test-cluster"));
        config.platform.buildService = { enabled: true };
        // DNS elsewhere than kube-system: every policy must take it from platform.network.dns.
        config.platform.network.dns = { namespace: "dns-system", podLabels: { app: "coredns" } };
        cluster = clusterOf(await runProgram({ config }));
    });

    it("lets each agent's computer reach its own daemon on the daemon's port, and no other agent's", () => {
        for (const agent of AGENTS) {
            assert.ok(allowed(cluster, computer(agent), daemon(agent), 1234), `${agent}'s computer reaches its daemon`);
            assert.ok(!allowed(cluster, computer(agent), daemon(agent), 1235), "another port of its daemon");
            assert.ok(
                !allowed(cluster, computer(agent), daemon(other(agent)), 1234),
                `${agent}'s computer reaches ${other(agent)}'s daemon`,
            );
        }
    });

    it("lets nothing else reach a daemon: not the agent's kagent pod, other daemons, other pods or addresses", () => {
        for (const agent of AGENTS) {
            for (const [from, what] of [
                [kagentPod(agent), "its kagent pod"],
                [daemon(other(agent)), "the other agent's daemon"],
                [pod(BUILD_NAMESPACE, { app: "something-else" }), "another pod of the build namespace"],
                [pod("default", { app: "curious" }), "a pod in default"],
                [pod("kagent", { app: "kagent-controller" }), "the kagent controller"],
                [ip("203.0.113.7"), "an outside address"],
            ] as [Endpoint, string][]) {
                assert.ok(!allowed(cluster, from, daemon(agent), 1234), `${what} reaches ${agent}'s daemon`);
            }
        }
    });

    it("admits, on the daemon's own side, only its agent's computer: not a computer-labelled pod elsewhere", () => {
        for (const agent of AGENTS) {
            const lookalike: Endpoint = { namespace: "agent-intruder", labels: computer(agent).labels };
            assert.ok(
                !allowed(cluster, lookalike, daemon(agent), 1234),
                `a lookalike of ${agent}'s computer reaches its daemon`,
            );
        }
    });

    it("resolves names through the DNS of platform.network.dns only", () => {
        const dns = pod("dns-system", { app: "coredns" });
        for (const agent of AGENTS) {
            assert.ok(allowed(cluster, daemon(agent), dns, 53, "UDP"), `${agent}'s daemon resolves names`);
            assert.ok(allowed(cluster, daemon(agent), dns, 53, "TCP"));
            assert.ok(
                !allowed(cluster, daemon(agent), pod("kube-system", { "k8s-app": "kube-dns" }), 53, "UDP"),
                "a DNS the config does not name",
            );
        }
    });

    it("lets a build reach no more than its agent's computer may: no private range, metadata or cluster service beyond it", () => {
        for (const agent of AGENTS) {
            for (const [to, port, what] of PROBES) {
                if (allowed(cluster, daemon(agent), to, port)) {
                    assert.ok(
                        allowed(cluster, computer(agent), to, port),
                        `${agent}'s build reaches ${what} (${to.ip ?? to.namespace}:${port}), which its computer may not`,
                    );
                }
            }
            for (const [to, port, what] of PROBES.filter(([to]) => to.ip && !to.ip.startsWith("140."))) {
                assert.ok(!allowed(cluster, daemon(agent), to, port), `${agent}'s build reaches ${what}`);
            }
            for (const port of [22, 8080, 8081, 5900]) {
                assert.ok(
                    !allowed(cluster, daemon(agent), computer(other(agent)), port),
                    `${agent}'s build reaches ${other(agent)}'s computer on ${port}`,
                );
                assert.ok(
                    !allowed(cluster, daemon(agent), computer(agent), port),
                    `${agent}'s build reaches its own computer`,
                );
            }
            assert.ok(!allowed(cluster, daemon(agent), daemon(other(agent)), 1234), "a build reaches another daemon");
            // What the agent's computer may reach, its builds may too: mirrors, registries and Gitea.
            assert.ok(allowed(cluster, daemon(agent), ip("140.82.112.3"), 443), "public HTTPS (mirrors, registries)");
            assert.ok(
                allowed(cluster, daemon(agent), pod("gitea"), 3000),
                "in-cluster Gitea (computerEgress names it)",
            );
            assert.ok(!allowed(cluster, daemon(agent), ip("140.82.112.3"), 22), "ports the computer may not use");
        }
    });

    it("follows the agent's own rules: a rule of one agent opens its builds only, registryEgress opens every daemon", async () => {
        const config = copy(stackConfig("test-cluster"));
        config.platform.buildService = {
            enabled: true,
            registryEgress: [{ namespace: "registry", podLabels: { app: "zot" }, ports: [5000] }],
        };
        config.agents[1].network = { computerEgress: [{ cidr: "198.51.100.0/24", ports: [5432] }] };
        const withRules = clusterOf(await runProgram({ config }));
        withRules.namespaceLabels.registry = { "kubernetes.io/metadata.name": "registry" };
        const database = ip("198.51.100.9");
        assert.ok(allowed(withRules, daemon("databot"), database, 5432), "databot's rule opens databot's builds");
        assert.ok(!allowed(withRules, daemon("devbot"), database, 5432), "databot's rule opened devbot's builds");
        for (const agent of AGENTS) {
            assert.ok(
                allowed(withRules, daemon(agent), pod("registry", { app: "zot" }), 5000),
                `${agent}'s daemon pushes`,
            );
            assert.ok(!allowed(withRules, daemon(agent), pod("registry", { app: "other" }), 5000));
        }
    });

    it("sends the builds of an agent behind an egress proxy through its own proxy, and nowhere else on the internet", async () => {
        const config = copy(stackConfig("test-cluster"));
        config.platform.buildService = { enabled: true };
        config.agents[1].network = { allowDomains: ["pypi.org"] };
        const run = await runProgram({ config });
        const proxied = clusterOf(run);
        const proxy = (agent: string): Endpoint => ({
            namespace: `agent-${agent}`,
            labels: egressProxySelector(agent),
        });
        assert.ok(allowed(proxied, daemon("databot"), proxy("databot"), 3128), "databot's daemon reaches its proxy");
        assert.ok(
            !allowed(proxied, daemon("devbot"), proxy("databot"), 3128),
            "devbot's daemon reached databot's proxy",
        );
        assert.ok(!allowed(proxied, daemon("databot"), ip("140.82.112.3"), 443), "databot's builds bypass the proxy");
        assert.ok(!allowed(proxied, daemon("databot"), proxy("databot"), 3129), "only the proxy's port");
        // The daemon's own pulls go through it; the registry, reached directly, is excepted.
        const env = (agent: string) =>
            Object.fromEntries(
                run
                    .one("kubernetes:apps/v1:Deployment", `${agent}-buildkitd`)
                    .inputs.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [
                        e.name,
                        e.value,
                    ]),
            );
        const url = "http://databot-egress.agent-databot.svc.cluster.local:3128";
        assert.strictEqual(env("databot").HTTPS_PROXY, url);
        assert.strictEqual(env("databot").http_proxy, url);
        assert.ok(env("databot").NO_PROXY.split(",").includes(config.platform.registry), env("databot").NO_PROXY);
        assert.strictEqual(env("devbot").HTTPS_PROXY, undefined, "devbot has no proxy");
    });

    it("closes the build namespace to any other pod, both ways", () => {
        const stray = pod(BUILD_NAMESPACE, { app: "something-else" });
        assert.ok(!allowed(cluster, stray, ip("140.82.112.3"), 443), "egress from another pod");
        assert.ok(!allowed(cluster, stray, pod("dns-system", { app: "coredns" }), 53, "UDP"));
        assert.ok(!allowed(cluster, computer("devbot"), stray, 1234), "ingress to another pod");
    });
});
