/** Isolation of the test-cluster agents: network reachability, Vault access, quotas, pod security. */
import * as assert from "node:assert";
import { parseStackConfig } from "../components/config";
import { planAgent } from "../components/plan";
import { type Cluster, type Endpoint, allowed } from "./harness/networkPolicyEvaluator";
import { type ProgramRun, runProgram } from "./harness/program";
import { clusterOf as clusterOfRun, computerPod, kagentPod } from "./harness/programCluster";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

const computer = computerPod;
const kagentController: Endpoint = { namespace: "kagent", labels: { app: "kagent-controller" } };
const stranger: Endpoint = { namespace: "default", labels: { app: "curious" } };
const dns: Endpoint = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
const viewer: Endpoint = { namespace: "vnc-viewers", labels: { app: "guacamole" } };
const internet = (ip: string): Endpoint => ({ ip });

function clusterOf(run: ProgramRun): Cluster {
    return clusterOfRun(run, ["kagent", "default", "kube-system", "vnc-viewers", "gitea", "harbor"]);
}

describe("isolation: network", () => {
    let cluster: Cluster;
    before(async () => {
        cluster = clusterOf(await runProgram({ config: testCluster }));
    });

    it("lets each agent's kagent pod reach its own MCP ports, and the kagent controller list tools", () => {
        assert.ok(allowed(cluster, kagentPod("devbot"), computer("devbot"), 8081));
        assert.ok(allowed(cluster, kagentPod("devbot"), computer("devbot"), 8080));
        assert.ok(allowed(cluster, kagentPod("databot"), computer("databot"), 8081));
        assert.ok(allowed(cluster, kagentController, computer("devbot"), 8080));
        assert.ok(allowed(cluster, kagentController, computer("databot"), 8081));
    });

    it("keeps one agent from another, in every direction", () => {
        for (const [a, b] of [
            ["devbot", "databot"],
            ["databot", "devbot"],
        ]) {
            for (const port of [5900, 8080, 8081]) {
                assert.ok(
                    !allowed(cluster, kagentPod(a), computer(b), port),
                    `${a}'s kagent pod reaches ${b}'s computer on ${port}`,
                );
                assert.ok(
                    !allowed(cluster, computer(a), computer(b), port),
                    `${a}'s computer reaches ${b}'s computer on ${port}`,
                );
            }
            assert.ok(!allowed(cluster, computer(a), kagentPod(b), 8080), `${a}'s computer reaches ${b}'s kagent pod`);
        }
    });

    it("lets nobody else drive an agent or watch its screen", () => {
        for (const port of [5900, 8080, 8081]) {
            assert.ok(
                !allowed(cluster, stranger, computer("devbot"), port),
                `a pod in default reaches devbot on ${port}`,
            );
            assert.ok(!allowed(cluster, internet("203.0.113.7"), computer("devbot"), port));
        }
        assert.ok(!allowed(cluster, kagentController, computer("devbot"), 5900), "kagent has no business with VNC");
    });

    it("closes any other pod in an agent namespace both ways", () => {
        const other: Endpoint = { namespace: "agent-devbot", labels: { app: "something-else" } };
        assert.ok(!allowed(cluster, other, internet("140.82.112.3"), 443), "egress from another pod");
        assert.ok(!allowed(cluster, other, dns, 53, "UDP"));
        assert.ok(!allowed(cluster, kagentController, other, 8080), "ingress to another pod");
    });

    it("opens VNC only to the configured viewers", async () => {
        const config = copy(testCluster);
        config.platform.network.vncViewers = { namespaces: ["vnc-viewers"], cidrs: ["198.51.100.0/24"] };
        const withViewers = clusterOf(await runProgram({ config }));
        assert.ok(allowed(withViewers, viewer, computer("devbot"), 5900));
        assert.ok(allowed(withViewers, internet("198.51.100.20"), computer("devbot"), 5900));
        assert.ok(!allowed(withViewers, viewer, computer("devbot"), 8081), "viewers do not get the MCP ports");
        assert.ok(!allowed(withViewers, stranger, computer("devbot"), 5900));
    });

    it("lets computers and agent pods out only to DNS and what the operator allows, never to private ranges", () => {
        assert.ok(allowed(cluster, computer("devbot"), dns, 53, "UDP"));
        assert.ok(
            allowed(cluster, computer("devbot"), internet("140.82.112.3"), 443),
            "public HTTPS (mirrors, registry)",
        );
        assert.ok(
            !allowed(cluster, computer("devbot"), internet("140.82.112.3"), 22),
            "only the ports the operator listed",
        );
        for (const privateIp of ["10.0.0.5", "172.20.1.1", "192.168.1.10", "169.254.169.254", "100.64.0.1"]) {
            assert.ok(
                !allowed(cluster, computer("devbot"), internet(privateIp), 443),
                `computer reaches private ${privateIp}`,
            );
            assert.ok(
                !allowed(cluster, kagentPod("devbot"), internet(privateIp), 443),
                `agent pod reaches private ${privateIp}`,
            );
        }
        assert.ok(
            allowed(cluster, computer("databot"), { namespace: "gitea", labels: { app: "gitea" } }, 3000),
            "in-cluster Gitea",
        );
        assert.ok(allowed(cluster, kagentPod("devbot"), internet("160.79.104.10"), 443), "the model API");
        assert.ok(allowed(cluster, kagentPod("devbot"), kagentController, 8083), "the agent runtime talks to kagent");
        assert.ok(allowed(cluster, kagentController, kagentPod("devbot"), 8080), "kagent's UI reaches the agent");
        assert.ok(!allowed(cluster, stranger, kagentPod("devbot"), 8080));
    });

    it("with the build service on, lets each computer reach its own BuildKit daemon on its port and nothing else new", async () => {
        const config = copy(testCluster);
        config.platform.buildService = { enabled: true };
        const withBuilds = clusterOf(await runProgram({ config }));
        // Each agent's daemon (tests/buildNetwork.test.ts checks what the daemons themselves reach).
        const daemon = (agent: string): Endpoint => ({
            namespace: "agent-builds",
            labels: {
                "app.kubernetes.io/name": "buildkitd",
                "app.kubernetes.io/component": "build-service",
                "app.kubernetes.io/managed-by": "pulumi",
                "persistent-agents.dev/agent": agent,
            },
        });
        const otherPodThere: Endpoint = { namespace: "agent-builds", labels: { app: "something-else" } };
        for (const agent of ["devbot", "databot"]) {
            assert.ok(
                allowed(withBuilds, computer(agent), daemon(agent), 1234),
                `${agent}'s computer reaches its daemon`,
            );
            assert.ok(
                !allowed(withBuilds, computer(agent), daemon(agent), 1235),
                `${agent}'s computer reaches its daemon on another port`,
            );
            assert.ok(!allowed(withBuilds, computer(agent), daemon(agent), 1234, "UDP"));
            assert.ok(
                !allowed(withBuilds, computer(agent), otherPodThere, 1234),
                `${agent}'s computer reaches another pod of the build namespace`,
            );
            assert.ok(
                !allowed(withBuilds, kagentPod(agent), daemon(agent), 1234),
                `${agent}'s kagent pod reaches its daemon`,
            );
            assert.ok(
                !allowed(cluster, computer(agent), daemon(agent), 1234),
                "without the build service nothing opens",
            );
        }
        assert.ok(
            !allowed(withBuilds, stranger, daemon("devbot"), 1234),
            "a pod outside the agent namespaces reaches a daemon",
        );
        // Nothing else changes: the other policies are the same as without the build service.
        const agentPolicies = (c: Cluster) =>
            c.policies
                .filter((p) => p.metadata.namespace !== "agent-builds")
                .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
        const withoutBuildRule = agentPolicies(withBuilds).map((p) =>
            p.metadata.name.endsWith("computer-egress")
                ? {
                      ...p,
                      spec: {
                          ...p.spec,
                          egress: p.spec.egress.filter(
                              (rule: any) =>
                                  rule.to?.[0]?.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] !==
                                  "agent-builds",
                          ),
                      },
                  }
                : p,
        );
        assert.deepStrictEqual(withoutBuildRule, agentPolicies(cluster));
    });
});

