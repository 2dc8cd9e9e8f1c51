/**
 * Issue 11, items 9-15: no config mistake reaches the cluster. Each case runs the whole program under
 * mocks, so it holds whatever part of the parser the rule lives in; a rejected config must register
 * nothing and name the path of every problem.
 */
import * as assert from "node:assert";
import * as yaml from "js-yaml";
import { ProgramError, type ProgramRun, runProgram } from "./harness/program";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

async function problemsOf(
    config: Record<string, unknown>,
    options: { secretKeys?: string[]; stackFile?: string } = {},
): Promise<string[]> {
    let failure: unknown;
    try {
        await runProgram({ config, ...options });
    } catch (err) {
        failure = err;
    }
    assert.ok(
        failure instanceof ProgramError,
        `expected the config to be rejected, got ${failure === undefined ? "success" : failure}`,
    );
    assert.strictEqual(failure.registered, 0, "resources were registered before the config was rejected");
    const problems = failure.message
        .split("\n")
        .filter((line) => line.startsWith("  - "))
        .map((line) => line.slice(4));
    assert.ok(problems.length > 0, `not a config error: ${failure.message}`);
    return problems;
}

function assertProblem(problems: string[], pattern: RegExp): void {
    assert.ok(
        problems.some((p) => pattern.test(p)),
        `no problem matches ${pattern}; got:\n${problems.join("\n")}`,
    );
}

