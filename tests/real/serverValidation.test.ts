/**
 * Every Kubernetes object of every committed stack, as the program registers it (run under Pulumi mocks by
 * tests/harness), passes server-side dry-run on the real kube-apiserver with the upstream CRDs installed;
 * wrong objects are rejected by that server with an error naming the field.
 *
 * The test-cluster stack is validated here by dry-run only, not by `pulumi up`: it uses the random and vault
 * providers, which cannot be built from the Go module proxy (docs/benchmarks.md, issue 9).
 */
import * as assert from "node:assert";
import { after, before, describe, it } from "node:test";
import { renderedSamples } from "../harness/configProperty";
import { runProgram } from "../harness/program";
import { copy, stackConfig } from "../harness/stackFile";
import { describeObject, dryRunApply, getObject, kubectl, unwrapSecrets } from "./kube";
import * as samples from "./samples";

/** The pinned API versions of the custom resources (FACTS.md); the server still serves others. */
const PINNED_GROUPS: Record<string, string> = { "kagent.dev": "v1alpha2", "external-secrets.io": "v1" };

const variants: Record<string, () => { stack: string; config: Record<string, any> }> = {
    "the local stack": () => ({ stack: "local", config: stackConfig("local") }),
    "the test-cluster stack": () => ({ stack: "test-cluster", config: stackConfig("test-cluster") }),
    "a CLI-only agent without credentials": () => {
        const config = copy(stackConfig("test-cluster"));
        config.agents = [{ name: "clibot", desktop: { enabled: false }, credentials: { gitea: false, harbor: false } }];
        return { stack: "test-cluster", config };
    },
    "an agent with secrets from stack config and every override": () => {
        const config = copy(stackConfig("test-cluster"));
        config.agents = [
            {
                name: "fullbot",
                namespace: "team-fullbot",
                model: { provider: "OpenAI", name: "gpt-5", maxTokens: 4096 },
                desktop: { resolution: "1920x1080" },
                storage: { workspace: "100Gi", config: "1Gi", storageClass: "fast-ssd" },
                resources: { desktop: { limits: { memory: "8Gi" } }, kagent: { requests: { cpu: "200m" } } },
                credentials: { gitea: { username: "fullbot-ci" }, harbor: { username: "robot$agents+fullbot" } },
                secrets: { openaiApiKey: "sk-x", giteaToken: "g", harborPassword: "h" },
            },
        ];
        return { stack: "test-cluster", config };
    },
};

/** Namespaces this file created for real (dry-run objects need theirs to exist); deleted at the end. */
const created = new Set<string>();

function ensureNamespace(name: string): void {
    if (created.has(name) || getObject("namespace", name)) {
        return;
    }
    const result = kubectl(["create", "namespace", name]);
    assert.strictEqual(result.status, 0, result.stderr);
    created.add(name);
}

/** Dry-runs the objects in one kubectl call; returns the server's refusals, one line per object. */
function refusals(objects: any[]): string[] {
    const namespaces = new Set(
        objects.map((o) => (o.kind === "Namespace" ? o.metadata.name : o.metadata?.namespace)).filter(Boolean),
    );
    namespaces.forEach(ensureNamespace);
    // A stream of documents, not a v1 List: kubectl validates a List on the client instead of the server.
    const result = dryRunApply(objects);
    const refused = result.stderr.split("\n").filter((line) => line.trim().length > 0);
    assert.ok(result.status === 0 || refused.length > 0, `kubectl failed without saying why (exit ${result.status})`);
    const accepted = result.stdout.split("\n").filter((line) => /serverside-applied \(server dry run\)$/.test(line));
    assert.ok(
        refused.length > 0 || accepted.length === objects.length,
        `the server dry-ran ${accepted.length} of ${objects.length} objects:\n${result.stdout}`,
    );
    return refused;
}

