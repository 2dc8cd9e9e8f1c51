/** Config validation: each rule, with the message the operator sees. */
import * as assert from "node:assert";
import * as fc from "fast-check";
import { distance } from "fastest-levenshtein";
import { unknownKeyMessage } from "../components/config/fields";
import { ConfigError, type StackConfig, parseStackConfig } from "../components/config";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

function parse(agents: unknown, platform: unknown = testCluster.platform, isSecret = false): StackConfig {
    return parseStackConfig({ values: { agents, platform }, isSecret: () => isSecret, stackName: "test-cluster" });
}

function problemsOf(agents: unknown, platform: unknown = testCluster.platform, isSecret = false): string[] {
    try {
        parse(agents, platform, isSecret);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        return [...err.problems];
    }
    assert.fail("expected the config to be rejected");
}

function assertProblem(problems: string[], pattern: RegExp): void {
    assert.ok(
        problems.some((p) => pattern.test(p)),
        `no problem matches ${pattern}; got:\n${problems.join("\n")}`,
    );
}

describe("config validation", () => {
    it("accepts the test-cluster stack and applies the defaults", () => {
        const { agents, platform } = parse(testCluster.agents);
        assert.deepStrictEqual(
            agents.map((a) => a.name),
            ["devbot", "databot"],
        );
        const [devbot, databot] = agents;
        assert.strictEqual(devbot.namespace, "agent-devbot");
        assert.strictEqual(devbot.desktop.resolution, "1280x800");
        assert.strictEqual(devbot.storage.workspace, "20Gi");
        assert.strictEqual(devbot.storage.config, "5Gi");
        assert.strictEqual(devbot.storage.storageClass, "proxmox-csi");
        assert.strictEqual(devbot.storage.retainOnDelete, true);
        assert.deepStrictEqual(devbot.model, { provider: "Anthropic", name: "claude-sonnet-4-5" });
        assert.deepStrictEqual(devbot.secrets, { source: "vault" });
        assert.match(devbot.systemMessage, /\/home\/agent\/workspace/);
        assert.match(devbot.systemMessage, /take_screenshot/);
        assert.strictEqual(databot.desktop.enabled, false);
        assert.doesNotMatch(databot.systemMessage, /take_screenshot/, "a CLI agent is not told about a desktop");
        assert.strictEqual(databot.storage.workspace, "50Gi");
        assert.strictEqual(databot.credentials.harbor.enabled, false);
        assert.strictEqual(platform.vault.mount, "secret");
        assert.strictEqual(platform.images.tag, "test-cluster");
    });

    it("reports every problem at once, each with its path", () => {
        const problems = problemsOf([
            { name: "DevBot", storage: { workspace: "20GB" } },
            { name: "ok", desktop: { resolution: "huge" }, resources: { shell: { requests: { cpu: "lots" } } } },
        ]);
        assertProblem(problems, /^agents\[0\]\.name: "DevBot" is not a DNS-1123 label/);
        assertProblem(problems, /^agents\[0\]\.storage\.workspace: "20GB" is not a Kubernetes quantity, e\.g\. 20Gi$/);
        assertProblem(problems, /^agents\[1\]\.desktop\.resolution: "huge" is not WIDTHxHEIGHT, e\.g\. 1280x800$/);
        assertProblem(
            problems,
            /^agents\[1\]\.resources\.shell\.requests\.cpu: "lots" is not a Kubernetes CPU quantity/,
        );
        assert.strictEqual(problems.length, 4, problems.join("\n"));
    });

    it("requires a name and limits it to 40 characters", () => {
        assertProblem(
            problemsOf([{}]),
            /^agents\[0\]\.name: missing; pulumi config set --path 'agents\[0\]\.name' devbot$/,
        );
        assertProblem(
            problemsOf([{ name: "a".repeat(41) }]),
            /^agents\[0\]\.name: "a{41}" is 41 characters long; use at most 40$/,
        );
        assert.doesNotThrow(() => parse([{ name: "a".repeat(40) }]));
    });

    it("rejects duplicate names", () => {
        assertProblem(
            problemsOf([{ name: "devbot" }, { name: "devbot" }]),
            /^agents\[1\]\.name: "devbot" is already the name of agents\[0\]; agent names must be unique$/,
        );
    });

    it("rejects unknown keys, suggesting the likely one", () => {
        const problems = problemsOf([{ name: "devbot", desktp: { enabled: false }, storage: { workspce: "1Gi" } }]);
        assertProblem(problems, /^agents\[0\]\.desktp: unknown key; did you mean "desktop"\?/);
        assertProblem(problems, /^agents\[0\]\.storage\.workspce: unknown key; did you mean "workspace"\?/);
        const platform = { ...testCluster.platform, registy: "x" };
        assertProblem(
            problemsOf([{ name: "devbot" }], platform),
            /^platform\.registy: unknown key; did you mean "registry"\?/,
        );
    });

    it("suggests the nearest known key within two edits (fastest-levenshtein's distance, any case), else none", () => {
        const key = fc.stringMatching(/^[a-zA-Z]{1,8}$/);
        fc.assert(
            fc.property(key, fc.uniqueArray(key, { minLength: 1, maxLength: 6 }), (typed, known) => {
                const suggestion = /did you mean "([^"]*)"/.exec(unknownKeyMessage(typed, known))?.[1];
                const nearest = Math.min(...known.map((k) => distance(typed.toLowerCase(), k.toLowerCase())));
                if (nearest >= 3) {
                    assert.strictEqual(suggestion, undefined);
                } else {
                    assert.ok(suggestion !== undefined && known.includes(suggestion));
                    assert.strictEqual(distance(typed.toLowerCase(), suggestion.toLowerCase()), nearest);
                }
            }),
            { numRuns: 500 },
        );
    });

    it("checks quantities and that requests stay within limits", () => {
        assertProblem(
            problemsOf([{ name: "a", storage: { config: "5" } }]),
            /^agents\[0\]\.storage\.config: "5" is smaller than 1Mi/,
        );
        assertProblem(
            problemsOf([{ name: "a", resources: { shell: { requests: { memory: "8Gi" } } } }]),
            /^agents\[0\]\.resources\.shell\.requests\.memory: 8Gi is above the limit 4Gi; lower it or raise limits\.memory$/,
        );
        assert.doesNotThrow(() =>
            parse([{ name: "a", resources: { shell: { requests: { memory: "8Gi" }, limits: { memory: "16Gi" } } } }]),
        );
    });

    it("rejects desktop settings on a CLI-only agent", () => {
        const problems = problemsOf([
            {
                name: "a",
                desktop: { enabled: false, resolution: "1280x800" },
                resources: { desktop: { limits: { cpu: "1" } } },
            },
        ]);
        assertProblem(problems, /^agents\[0\]\.desktop\.resolution: is set but the desktop is disabled/);
        assertProblem(problems, /^agents\[0\]\.resources\.desktop: is set but the agent has no desktop/);
    });

    it("keeps the screen size within what screenshots can carry", () => {
        assertProblem(
            problemsOf([{ name: "a", desktop: { resolution: "7680x4320" } }]),
            /outside 640x480 to 3840x2160/,
        );
    });

    it("requires every secret when secrets come from stack config, naming the command that fixes it", () => {
        const problems = problemsOf(
            [{ name: "a", secrets: { source: "config", anthropicApiKey: "k" } }],
            undefined,
            true,
        );
        assertProblem(
            problems,
            /^agents\[0\]\.secrets\.giteaToken: missing \(Gitea token, secrets\.source is config\); set it with pulumi config set --secret --path 'agents\[0\]\.secrets\.giteaToken' <value>$/,
        );
        assertProblem(
            problems,
            /^agents\[0\]\.secrets\.harborPassword: missing .*pulumi config set --secret --path 'agents\[0\]\.secrets\.harborPassword'/,
        );
        assert.strictEqual(problems.length, 2, problems.join("\n"));
    });

    it("infers the config source from secret values and asks only for enabled credentials", () => {
        const [agent] = parse(
            [{ name: "a", credentials: { gitea: false, harbor: false }, secrets: { anthropicApiKey: "k" } }],
            undefined,
            true,
        ).agents;
        assert.deepStrictEqual(agent.secrets, {
            source: "config",
            modelApiKey: "k",
            giteaToken: undefined,
            harborPassword: undefined,
        });
    });

    it("refuses secret values written in plain text", () => {
        assertProblem(
            problemsOf(
                [{ name: "a", credentials: { gitea: false, harbor: false }, secrets: { anthropicApiKey: "k" } }],
                undefined,
                false,
            ),
            /^agents\[0\]\.secrets\.anthropicApiKey: is in plain text; set it with pulumi config set --secret --path 'agents\[0\]\.secrets\.anthropicApiKey' <value>$/,
        );
    });

    it("refuses secret values when the source is Vault, and keys of another provider", () => {
        assertProblem(
            problemsOf([{ name: "a", secrets: { source: "vault", giteaToken: "t" } }], undefined, true),
            /^agents\[0\]\.secrets\.giteaToken: is set but secrets\.source is vault/,
        );
        assertProblem(
            problemsOf(
                [{ name: "a", model: { provider: "OpenAI" }, secrets: { anthropicApiKey: "k" } }],
                undefined,
                true,
            ),
            /^agents\[0\]\.secrets\.anthropicApiKey: is for another model provider; the model provider is OpenAI, so set openaiApiKey$/,
        );
    });

    it("gives every agent its own namespace, away from the platform's", () => {
        assertProblem(
            problemsOf([
                { name: "a", namespace: "shared" },
                { name: "b", namespace: "shared" },
            ]),
            /^agents\[1\]\.namespace: "shared" is already the namespace of agents\[0\]/,
        );
        assertProblem(
            problemsOf([{ name: "a", namespace: "kagent" }]),
            /^agents\[0\]\.namespace: "kagent" is also platform\.kagentNamespace \(kagent's controller\); an agent's namespace holds that agent alone/,
        );
        assertProblem(
            problemsOf([{ name: "a", namespace: "kube-system" }]),
            /^agents\[0\]\.namespace: "kube-system" belongs to the cluster/,
        );
    });

    it("refuses an agent namespace the platform itself uses, naming both (issue 21)", () => {
        const platform = copy(testCluster.platform);
        platform.buildService = { enabled: true };
        platform.monitoring = { enabled: true, namespace: "observability", dashboard: { namespace: "grafana" } };
        platform.browserView = { host: "desktops.example.com", ingressNamespace: "traefik" };
        platform.network.dns = { namespace: "coredns" };
        const cases: [Record<string, unknown>, RegExp][] = [
            [
                { name: "a", namespace: "agent-builds" },
                /"agent-builds" is also platform\.buildService\.namespace \(the build service\)/,
            ],
            [{ name: "a", namespace: "observability" }, /"observability" is also platform\.monitoring\.namespace/],
            [{ name: "a", namespace: "grafana" }, /"grafana" is also platform\.monitoring\.dashboard\.namespace/],
            [{ name: "a", namespace: "coredns" }, /"coredns" is also platform\.network\.dns\.namespace/],
            [
                { name: "a", namespace: "traefik", desktop: { browserView: { enabled: true } } },
                /"traefik" is also platform\.browserView\.ingressNamespace \(the ingress controller\)/,
            ],
            // The default namespace of an agent named like the build service's: agent-<name>.
            [{ name: "builds" }, /^agents\[0\]\.namespace: "agent-builds" is also platform\.buildService\.namespace/],
        ];
        for (const [agent, pattern] of cases) {
            assertProblem(problemsOf([agent], platform), pattern);
        }
        // Unused by the platform, the same names are fine.
        const plain = copy(testCluster.platform);
        assert.doesNotThrow(() => parse([{ name: "builds" }, { name: "b", namespace: "observability" }], plain));
    });

    it("checks the platform settings", () => {
        const platform = copy(testCluster.platform);
        delete platform.registry;
        platform.giteaHost = "https://git.example.com";
        platform.vault.pathPrefix = "/agents/";
        platform.images = { shell: "registry.example.com/agents/shell:latest" };
        const problems = problemsOf([{ name: "a" }], platform);
        assertProblem(
            problems,
            /^platform\.registry: missing; pulumi config set --path platform\.registry registry\.example\.com$/,
        );
        assertProblem(problems, /^platform\.giteaHost: "https:\/\/git\.example\.com" is not a host name/);
        assertProblem(problems, /^platform\.vault\.pathPrefix: "\/agents\/" is not a Vault path/);
        assertProblem(problems, /^platform\.images\.shell: ".*:latest" is not an image reference pinned by digest/);
    });

    it("accepts values the way `pulumi config set --path` stores them (strings for booleans and numbers)", () => {
        const [agent] = parse([
            {
                name: "a",
                desktop: { enabled: "false" },
                rotation: { mcpToken: "2" },
                storage: { retainOnDelete: "false" },
            },
        ]).agents;
        assert.strictEqual(agent.desktop.enabled, false);
        assert.strictEqual(agent.rotation.mcpToken, 2);
        assert.strictEqual(agent.storage.retainOnDelete, false);
        assertProblem(
            problemsOf([{ name: "a", desktop: { enabled: "yes" } }]),
            /^agents\[0\]\.desktop\.enabled: "yes" is not true or false$/,
        );
    });
});