describe("isolation: Vault access per agent", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config: testCluster });
    });

    it("grants each agent read on its own two paths and nothing else", () => {
        const policies = run.byType("vault:index/policy:Policy").map((p) => p.inputs);
        assert.deepStrictEqual(policies.map((p) => p.name).sort(), [
            "agent.secret.agents.databot",
            "agent.secret.agents.devbot",
        ]);
        const devbot = policies.find((p) => p.name === "agent.secret.agents.devbot");
        const paths = [...devbot.policy.matchAll(/path "([^"]+)" \{\s*capabilities = \["read"\]\s*\}/g)].map(
            (m: RegExpMatchArray) => m[1],
        );
        assert.deepStrictEqual(paths, ["secret/data/agents/devbot/provided", "secret/data/agents/devbot/generated"]);
        assert.doesNotMatch(devbot.policy, /\*|databot|"(create|update|delete|list)"/);
    });

    it("binds a Kubernetes-auth role to the agent's ServiceAccount, with an audience", () => {
        const role = run.one("vault:kubernetes/authBackendRole:AuthBackendRole", "devbot-vault-role").inputs;
        assert.strictEqual(role.roleName, "agent.secret.agents.devbot");
        assert.deepStrictEqual(role.boundServiceAccountNames, ["devbot-secrets"]);
        assert.deepStrictEqual(role.boundServiceAccountNamespaces, ["agent-devbot"]);
        assert.strictEqual(role.audience, "vault");
        assert.deepStrictEqual(role.tokenPolicies, ["agent.secret.agents.devbot"]);
    });

    it("has the agent's ExternalSecret use a SecretStore of its own namespace that logs in with that role", () => {
        const store = run.one("kubernetes:external-secrets.io/v1:SecretStore", "devbot-vault").inputs;
        assert.strictEqual(store.metadata.namespace, "agent-devbot");
        assert.deepStrictEqual(store.spec.provider.vault, {
            server: "http://vault.vault.svc.cluster.local:8200",
            path: "secret",
            version: "v2",
            auth: {
                kubernetes: {
                    mountPath: "kubernetes",
                    role: "agent.secret.agents.devbot",
                    serviceAccountRef: { name: "devbot-secrets", audiences: ["vault"] },
                },
            },
        });
        const es = run.one("kubernetes:external-secrets.io/v1:ExternalSecret", "devbot-credentials").inputs;
        assert.deepStrictEqual(es.spec.secretStoreRef, { kind: "SecretStore", name: "devbot-vault" });
    });

    it("keeps the shared ClusterSecretStore as an explicit option, without per-agent Vault objects", async () => {
        const config = copy(testCluster);
        config.platform.secretStore = { kind: "ClusterSecretStore", name: "vault-backend" };
        const shared = await runProgram({ config });
        assert.deepStrictEqual(shared.byType("vault:index/policy:Policy"), []);
        assert.deepStrictEqual(shared.byType("kubernetes:external-secrets.io/v1:SecretStore"), []);
        const es = shared.one("kubernetes:external-secrets.io/v1:ExternalSecret", "devbot-credentials").inputs;
        assert.deepStrictEqual(es.spec.secretStoreRef, { kind: "ClusterSecretStore", name: "vault-backend" });
    });

    it("writes the same policy text the pure builder gives", () => {
        const { platform, agents } = parseStackConfig({ values: testCluster, isSecret: () => false, stackName: "t" });
        assert.strictEqual(
            run.one("vault:index/policy:Policy", "devbot-vault-policy").inputs.policy,
            planAgent(agents[0], platform).vaultAccess.perAgent?.policyAndRole?.policy,
        );
    });
});