function withAgents(agents: unknown[], platform: unknown = testCluster.platform): Record<string, unknown> {
    return { platform: copy(platform), agents };
}

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe("config hardening (issue 11, items 9-15)", () => {
    describe("9: every key under the project namespace is known; no agents needs an explicit opt-in", () => {
        it("rejects a misspelt top-level key instead of deploying zero agents", async () => {
            const problems = await problemsOf({ platform: testCluster.platform, agent: testCluster.agents });
            assertProblem(problems, /^agent: unknown key; did you mean "agents"\?/);
        });

        it("rejects an empty or missing agents list unless allowNoAgents is true", async () => {
            assertProblem(
                await problemsOf(withAgents([])),
                /^agents: is empty, which deletes every agent of the stack; .*allowNoAgents true/,
            );
            assertProblem(
                await problemsOf({ platform: testCluster.platform }),
                /^agents: missing, which deletes every agent of the stack/,
            );
            const run = await runProgram({
                config: { platform: testCluster.platform, agents: [], allowNoAgents: true },
            });
            assert.strictEqual(run.byType("persistent-agents:index:PersistentAgent").length, 0);
        });

        it("rejects allowNoAgents when agents are listed (it would hide a mistake later)", async () => {
            assertProblem(
                await problemsOf({ ...withAgents(testCluster.agents), allowNoAgents: true }),
                /^allowNoAgents: is true but 2 agents are listed; remove it/,
            );
        });
    });

    describe("10: plain-text secrets are found per value", () => {
        const agents = [
            { name: "devbot", credentials: { gitea: false, harbor: false }, secrets: { anthropicApiKey: "sk-secure" } },
            { name: "databot", credentials: { gitea: false, harbor: false }, secrets: { anthropicApiKey: "sk-plain" } },
        ];
        const stackFile = yaml.dump({
            config: {
                "persistent-agents:platform": testCluster.platform,
                "persistent-agents:agents": [
                    { ...agents[0], secrets: { anthropicApiKey: { secure: "v1:AAAABBBB" } } },
                    agents[1],
                ],
            },
        });

        it("rejects one agent's plain-text secret although another agent's is secure", async () => {
            const problems = await problemsOf(withAgents(agents), { secretKeys: ["agents"], stackFile });
            assertProblem(
                problems,
                /^agents\[1\]\.secrets\.anthropicApiKey: is in plain text in Pulumi\.test-cluster\.yaml; .*pulumi config set --secret --path 'agents\[1\]\.secrets\.anthropicApiKey'/,
            );
            assert.ok(!problems.some((p) => p.startsWith("agents[0]")), problems.join("\n"));
        });

        it("refuses platform.images.registryUsername without the registryPassword secret, and the reverse (issue 21)", async () => {
            const platform = { ...copy(testCluster.platform), images: { registryUsername: "robot$agents+ci" } };
            assertProblem(
                await problemsOf(withAgents(testCluster.agents, platform)),
                /^platform\.images\.registryUsername: is set but the secret registryPassword is not, so the pushes would use the ambient docker login instead; set it with pulumi config set --secret registryPassword/,
            );
            assertProblem(
                await problemsOf(
                    { ...withAgents(testCluster.agents), registryPassword: "hunter2" },
                    { secretKeys: ["registryPassword"] },
                ),
                /^registryPassword: is set but platform\.images\.registryUsername is not, so nothing uses it/,
            );
            const both = { ...withAgents(testCluster.agents, platform), registryPassword: "hunter2" };
            const run = await runProgram({ config: both, secretKeys: ["registryPassword"] });
            const [image] = run.byType("docker-build:index:Image");
            // The registries input is a secret (it holds the password): the user is inside it.
            assert.match(JSON.stringify(image.inputs.registries), /"username":"robot\$agents\+ci"/);
        });

        it("rejects a plain-text registryPassword", async () => {
            const platform = { ...copy(testCluster.platform), images: { registryUsername: "robot$agents+ci" } };
            const config = { ...withAgents(testCluster.agents, platform), registryPassword: "hunter2" };
            assertProblem(
                await problemsOf(config),
                /^registryPassword: is in plain text; set it with pulumi config set --secret registryPassword/,
            );
            await runProgram({ config, secretKeys: ["registryPassword"] });
        });
    });

    it("11: secrets in stack config while Vault writes are off is an error naming both keys", async () => {
        const platform = copy(testCluster.platform);
        platform.vault.writeSecrets = false;
        const problems = await problemsOf(
            withAgents(
                [{ name: "devbot", credentials: { gitea: false, harbor: false }, secrets: { anthropicApiKey: "k" } }],
                platform,
            ),
            { secretKeys: ["agents"] },
        );
        assertProblem(problems, /^agents\[0\]\.secrets: .*platform\.vault\.writeSecrets is false/);
    });

    describe("12: quantities are finite and within what the API server accepts", () => {
        it("rejects 1e400 and values above 2^63-1", async () => {
            const problems = await problemsOf(
                withAgents([
                    {
                        name: "devbot",
                        storage: { workspace: "1e400" },
                        resources: { shell: { limits: { memory: "8Ei" } }, kagent: { limits: { cpu: "1e16" } } },
                    },
                ]),
            );
            assertProblem(problems, /^agents\[0\]\.storage\.workspace: "1e400" is larger than/);
            assertProblem(problems, /^agents\[0\]\.resources\.shell\.limits\.memory: "8Ei" is larger than/);
            assertProblem(problems, /^agents\[0\]\.resources\.kagent\.limits\.cpu: "1e16" is larger than/);
        });

        it("rejects figures whose sum in the quota passes the bound, and renders finite figures at the boundary", async () => {
            assertProblem(
                await problemsOf(withAgents([{ name: "devbot", storage: { workspace: "8191Pi", config: "8191Pi" } }])),
                /^agents\[0\]\.storage: the claims add up to .* in the ResourceQuota, more than/,
            );
            const run = await runProgram({
                config: withAgents([{ name: "devbot", desktop: { enabled: false }, storage: { workspace: "8191Pi" } }]),
            });
            const quota = run.one("kubernetes:core/v1:ResourceQuota", "devbot-quota").inputs.spec.hard;
            assert.strictEqual(quota["requests.storage"], "8588886021Gi");
            for (const [key, value] of Object.entries(quota)) {
                assert.match(String(value), /^\d+(m|Ki|Mi|Gi|Ti|Pi|Ei)?$/, `${key}: ${value}`);
            }
        });
    });

    describe("13: every derived name follows the rule of its object kind", () => {
        it("rejects a leading digit, which kagent's Service and ours cannot carry", async () => {
            assertProblem(
                await problemsOf(withAgents([{ name: "1bot" }])),
                /^agents\[0\]\.name: "1bot" makes names the API server refuses: .*"1bot-computer" \(Service.*DNS-1035/,
            );
        });

        it("rejects a namespace prefix that makes the derived namespace invalid", async () => {
            const platform = { ...copy(testCluster.platform), namespacePrefix: "x-".repeat(12) };
            assertProblem(
                await problemsOf(withAgents([{ name: "a".repeat(40) }], platform)),
                /^agents\[0\]\.name: makes the namespace ".*" longer than 63 characters/,
            );
        });

        it("keeps every name valid for the longest agent name", async () => {
            const name = `a${"b".repeat(38)}c`;
            const run = await runProgram({ config: withAgents([{ name }]) });
            for (const object of run.kubernetesObjects) {
                const objectName: string = object.metadata.name;
                const rule =
                    object.kind === "Service"
                        ? DNS_1035_LABEL
                        : object.kind === "Namespace"
                          ? DNS_1123_LABEL
                          : DNS_1123_SUBDOMAIN;
                const limit = object.kind === "Service" || object.kind === "Namespace" ? 63 : 253;
                assert.ok(rule.test(objectName) && objectName.length <= limit, `${object.kind} ${objectName}`);
                for (const value of Object.values(object.metadata.labels ?? {}) as string[]) {
                    assert.ok(value.length <= 63, `label value ${value} of ${object.kind} ${objectName}`);
                }
            }
        });
    });

    it("14: Vault policy and role names are unique per mount, path prefix and agent", async () => {
        const names = async (pathPrefix: string, mount = "secret") => {
            const platform = copy(testCluster.platform);
            platform.vault.pathPrefix = pathPrefix;
            platform.vault.mount = mount;
            const run: ProgramRun = await runProgram({ config: withAgents([{ name: "devbot" }], platform) });
            const policy = run.one("vault:index/policy:Policy", "devbot-vault-policy").inputs.name;
            const role = run.one("vault:kubernetes/authBackendRole:AuthBackendRole", "devbot-vault-role").inputs;
            const store = run.one("kubernetes:external-secrets.io/v1:SecretStore", "devbot-vault").inputs;
            assert.strictEqual(
                store.spec.provider.vault.auth.kubernetes.role,
                role.roleName,
                "the store logs in with the role",
            );
            assert.deepStrictEqual(role.tokenPolicies, [policy]);
            return [policy, role.roleName];
        };
        const staging = await names("staging/agents");
        const prod = await names("prod/agents");
        const otherMount = await names("staging/agents", "kv");
        assert.notDeepStrictEqual(staging, prod);
        assert.notStrictEqual(staging[0], otherMount[0]);
        assert.notStrictEqual(staging[1], otherMount[1]);
    });

    describe("15: further gaps", () => {
        it("validates imageRepository as a registry path", async () => {
            for (const repository of ["Agents", "agents//x", "agents/", "-agents"]) {
                const platform = { ...copy(testCluster.platform), imageRepository: repository };
                assertProblem(
                    await problemsOf(withAgents(testCluster.agents, platform)),
                    /^platform\.imageRepository: .* is not a registry repository path/,
                );
            }
            await runProgram({
                config: withAgents(testCluster.agents, {
                    ...copy(testCluster.platform),
                    imageRepository: "team/agents_x",
                }),
            });
        });

        it("refuses ports above 65535 in hosts and URLs", async () => {
            const platform = copy(testCluster.platform);
            platform.registry = "registry.example.com:99999";
            platform.giteaHost = "git.example.com:0";
            platform.vault.address = "http://vault.vault:70000";
            const problems = await problemsOf(withAgents(testCluster.agents, platform));
            assertProblem(problems, /^platform\.registry: .*port from 1 to 65535/);
            assertProblem(problems, /^platform\.giteaHost: .*port from 1 to 65535/);
            assertProblem(problems, /^platform\.vault\.address: /);
        });

        it("refuses credentials in vault.address (they would be copied into every SecretStore)", async () => {
            const platform = copy(testCluster.platform);
            platform.vault.address = "http://root:s3cret@vault.vault:8200";
            assertProblem(
                await problemsOf(withAgents(testCluster.agents, platform)),
                /^platform\.vault\.address: .*user or password/,
            );
        });

        it("validates label keys and values", async () => {
            const platform = copy(testCluster.platform);
            platform.network.dns = { podLabels: { "bad key!": "kube-dns" } };
            platform.network.computerEgress.push({ namespace: "mirror", podLabels: { app: "a b" } });
            const problems = await problemsOf(withAgents(testCluster.agents, platform));
            assertProblem(problems, /^platform\.network\.dns\.podLabels\.bad key!: is not a label key/);
            assertProblem(
                problems,
                /^platform\.network\.computerEgress\[3\]\.podLabels\.app: "a b" is not a label value/,
            );
        });

        it("refuses an agent namespace that is an egress target or a viewer namespace", async () => {
            assertProblem(
                await problemsOf(withAgents([{ name: "devbot", namespace: "gitea" }])),
                /^agents\[0\]\.namespace: "gitea" is a namespace agents may reach \(platform\.network\.computerEgress\[1\]\.namespace\)/,
            );
            assertProblem(
                await problemsOf(
                    withAgents([
                        { name: "devbot" },
                        { name: "viewer", network: { agentEgress: [{ namespace: "agent-devbot" }] } },
                    ]),
                ),
                /^agents\[0\]\.namespace: "agent-devbot" is a namespace agents may reach \(agents\[1\]\.network\.agentEgress\[0\]\.namespace\)/,
            );
        });

        it("limits systemMessage to 32 KiB", async () => {
            assertProblem(
                await problemsOf(withAgents([{ name: "devbot", systemMessage: "x".repeat(1024 * 1024) }])),
                /^agents\[0\]\.systemMessage: is 1048576 bytes long; the limit is 32768/,
            );
            await runProgram({ config: withAgents([{ name: "devbot", systemMessage: "é".repeat(16 * 1024) }]) });
        });
    });
});