/** The server refuses this object, and its message names `field` and says `why`. */
function assertRejected(object: any, field: string | RegExp, why: RegExp): void {
    ensureNamespace(object.metadata?.namespace ?? "agent-devbot");
    const result = dryRunApply(object);
    assert.notStrictEqual(
        result.status,
        0,
        `the API server accepted ${describeObject(object)}, expected a rejection of ${field}`,
    );
    const named = typeof field === "string" ? result.stderr.includes(field) : field.test(result.stderr);
    assert.ok(named, `the rejection should name ${field}:\n${result.stderr}`);
    assert.match(result.stderr, why);
}

const mutate = <T>(object: T, change: (o: any) => void): T => {
    change(object);
    return object;
};

after(() => {
    if (created.size > 0) {
        // The lifecycle tests that follow start from a cluster without agent namespaces.
        const result = kubectl(["delete", "namespace", ...created, "--wait=true", "--timeout=120s"]);
        assert.strictEqual(result.status, 0, result.stderr);
    }
});

describe("server-side dry-run of every object of every committed stack", () => {
    for (const [title, variant] of Object.entries(variants)) {
        it(`the API server accepts every object of ${title}`, async () => {
            const { stack, config } = variant();
            const run = await runProgram({ config, stack, secretKeys: ["agents"] });
            const objects = run.kubernetesObjects.map(unwrapSecrets);
            assert.ok(objects.length >= 9, `only ${objects.length} objects`);
            assert.deepStrictEqual(refusals(objects), []);
            for (const object of objects) {
                const group = object.apiVersion.split("/")[0];
                if (group in PINNED_GROUPS) {
                    assert.strictEqual(object.apiVersion, `${group}/${PINNED_GROUPS[group]}`, describeObject(object));
                }
            }
        });
    }
});

// The property test's other half (issue 11): random configs the parser accepts (tests/harness/configProperty.ts)
// render objects the real API server accepts. FC_SEED explores other samples.
describe("server-side dry-run of the objects of random accepted configs", () => {
    const seed = Number(process.env.FC_SEED ?? 1);
    it(`the API server accepts every object of 8 random accepted configs (seed ${seed})`, async () => {
        const rendered = await renderedSamples(8, seed);
        assert.strictEqual(rendered.length, 8, "the generator yields 8 accepted configs within 32 tries");
        for (const { config, objects } of rendered) {
            assert.deepStrictEqual(refusals(objects.map(unwrapSecrets)), [], JSON.stringify(config));
        }
    });
});