describe("isolation: quotas", () => {
    it("sums the agent's containers and two kagent pods, and its storage", async () => {
        const run = await runProgram({ config: testCluster });
        const devbot = run.one("kubernetes:core/v1:ResourceQuota", "devbot-quota").inputs.spec.hard;
        // desktop 250m/512Mi, computer-control 100m/512Mi, shell 250m/256Mi, kagent 2 × 100m/384Mi
        assert.strictEqual(devbot["requests.cpu"], "800m");
        assert.strictEqual(devbot["requests.memory"], "2Gi");
        // limits: 2 + 1 + 2 + 2 × 2 cores; 2Gi + 1Gi + 4Gi + 2 × 1Gi
        assert.strictEqual(devbot["limits.cpu"], "9000m");
        assert.strictEqual(devbot["limits.memory"], "9Gi");
        assert.strictEqual(devbot["requests.storage"], "25Gi");
        assert.strictEqual(devbot.persistentvolumeclaims, "2");
        const databot = run.one("kubernetes:core/v1:ResourceQuota", "databot-quota").inputs.spec.hard;
        assert.strictEqual(databot["requests.cpu"], "450m");
        assert.strictEqual(databot["requests.memory"], "1Gi");
        assert.strictEqual(databot["requests.storage"], "55Gi");
        const limits = run.one("kubernetes:core/v1:LimitRange", "databot-limits").inputs.spec.limits;
        assert.deepStrictEqual(limits[0].max, { cpu: "2000m", memory: "4Gi" });
        assert.deepStrictEqual(limits[1], { type: "PersistentVolumeClaim", max: { storage: "50Gi" } });
    });

    it("follows the operator's resource overrides", async () => {
        const config = copy(testCluster);
        config.agents[1].resources = { shell: { requests: { cpu: "1" }, limits: { cpu: "4", memory: "8Gi" } } };
        const run = await runProgram({ config });
        const hard = run.one("kubernetes:core/v1:ResourceQuota", "databot-quota").inputs.spec.hard;
        assert.strictEqual(hard["requests.cpu"], "1200m");
        assert.strictEqual(hard["limits.memory"], "10Gi");
    });
});

