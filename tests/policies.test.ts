/**
 * The CrossGuard policy pack (policies/): its rules run over what the test-cluster stack registers under
 * mocks, each shown failing on a deliberately bad resource, and the pack itself served over the analyzer
 * protocol the way `pulumi preview --policy-pack policies` starts it.
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { computerSelector, AGENT_LABEL as STACK_AGENT_LABEL } from "../components/contract/labels";
import { PORTS } from "../components/contract/pod";
import {
    claimsRetained,
    computerPodsWithoutServiceAccountToken,
    containerResources,
    mcpServicesCoveredByNetworkPolicy,
    noPrivilegedContainers,
    noRootContainers,
    noSecretLiteralsInEnv,
    policies,
} from "../policies/rules";
import { AGENT_LABEL, COMPUTER_POD_LABELS, MCP_PORTS, RETAIN_MARKER, SUDO_OPT_IN } from "../policies/rules/constants";
import { type ProgramRun, runProgram } from "./harness/program";
import { copy, stackConfig } from "./harness/stackFile";
import { POLICIES_DIR, RunningPack } from "./policies/analyzer";
import { type PolicyInput, type Violation, fromRegistered, kubernetesInput, runPolicy } from "./policies/drive";

const T = {
    deployment: "kubernetes:apps/v1:Deployment",
    cronJob: "kubernetes:batch/v1:CronJob",
    pod: "kubernetes:core/v1:Pod",
    service: "kubernetes:core/v1:Service",
    claim: "kubernetes:core/v1:PersistentVolumeClaim",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    agent: "kubernetes:kagent.dev/v1alpha2:Agent",
};

const EXPECTED_POLICIES: Record<string, string> = {
    "no-privileged-containers": "mandatory",
    "no-root-containers": "mandatory",
    "container-resources": "mandatory",
    "no-secret-literals-in-env": "mandatory",
    "mcp-services-network-policy": "mandatory",
    "pvcs-retained": "mandatory",
    "computer-pods-no-service-account-token": "advisory",
};

const messages = (violations: Violation[]) => violations.map((v) => v.message);
const describeViolations = (violations: Violation[]) =>
    violations.map((v) => `${v.policy} ${v.urn.split("::").pop()}: ${v.message}`).join("\n");

/** One registered resource of the run, as a policy input. */
function input(run: ProgramRun, type: string, name: string): PolicyInput {
    return fromRegistered(run.one(type, name));
}

/** A copy of `base` with its props changed by `change`. */
function variant(base: PolicyInput, change: (props: any) => void, overrides: Partial<PolicyInput> = {}): PolicyInput {
    const props = copy(base.props);
    change(props);
    return { ...base, ...overrides, props };
}

const container = (props: any, name: string) => {
    const found = props.spec.template.spec.containers.find((c: any) => c.name === name);
    assert.ok(found, `no container ${name}`);
    return found;
};

const testCluster = stackConfig("test-cluster");