describe("the API server rejects wrong objects, naming the field", () => {
    before(() => ensureNamespace("agent-devbot"));

    it("accepts the samples the rejections below start from", () => {
        assert.deepStrictEqual(
            refusals([
                samples.deployment(),
                samples.networkPolicy(),
                samples.service(),
                samples.agent(),
                samples.remoteMcpServer(),
                samples.modelConfig(),
                samples.externalSecret(),
                samples.secretStore(),
            ]),
            [],
        );
    });

    it("rejects misspelt fields of built-in kinds, at any depth", () => {
        assertRejected(
            mutate(samples.deployment(), (d) => {
                d.spec.replica = 2;
            }),
            ".spec.replica",
            /not declared in schema|unknown field/,
        );
        assertRejected(
            mutate(samples.deployment(), (d) => {
                d.spec.template.spec.containers[0].imagePullPolcy = "Always";
            }),
            "imagePullPolcy",
            /not declared in schema|unknown field/,
        );
    });

    it("rejects wrong types, missing required fields and bad enums of built-in kinds", () => {
        assertRejected(
            mutate(samples.deployment(), (d) => {
                d.spec.replicas = "2";
            }),
            "spec.replicas",
            /int|string/,
        );
        assertRejected(
            mutate(samples.service(), (o) => {
                delete o.spec.ports[0].port;
            }),
            "spec.ports[0].port",
            /Required|Invalid/,
        );
        assertRejected(
            mutate(samples.networkPolicy(), (o) => {
                o.spec.policyTypes = ["ingress"];
            }),
            "spec.policyTypes[0]",
            /Unsupported value/,
        );
    });

    it("rejects invalid names: a Service name must be a DNS-1035 label", () => {
        assertRejected(
            mutate(samples.service(), (o) => {
                o.metadata.name = "1-computer";
            }),
            "metadata.name",
            /DNS-1035/,
        );
    });

    it("rejects misspelt fields of the custom resources, at any depth", () => {
        assertRejected(
            mutate(samples.remoteMcpServer(), (o) => {
                o.spec.timout = "60s";
            }),
            ".spec.timout",
            /not declared in schema|unknown field/,
        );
        assertRejected(
            mutate(samples.agent(), (o) => {
                o.spec.declarative.tools[0].mcpServer.toolname = ["run"];
            }),
            ".spec.declarative.tools[0].mcpServer.toolname",
            /not declared in schema|unknown field/,
        );
        assertRejected(
            mutate(samples.modelConfig(), (o) => {
                o.spec.anthropic.max_tokens = 100;
            }),
            ".spec.anthropic.max_tokens",
            /not declared in schema|unknown field/,
        );
        assertRejected(
            mutate(samples.externalSecret(), (o) => {
                o.spec.data[0].remoteRef.propery = "x";
            }),
            ".spec.data[0].remoteRef.propery",
            /not declared in schema|unknown field/,
        );
    });

    it("rejects an Agent written in the kagent v1alpha1 shape under v1alpha2", () => {
        assertRejected(
            {
                apiVersion: "kagent.dev/v1alpha2",
                kind: "Agent",
                metadata: { name: "devbot", namespace: "agent-devbot" },
                spec: { type: "Declarative", description: "d", systemMessage: "hi", modelConfig: "devbot-model" },
            },
            /\.spec\.(systemMessage|modelConfig): field not declared in schema/,
            /not declared in schema/,
        );
    });

    it("rejects an ExternalSecret in external-secrets.io/v1beta1, which ESO no longer serves", () => {
        const result = dryRunApply({ ...samples.externalSecret(), apiVersion: "external-secrets.io/v1beta1" });
        assert.notStrictEqual(result.status, 0, "v1beta1 was accepted");
        assert.match(result.stderr, /external-secrets\.io\/v1beta1/);
    });

    it("rejects missing required fields, wrong types and bad enums of the custom resources", () => {
        assertRejected(
            mutate(samples.remoteMcpServer(), (o) => {
                delete o.spec.url;
            }),
            "spec.url",
            /Required/,
        );
        assertRejected(
            mutate(samples.remoteMcpServer(), (o) => {
                o.spec.protocol = "HTTP";
            }),
            "spec.protocol",
            /Unsupported value/,
        );
        assertRejected(
            mutate(samples.modelConfig(), (o) => {
                o.spec.anthropic.maxTokens = "1000";
            }),
            "spec.anthropic.maxTokens",
            /expected numeric|integer/,
        );
        assertRejected(
            mutate(samples.externalSecret(), (o) => {
                o.spec.target.template.engineVersion = "v1";
            }),
            "spec.target.template.engineVersion",
            /Unsupported value/,
        );
    });

    it("rejects what the CRDs' CEL rules forbid", () => {
        assertRejected(
            mutate(samples.agent(), (o) => {
                o.spec.declarative.tools[0].mcpServer.requireApproval = ["rm"];
            }),
            "spec.declarative.tools[0].mcpServer",
            /each RequireApproval entry must also appear in ToolNames/,
        );
        assertRejected(
            mutate(samples.agent(), (o) => {
                o.spec.type = "BYO";
            }),
            "spec",
            /byo must be specified if type is BYO/,
        );
        assertRejected(
            mutate(samples.modelConfig(), (o) => {
                delete o.spec.apiKeySecretKey;
            }),
            "spec",
            /apiKeySecretKey must be set if apiKeySecret is set/,
        );
        assertRejected(
            mutate(samples.modelConfig(), (o) => {
                delete o.spec.provider;
            }),
            "spec",
            /provider.anthropic must be nil if the provider is not Anthropic/,
        );
        assertRejected(
            mutate(samples.remoteMcpServer(), (o) => {
                o.spec.headersFrom[0].value = "Bearer x";
            }),
            "spec.headersFrom[0]",
            /Exactly one of value or valueFrom must be specified/,
        );
    });
});