describe("isolation: pod security", () => {
    it("enforces restricted, non-root UID 1000, no escalation, no capabilities, RuntimeDefault seccomp, no token", async () => {
        const run = await runProgram({ config: testCluster });
        for (const ns of run.byType("kubernetes:core/v1:Namespace")) {
            assert.strictEqual(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        }
        for (const deployment of run.byType("kubernetes:apps/v1:Deployment")) {
            const pod = deployment.inputs.spec.template.spec;
            assert.strictEqual(pod.automountServiceAccountToken, false);
            assert.deepStrictEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
            for (const container of pod.containers) {
                assert.deepStrictEqual(
                    container.securityContext,
                    {
                        allowPrivilegeEscalation: false,
                        capabilities: { drop: ["ALL"] },
                        runAsNonRoot: true,
                        runAsUser: 1000,
                        runAsGroup: 1000,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    `${deployment.name}/${container.name}`,
                );
            }
        }
        const agent = run.one("kubernetes:kagent.dev/v1alpha2:Agent", "devbot-agent").inputs.spec.declarative
            .deployment;
        assert.deepStrictEqual(agent.securityContext, {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            runAsNonRoot: true,
        });
        assert.deepStrictEqual(agent.podSecurityContext, {
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
        });
    });

    it("lowers enforcement to baseline only for an agent given sudo, and passes a runtime class through", async () => {
        const config = copy(testCluster);
        config.agents[0].sudo = true;
        config.agents[1].runtimeClassName = "gvisor";
        const run = await runProgram({ config });
        const ns = (name: string) =>
            run.one("kubernetes:core/v1:Namespace", `${name}-namespace`).inputs.metadata.labels;
        assert.strictEqual(ns("devbot")["pod-security.kubernetes.io/enforce"], "baseline");
        assert.strictEqual(ns("devbot")["pod-security.kubernetes.io/warn"], "restricted");
        assert.strictEqual(ns("databot")["pod-security.kubernetes.io/enforce"], "restricted");
        const devbot = run.one("kubernetes:apps/v1:Deployment", "devbot-computer").inputs.spec.template;
        const escalation = Object.fromEntries(
            devbot.spec.containers.map((c: any) => [c.name, c.securityContext.allowPrivilegeEscalation]),
        );
        assert.deepStrictEqual(escalation, { desktop: true, "computer-control": false, shell: true });
        assert.strictEqual(devbot.metadata.labels["persistent-agents.dev/sudo"], "true");
        assert.strictEqual(
            run.one("kubernetes:apps/v1:Deployment", "databot-computer").inputs.spec.template.spec.runtimeClassName,
            "gvisor",
        );
        for (const image of ["images-desktop", "images-shell"]) {
            assert.deepStrictEqual(run.one("docker-build:index:Image", image).inputs.buildArgs, {
                AGENT_PASSWORDLESS_SUDO: "true",
            });
        }
    });
});