describe("policy pack: definitions", () => {
    it("lists each policy once, mandatory except the advisory service-account-token rule", () => {
        const names = policies.map((p) => p.name);
        assert.deepStrictEqual([...names].sort(), Object.keys(EXPECTED_POLICIES).sort());
        assert.strictEqual(new Set(names).size, names.length);
        for (const policy of policies) {
            assert.strictEqual(policy.enforcementLevel, EXPECTED_POLICIES[policy.name], policy.name);
            assert.ok(policy.description.length > 20, `${policy.name} has a description`);
        }
    });

    it("takes the stack's labels and MCP ports from its contract (components/contract), not a copy", () => {
        assert.strictEqual(AGENT_LABEL, STACK_AGENT_LABEL);
        assert.deepStrictEqual(computerSelector("x"), { ...COMPUTER_POD_LABELS, [STACK_AGENT_LABEL]: "x" });
        assert.deepStrictEqual(MCP_PORTS, [
            { name: "computer-mcp", number: PORTS.computerControl },
            { name: "shell-mcp", number: PORTS.shell },
        ]);
        const constants = fs.readFileSync(path.join(POLICIES_DIR, "rules", "constants.ts"), "utf8");
        assert.doesNotMatch(constants, /"persistent-agents\.dev\//, "a label written out instead of imported");
    });

    it("constructs the PolicyPack only in policies/index.ts; rule modules import the SDK for types only", () => {
        const index = fs.readFileSync(path.join(POLICIES_DIR, "index.ts"), "utf8");
        assert.strictEqual(index.match(/new PolicyPack\(/g)?.length, 1);
        assert.match(index, /new PolicyPack\("persistent-agents", \{ policies \}\)/);
        const rules = path.join(POLICIES_DIR, "rules");
        for (const file of fs.readdirSync(rules).filter((f) => f.endsWith(".ts"))) {
            const text = fs.readFileSync(path.join(rules, file), "utf8");
            assert.ok(!/new PolicyPack\(/.test(text), `${file} constructs a PolicyPack`);
            for (const statement of text.match(/^(import|export)\b[^;]*from "@pulumi\/policy";/gm) ?? []) {
                assert.match(statement, /^(import|export) type /, `${file}: ${statement}`);
            }
        }
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8"));
        const root = JSON.parse(fs.readFileSync(path.join(POLICIES_DIR, "..", "package.json"), "utf8"));
        assert.strictEqual(pkg.dependencies["@pulumi/pulumi"], root.dependencies["@pulumi/pulumi"]);
        assert.match(pkg.dependencies["@pulumi/policy"], /^\d+\.\d+\.\d+$/, "@pulumi/policy is pinned exactly");
        assert.ok(pkg.version, "PolicyPack reads the version from package.json");
    });
});

describe("policy pack: the test-cluster stack", () => {
    let run: ProgramRun;
    let stack: PolicyInput[];
    before(async () => {
        run = await runProgram({ config: testCluster });
        stack = run.resources.map(fromRegistered);
    });

    it("has what the policies look at: workloads, MCP Services, claims", () => {
        assert.ok(stack.filter((r) => r.type === T.deployment).length >= 2);
        assert.ok(
            stack.some((r) => r.type === T.service && r.props.spec.ports.some((p: any) => p.port === PORTS.shell)),
        );
        assert.ok(stack.filter((r) => r.type === T.claim).length >= 4);
    });

    for (const policy of policies) {
        it(`passes ${policy.name}`, async () => {
            const violations = await runPolicy(policy, stack);
            assert.deepStrictEqual(violations, [], describeViolations(violations));
        });
    }

    it(`passes pvcs-retained as the engine shows claims (no retainOnDelete; ${RETAIN_MARKER} declares it)`, async () => {
        const violations = await runPolicy(claimsRetained, stack, "engine");
        assert.deepStrictEqual(violations, [], describeViolations(violations));
    });

    it(`passes pvcs-retained when the operator chose removable storage (${RETAIN_MARKER}: "false")`, async () => {
        const config = copy(testCluster);
        config.agents[1].storage = { ...config.agents[1].storage, retainOnDelete: false };
        const removable = (await runProgram({ config })).resources.map(fromRegistered);
        const claims = removable.filter((r) => r.type === T.claim && r.name.startsWith("databot-"));
        assert.strictEqual(claims.length, 2);
        assert.ok(claims.every((c) => !c.retainOnDelete));
        for (const view of ["withRetainOnDelete", "engine"] as const) {
            const violations = await runPolicy(claimsRetained, removable, view);
            assert.deepStrictEqual(violations, [], `${view}:\n${describeViolations(violations)}`);
        }
    });
});

describe("policy pack: each rule fails on a bad resource", () => {
    let run: ProgramRun;
    let devbot: PolicyInput;
    let databot: PolicyInput;
    before(async () => {
        run = await runProgram({ config: testCluster });
        devbot = input(run, T.deployment, "devbot-computer");
        databot = input(run, T.deployment, "databot-computer");
    });

    async function expectMessages(
        policy: Parameters<typeof runPolicy>[0],
        inputs: PolicyInput[],
        expected: string[],
    ): Promise<Violation[]> {
        const violations = await runPolicy(policy, inputs);
        assert.deepStrictEqual(messages(violations), expected);
        for (const v of violations) {
            assert.ok(
                inputs.some((i) => i.urn === v.urn),
                `violation on an unknown URN ${v.urn}`,
            );
        }
        return violations;
    }

    describe("no-privileged-containers", () => {
        const escalation = (label: string) =>
            `${label} allows privilege escalation: set allowPrivilegeEscalation: false (or opt the pod into sudo with ${SUDO_OPT_IN}: "true")`;
        const noDrop = (label: string) => `${label} does not drop all capabilities: set capabilities.drop: ["ALL"]`;

        it("reports a privileged container", async () => {
            const bad = variant(devbot, (p) => {
                container(p, "shell").securityContext.privileged = true;
            });
            const [violation] = await expectMessages(
                noPrivilegedContainers,
                [bad],
                [`container "shell" is privileged`],
            );
            assert.strictEqual(violation.urn, devbot.urn);
        });

        it("reports privilege escalation, unless the pod opts into sudo by label or annotation", async () => {
            const escalate = (p: any) => {
                container(p, "shell").securityContext.allowPrivilegeEscalation = true;
            };
            await expectMessages(
                noPrivilegedContainers,
                [variant(devbot, escalate)],
                [escalation(`container "shell"`)],
            );
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        escalate(p);
                        delete container(p, "desktop").securityContext.allowPrivilegeEscalation;
                    }),
                ],
                [escalation(`container "desktop"`), escalation(`container "shell"`)],
            );
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        escalate(p);
                        p.spec.template.metadata.labels[SUDO_OPT_IN] = "true";
                    }),
                ],
                [],
            );
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        escalate(p);
                        p.spec.template.metadata.annotations = { [SUDO_OPT_IN]: "true" };
                    }),
                ],
                [],
            );
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        escalate(p);
                        p.spec.template.metadata.labels[SUDO_OPT_IN] = "yes";
                    }),
                ],
                [escalation(`container "shell"`)],
            );
            // On the Deployment rather than the pod, the opt-in does not count.
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        escalate(p);
                        p.metadata.labels[SUDO_OPT_IN] = "true";
                    }),
                ],
                [escalation(`container "shell"`)],
            );
        });

        it("reports capabilities not dropped, or added (sudo pods may add only harmless ones)", async () => {
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        delete container(p, "computer-control").securityContext.capabilities;
                    }),
                ],
                [noDrop(`container "computer-control"`)],
            );
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        container(p, "shell").securityContext.capabilities.drop = ["NET_RAW"];
                    }),
                ],
                [noDrop(`container "shell"`)],
            );
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        container(p, "shell").securityContext.capabilities.add = ["NET_RAW"];
                    }),
                ],
                [`container "shell" adds capabilities NET_RAW`],
            );
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(devbot, (p) => {
                        p.spec.template.metadata.labels[SUDO_OPT_IN] = "true";
                        container(p, "shell").securityContext.capabilities.add = ["SETUID", "SETGID", "CAP_SYS_ADMIN"];
                    }),
                ],
                [`container "shell" adds capabilities SYS_ADMIN`],
            );
        });

        it("reports host namespaces and host paths", async () => {
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(databot, (p) => {
                        p.spec.template.spec.hostNetwork = true;
                        p.spec.template.spec.hostPID = true;
                    }),
                ],
                [
                    `pod shares the host's namespaces (hostNetwork: true)`,
                    `pod shares the host's namespaces (hostPID: true)`,
                ],
            );
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(databot, (p) => {
                        p.spec.template.spec.volumes.push({
                            name: "docker",
                            hostPath: { path: "/var/run/docker.sock" },
                        });
                    }),
                ],
                [`pod mounts the host path /var/run/docker.sock (volume "docker")`],
            );
        });

        it("checks init containers, bare Pods and CronJobs too", async () => {
            await expectMessages(
                noPrivilegedContainers,
                [
                    variant(databot, (p) => {
                        p.spec.template.spec.initContainers = [{ name: "setup", image: "busybox" }];
                    }),
                ],
                [escalation(`init container "setup"`), noDrop(`init container "setup"`)],
            );
            const podSpec = {
                containers: [
                    {
                        name: "rogue",
                        image: "busybox",
                        securityContext: {
                            privileged: true,
                            allowPrivilegeEscalation: false,
                            capabilities: { drop: ["ALL"] },
                        },
                    },
                ],
            };
            const pod = kubernetesInput(T.pod, "rogue-pod", {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "rogue", namespace: "agent-rogue" },
                spec: podSpec,
            });
            const cronJob = kubernetesInput(T.cronJob, "rogue-cron", {
                apiVersion: "batch/v1",
                kind: "CronJob",
                metadata: { name: "rogue", namespace: "agent-rogue" },
                spec: { schedule: "@daily", jobTemplate: { spec: { template: { spec: podSpec } } } },
            });
            await expectMessages(
                noPrivilegedContainers,
                [pod, cronJob],
                [`container "rogue" is privileged`, `container "rogue" is privileged`],
            );
        });
    });

    describe("no-root-containers", () => {
        it("reports runAsUser 0 at container or pod level", async () => {
            await expectMessages(
                noRootContainers,
                [
                    variant(devbot, (p) => {
                        container(p, "shell").securityContext.runAsUser = 0;
                    }),
                ],
                [`container "shell" runs as root (runAsUser: 0)`],
            );
            await expectMessages(
                noRootContainers,
                [
                    variant(databot, (p) => {
                        p.spec.template.spec.securityContext.runAsUser = 0;
                        delete container(p, "shell").securityContext.runAsUser;
                    }),
                ],
                [`container "shell" runs as root (runAsUser: 0)`],
            );
        });

        it("reports a container that may run as root, and accepts runAsNonRoot alone", async () => {
            const noUser = (p: any) => {
                delete p.spec.template.spec.securityContext.runAsUser;
                delete p.spec.template.spec.securityContext.runAsNonRoot;
                delete container(p, "shell").securityContext.runAsUser;
                delete container(p, "shell").securityContext.runAsNonRoot;
            };
            await expectMessages(
                noRootContainers,
                [variant(databot, noUser)],
                [`container "shell" may run as root: set runAsNonRoot: true or a non-zero runAsUser`],
            );
            await expectMessages(
                noRootContainers,
                [
                    variant(databot, (p) => {
                        noUser(p);
                        p.spec.template.spec.securityContext.runAsNonRoot = true;
                    }),
                ],
                [],
            );
            await expectMessages(
                noRootContainers,
                [
                    variant(databot, (p) => {
                        noUser(p);
                        container(p, "shell").securityContext.runAsNonRoot = false;
                        p.spec.template.spec.securityContext.runAsNonRoot = true;
                    }),
                ],
                [`container "shell" may run as root: set runAsNonRoot: true or a non-zero runAsUser`],
            );
        });
    });

    describe("container-resources", () => {
        it("reports missing limits, and every missing figure", async () => {
            await expectMessages(
                containerResources,
                [
                    variant(devbot, (p) => {
                        delete container(p, "shell").resources.limits;
                    }),
                ],
                [`container "shell" does not set resources limits.cpu, limits.memory`],
            );
            await expectMessages(
                containerResources,
                [
                    variant(devbot, (p) => {
                        delete container(p, "desktop").resources;
                        delete container(p, "shell").resources.requests.memory;
                    }),
                ],
                [
                    `container "desktop" does not set resources requests.cpu, requests.memory, limits.cpu, limits.memory`,
                    `container "shell" does not set resources requests.memory`,
                ],
            );
        });
    });

    describe("no-secret-literals-in-env", () => {
        const literal = (label: string, name: string) =>
            `${label} sets ${name} to a literal value: take it from a Secret (valueFrom.secretKeyRef or a mounted file)`;
        const key = "sk-ant-api03-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz";

        it("reports a secret-named variable with a literal value, and never echoes the value", async () => {
            const violations = await expectMessages(
                noSecretLiteralsInEnv,
                [
                    variant(devbot, (p) => {
                        container(p, "shell").env.push({ name: "API_KEY", value: key });
                    }),
                ],
                [literal(`container "shell"`, "API_KEY")],
            );
            assert.ok(!violations[0].message.includes(key.slice(3)));
            for (const name of [
                "DB_PASSWORD",
                "GITEA_TOKEN",
                "client_secret",
                "AWS_CREDENTIALS",
                "APIKEY",
                "SSH_PRIVATE_KEY",
            ]) {
                await expectMessages(
                    noSecretLiteralsInEnv,
                    [
                        variant(databot, (p) => {
                            container(p, "shell").env.push({ name, value: "hunter2" });
                        }),
                    ],
                    [literal(`container "shell"`, name)],
                );
            }
        });

        it("accepts valueFrom, empty values and *_FILE paths (the stack's own), but not a key in a *_FILE variable", async () => {
            await expectMessages(
                noSecretLiteralsInEnv,
                [
                    variant(devbot, (p) => {
                        container(p, "shell").env.push(
                            {
                                name: "API_KEY",
                                valueFrom: { secretKeyRef: { name: "devbot-credentials", key: "api-key" } },
                            },
                            { name: "OPTIONAL_TOKEN", value: "" },
                        );
                    }),
                ],
                [],
            );
            await expectMessages(
                noSecretLiteralsInEnv,
                [
                    variant(devbot, (p) => {
                        container(p, "shell").env.push({ name: "GITHUB_TOKEN_FILE", value: `ghp_${"a".repeat(36)}` });
                    }),
                ],
                [literal(`container "shell"`, "GITHUB_TOKEN_FILE")],
            );
            await expectMessages(
                noSecretLiteralsInEnv,
                [
                    variant(devbot, (p) => {
                        container(p, "shell").env.push({ name: "VNC_PASSWORD_FILE", value: "hunter2" });
                    }),
                ],
                [literal(`container "shell"`, "VNC_PASSWORD_FILE")],
            );
        });

        it("reports a credential-shaped literal under any name", async () => {
            await expectMessages(
                noSecretLiteralsInEnv,
                [
                    variant(devbot, (p) => {
                        container(p, "computer-control").env.push({ name: "MODEL_SETTINGS", value: `--key=${key}` });
                    }),
                ],
                [
                    `container "computer-control" sets MODEL_SETTINGS to a literal that looks like an API key (sk-…): take it from a Secret`,
                ],
            );
            await expectMessages(
                noSecretLiteralsInEnv,
                [
                    variant(databot, (p) => {
                        container(p, "shell").env.push({ name: "AWS_ID", value: "AKIAIOSFODNN7EXAMPLE" });
                    }),
                ],
                [
                    `container "shell" sets AWS_ID to a literal that looks like an AWS access key id: take it from a Secret`,
                ],
            );
        });

        it("checks a kagent Agent's own pod (spec.declarative.deployment.env)", async () => {
            const agent = input(run, T.agent, "devbot-agent");
            await expectMessages(noSecretLiteralsInEnv, [agent], []);
            await expectMessages(
                noSecretLiteralsInEnv,
                [
                    variant(agent, (p) => {
                        p.spec.declarative.deployment.env = [{ name: "ANTHROPIC_API_KEY", value: key }];
                    }),
                ],
                [literal("kagent agent container", "ANTHROPIC_API_KEY")],
            );
        });
    });

    describe("mcp-services-network-policy", () => {
        const selector = { "app.kubernetes.io/name": "rogue", "app.kubernetes.io/component": "computer" };
        const rogueService = (
            ports: any[] = [{ name: "shell-mcp", port: 8081, targetPort: "shell-mcp", protocol: "TCP" }],
        ) =>
            kubernetesInput(T.service, "rogue-computer", {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "rogue-computer", namespace: "agent-rogue" },
                spec: { type: "ClusterIP", selector, ports },
            });
        const fromKagent = [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kagent" } } }];
        const networkPolicy = (spec: any, namespace = "agent-rogue") =>
            kubernetesInput(T.networkPolicy, `rogue-np-${JSON.stringify(spec).length}`, {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name: "rogue-mcp", namespace },
                spec,
            });
        const good = {
            podSelector: { matchLabels: selector },
            policyTypes: ["Ingress"],
            ingress: [{ from: fromKagent, ports: [{ port: "shell-mcp", protocol: "TCP" }] }],
        };
        const uncovered = `Service agent-rogue/rogue-computer exposes MCP port 8081 (shell-mcp) but no NetworkPolicy selects its pods`;
        const unlisted = `Service agent-rogue/rogue-computer exposes MCP port 8081 (shell-mcp) but no NetworkPolicy selecting its pods lists that port`;
        let stack: PolicyInput[];
        before(() => {
            stack = run.resources.map(fromRegistered);
        });

        /** Messages about the rogue Service only, whatever the rest of the stack holds. */
        async function rogue(...extra: PolicyInput[]): Promise<string[]> {
            const service = extra.find((r) => r.type === T.service) ?? rogueService();
            const violations = await runPolicy(mcpServicesCoveredByNetworkPolicy, [
                ...stack,
                service,
                ...extra.filter((r) => r !== service),
            ]);
            return messages(violations.filter((v) => v.urn === service.urn));
        }

        it("reports a Service on 8081 with no NetworkPolicy", async () => {
            assert.deepStrictEqual(await rogue(), [uncovered]);
            assert.deepStrictEqual(await rogue(rogueService([{ port: 8081, targetPort: 9000 }])), [
                `Service agent-rogue/rogue-computer exposes MCP port 8081 but no NetworkPolicy selects its pods`,
            ]);
            assert.deepStrictEqual(
                await rogue(
                    rogueService([
                        { name: "http", port: 80, targetPort: 8080 },
                        { name: "metrics", port: 9090 },
                    ]),
                ),
                [`Service agent-rogue/rogue-computer exposes MCP port 80 (http) but no NetworkPolicy selects its pods`],
            );
        });

        it("accepts a NetworkPolicy that selects the pods and lists the port by name, number or range", async () => {
            assert.deepStrictEqual(await rogue(networkPolicy(good)), []);
            assert.deepStrictEqual(
                await rogue(networkPolicy({ ...good, ingress: [{ from: fromKagent, ports: [{ port: 8081 }] }] })),
                [],
            );
            assert.deepStrictEqual(
                await rogue(
                    networkPolicy({ ...good, ingress: [{ from: fromKagent, ports: [{ port: 8000, endPort: 8090 }] }] }),
                ),
                [],
            );
            assert.deepStrictEqual(
                await rogue(
                    networkPolicy({
                        ...good,
                        policyTypes: undefined,
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "rogue" } },
                    }),
                ),
                [],
            );
            assert.deepStrictEqual(
                await rogue(
                    networkPolicy({
                        ...good,
                        podSelector: {
                            matchExpressions: [
                                { key: "app.kubernetes.io/name", operator: "In", values: ["rogue", "other"] },
                            ],
                        },
                    }),
                ),
                [],
            );
            assert.deepStrictEqual(await rogue(networkPolicy({ ...good, podSelector: {} })), []);
        });

        it("does not count a NetworkPolicy elsewhere, for other pods, for egress only or on another protocol", async () => {
            assert.deepStrictEqual(await rogue(networkPolicy(good, "agent-devbot")), [uncovered]);
            assert.deepStrictEqual(
                await rogue(networkPolicy({ ...good, podSelector: { matchLabels: { ...selector, extra: "label" } } })),
                [uncovered],
            );
            assert.deepStrictEqual(
                await rogue(
                    networkPolicy({
                        ...good,
                        podSelector: { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] },
                    }),
                ),
                [uncovered],
            );
            assert.deepStrictEqual(await rogue(networkPolicy({ ...good, policyTypes: ["Egress"] })), [uncovered]);
            assert.deepStrictEqual(
                await rogue(
                    networkPolicy({
                        ...good,
                        ingress: [{ from: fromKagent, ports: [{ port: 8081, protocol: "UDP" }] }],
                    }),
                ),
                [unlisted],
            );
        });

        it("reports a NetworkPolicy that does not list the port, lists every port, or admits any source", async () => {
            assert.deepStrictEqual(
                await rogue(networkPolicy({ ...good, ingress: [{ from: fromKagent, ports: [{ port: 5900 }] }] })),
                [unlisted],
            );
            assert.deepStrictEqual(await rogue(networkPolicy({ ...good, ingress: [] })), [unlisted]);
            assert.deepStrictEqual(
                await rogue(networkPolicy({ ...good, ingress: [...good.ingress, { from: fromKagent }] })),
                [
                    `NetworkPolicy agent-rogue/rogue-mcp admits ingress to every port of agent-rogue/rogue-computer's pods (an ingress rule without ports), MCP port 8081 (shell-mcp) included`,
                ],
            );
            assert.deepStrictEqual(await rogue(networkPolicy({ ...good, ingress: [{ ports: [{ port: 8081 }] }] })), [
                `NetworkPolicy agent-rogue/rogue-mcp admits MCP port 8081 (shell-mcp) of agent-rogue/rogue-computer from any source (an ingress rule without from)`,
            ]);
        });

        it("reports a Service exposing MCP ports without a selector", async () => {
            const bare = rogueService([
                { name: "computer-mcp", port: 8080 },
                { name: "shell-mcp", port: 8081 },
            ]);
            delete bare.props.spec.selector;
            assert.deepStrictEqual(await rogue(bare, networkPolicy(good)), [
                `Service agent-rogue/rogue-computer exposes MCP ports 8080 (computer-mcp), 8081 (shell-mcp) without a pod selector: no NetworkPolicy can be shown to cover it`,
            ]);
        });

        it("reports the stack's own MCP Service once its NetworkPolicy is gone", async () => {
            const withoutPolicies = stack.filter((r) => r.type !== T.networkPolicy);
            const service = input(run, T.service, "devbot-computer");
            const violations = (await runPolicy(mcpServicesCoveredByNetworkPolicy, withoutPolicies)).filter(
                (v) => v.urn === service.urn,
            );
            assert.deepStrictEqual(messages(violations), [
                `Service agent-devbot/devbot-computer exposes MCP port 8080 (computer-mcp) but no NetworkPolicy selects its pods`,
                `Service agent-devbot/devbot-computer exposes MCP port 8081 (shell-mcp) but no NetworkPolicy selects its pods`,
            ]);
        });
    });

    describe("pvcs-retained", () => {
        const deleted = `PersistentVolumeClaim agent-devbot/devbot-workspace would be deleted with the stack: set retainOnDelete (and ${RETAIN_MARKER}: "true"), or ${RETAIN_MARKER}: "false" if the operator chose removable storage`;
        let claim: PolicyInput;
        before(() => {
            claim = input(run, T.claim, "devbot-workspace");
        });
        const marked =
            (value: string, where: "labels" | "annotations" = "annotations") =>
            (p: any) => {
                p.metadata[where] = { ...p.metadata[where], [RETAIN_MARKER]: value };
            };
        const unmarked = (p: any) => {
            delete p.metadata.labels?.[RETAIN_MARKER];
            delete p.metadata.annotations?.[RETAIN_MARKER];
        };

        it("reports a claim without retainOnDelete", async () => {
            await expectMessages(claimsRetained, [variant(claim, unmarked, { retainOnDelete: false })], [deleted]);
        });

        it("accepts protect, and the operator's opt-out as a label or an annotation", async () => {
            await expectMessages(
                claimsRetained,
                [variant(claim, unmarked, { retainOnDelete: false, protect: true })],
                [],
            );
            await expectMessages(claimsRetained, [variant(claim, marked("false"), { retainOnDelete: false })], []);
            await expectMessages(
                claimsRetained,
                [variant(claim, marked("false", "labels"), { retainOnDelete: false })],
                [],
            );
        });

        it(`reports a claim marked ${RETAIN_MARKER}: "true" that is not retainOnDelete`, async () => {
            await expectMessages(
                claimsRetained,
                [variant(claim, marked("true"), { retainOnDelete: false })],
                [
                    `PersistentVolumeClaim agent-devbot/devbot-workspace is marked ${RETAIN_MARKER}: "true" but is not retainOnDelete`,
                ],
            );
        });

        it("as the engine shows it (no retainOnDelete), needs the marker", async () => {
            const violations = await runPolicy(
                claimsRetained,
                [variant(claim, unmarked, { retainOnDelete: true })],
                "engine",
            );
            assert.deepStrictEqual(messages(violations), [deleted]);
            assert.deepStrictEqual(
                await runPolicy(claimsRetained, [variant(claim, marked("true"), { retainOnDelete: true })], "engine"),
                [],
            );
        });
    });

    describe("computer-pods-no-service-account-token", () => {
        const mounted = "agent computer pod mounts a service account token: set automountServiceAccountToken: false";
        it("reports an agent computer pod that mounts a token, and ignores other pods", async () => {
            await expectMessages(
                computerPodsWithoutServiceAccountToken,
                [
                    variant(devbot, (p) => {
                        p.spec.template.spec.automountServiceAccountToken = true;
                    }),
                ],
                [mounted],
            );
            await expectMessages(
                computerPodsWithoutServiceAccountToken,
                [
                    variant(databot, (p) => {
                        delete p.spec.template.spec.automountServiceAccountToken;
                    }),
                ],
                [mounted],
            );
            await expectMessages(
                computerPodsWithoutServiceAccountToken,
                [
                    variant(databot, (p) => {
                        delete p.spec.template.spec.automountServiceAccountToken;
                        p.spec.template.metadata.labels["app.kubernetes.io/component"] = "exporter";
                    }),
                ],
                [],
            );
        });
    });
});

describe("policy pack: served over the analyzer protocol (as pulumi preview --policy-pack starts it)", function () {
    this.timeout(180_000);
    let pack: RunningPack;
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config: testCluster });
        pack = await RunningPack.start();
    });
    after(() => pack?.stop());

    it("describes every policy with its enforcement level", async () => {
        const info = await pack.info();
        assert.strictEqual(info.name, "persistent-agents");
        assert.strictEqual(
            info.version,
            JSON.parse(fs.readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8")).version,
        );
        assert.deepStrictEqual(
            Object.fromEntries(info.policies.map((p) => [p.name, p.enforcementLevel])),
            EXPECTED_POLICIES,
        );
    });

    it("passes the real computer Deployment and rejects a privileged one", async () => {
        const devbot = input(run, T.deployment, "devbot-computer");
        assert.deepStrictEqual(await pack.analyze(devbot), []);
        const bad = variant(devbot, (p) => {
            container(p, "shell").securityContext.privileged = true;
        });
        // The SDK puts the policy's description before the message; the engine attaches the resource's URN.
        assert.deepStrictEqual(await pack.analyze(bad), [
            {
                policyName: "no-privileged-containers",
                policyPackName: "persistent-agents",
                message: `${noPrivilegedContainers.description}\ncontainer "shell" is privileged`,
                urn: "",
                enforcementLevel: "mandatory",
            },
        ]);
    });

    it("reports an MCP Service without a NetworkPolicy from the stack analysis", async () => {
        const service = kubernetesInput(T.service, "rogue-computer", {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "rogue-computer", namespace: "agent-rogue" },
            spec: { selector: { app: "rogue" }, ports: [{ name: "shell-mcp", port: 8081, targetPort: "shell-mcp" }] },
        });
        const diagnostics = await pack.analyzeStack([service]);
        assert.deepStrictEqual(
            diagnostics.map((d) => [d.policyName, d.urn, d.message]),
            [
                [
                    "mcp-services-network-policy",
                    service.urn,
                    `${mcpServicesCoveredByNetworkPolicy.description}\nService agent-rogue/rogue-computer exposes MCP port 8081 (shell-mcp) but no NetworkPolicy selects its pods`,
                ],
            ],
        );
    });

    it(`cannot tell a policy about retainOnDelete, so a claim needs ${RETAIN_MARKER}`, async () => {
        assert.ok(
            !pack.optionFields().some((f) => /retain/i.test(f)),
            `AnalyzerResourceOptions now has ${pack.optionFields().join(", ")}: read retainOnDelete in policies/rules/storage.ts`,
        );
        const claim = input(run, T.claim, "devbot-workspace");
        const unmarked = variant(claim, (p) => {
            delete p.metadata.annotations?.[RETAIN_MARKER];
            delete p.metadata.labels?.[RETAIN_MARKER];
        });
        assert.deepStrictEqual(
            (await pack.analyze(unmarked)).map((d) => d.policyName),
            ["pvcs-retained"],
        );
        const marked = variant(claim, (p) => {
            p.metadata.annotations = { [RETAIN_MARKER]: "true" };
        });
        assert.deepStrictEqual(await pack.analyze(marked), []);
    });
});
