/**
 * Random stack configs for the property test of the config parser (tests/configProperty.test.ts), in
 * the way pulumi-awsx tests its components with fast-check: valid configs built from the schema's keys
 * and value pools, then random mutations (a key removed, set to a random value, an unknown key added, a
 * schema key set to junk). `renderOrReject` runs the whole program on one and says what happened;
 * `renderedSamples` gives the objects of the accepted ones, for server-side dry-run (tests/real).
 */
import * as fc from "fast-check";
import { ConfigError } from "../../components/config";
import { agentSchemaKeys } from "../../components/config/reference";
import { ProgramError, runProgram } from "./program";
import { copy, stackConfig } from "./stackFile";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

const figure = (values: string[]) => fc.constantFrom(...values);
// Requests from below every default limit, limits from above every default request: valid in any mix.
const resources = fc.record(
    {
        requests: fc.record(
            { cpu: figure(["50m", "100m", "250m"]), memory: figure(["128Mi", "256Mi", "512Mi"]) },
            { requiredKeys: [] },
        ),
        limits: fc.record(
            { cpu: figure(["1", "2", "1500m"]), memory: figure(["1Gi", "2Gi", "4Gi"]) },
            { requiredKeys: [] },
        ),
    },
    { requiredKeys: [] },
);

const egressRule = fc.oneof(
    fc.record(
        {
            cidr: fc.constantFrom("0.0.0.0/0", "203.0.113.0/24", "10.1.0.0/16"),
            ports: fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 2 }),
        },
        { requiredKeys: ["cidr"] },
    ),
    fc.record(
        {
            namespace: fc.constantFrom("gitea", "harbor", "mirrors"),
            podLabels: fc.constant({ app: "web" }),
            protocol: fc.constantFrom("TCP", "UDP"),
        },
        { requiredKeys: ["namespace"] },
    ),
);

const agent = fc
    .record(
        {
            name: fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,6})?$/),
            description: fc.stringMatching(/^[A-Z][a-z ]{0,30}[a-z]$/),
            // maxTokens only with OpenAI: with Anthropic (also the default provider) it is a config error,
            // since kagent-adk drops it.
            model: fc.oneof(
                fc.record({ provider: fc.constant("Anthropic") }, { requiredKeys: [] }),
                fc.record(
                    { provider: fc.constant("OpenAI"), maxTokens: fc.integer({ min: 1, max: 100000 }) },
                    { requiredKeys: ["provider"] },
                ),
            ),
            desktop: fc.record(
                { enabled: fc.boolean(), resolution: fc.constantFrom("1280x800", "1920x1080", "640x480") },
                { requiredKeys: ["enabled"] },
            ),
            storage: fc.record(
                {
                    workspace: figure(["1Gi", "20Gi", "50Gi", "8191Pi"]),
                    config: figure(["1Gi", "5Gi"]),
                    retainOnDelete: fc.boolean(),
                },
                { requiredKeys: [] },
            ),
            resources: fc.record({ shell: resources, kagent: resources }, { requiredKeys: [] }),
            credentials: fc.record(
                {
                    gitea: fc.boolean(),
                    harbor: fc.oneof(fc.boolean(), fc.record({ username: fc.constantFrom("robot$agents+x", "ci") })),
                },
                { requiredKeys: [] },
            ),
            rotation: fc.record({ mcpToken: fc.nat(5), vncPassword: fc.nat(5) }, { requiredKeys: [] }),
            network: fc.record(
                {
                    computerEgress: fc.array(egressRule, { maxLength: 2 }),
                    agentEgress: fc.array(egressRule, { maxLength: 1 }),
                },
                { requiredKeys: [] },
            ),
            runtimeClassName: fc.constantFrom("gvisor", "kata"),
            sudo: fc.boolean(),
            suspended: fc.boolean(),
        },
        { requiredKeys: ["name"] },
    )
    .map((raw) => {
        // Desktop-only settings on a CLI agent are a rule of their own; keep the base configs valid.
        const value = raw as Record<string, any>;
        if (value.desktop && !value.desktop.enabled) {
            delete value.desktop.resolution;
        }
        return value as Json;
    });

const platform = fc
    .record(
        {
            namespacePrefix: fc.constantFrom("agent-", "", "team-"),
            imageRepository: fc.constantFrom("agents", "team/agents"),
            secretStore: fc.constantFrom(
                { kind: "SecretStore" },
                { kind: "ClusterSecretStore", name: "vault-backend" },
            ),
            pathPrefix: fc.constantFrom("agents", "staging/agents"),
        },
        { requiredKeys: [] },
    )
    .map((choice) => {
        const base = copy(stackConfig("test-cluster").platform);
        if (choice.namespacePrefix !== undefined) base.namespacePrefix = choice.namespacePrefix;
        if (choice.imageRepository !== undefined) base.imageRepository = choice.imageRepository;
        if (choice.secretStore !== undefined) base.secretStore = choice.secretStore;
        if (choice.pathPrefix !== undefined) base.vault.pathPrefix = choice.pathPrefix;
        return base as Json;
    });

/**
 * One value just outside a rule, per key: a case with exactly one of them must be rejected for it
 * (and only a correct parser tells it apart from the valid values around it).
 */
const NEAR_MISSES: Record<string, Json[]> = {
    "agents.name": ["1bot", "Bot", "bot-", "b_t", "a".repeat(41)],
    "agents.namespace": ["gitea", "kube-system", "Agent", "kagent"],
    "agents.systemMessage": ["x".repeat(40 * 1024)],
    "agents.desktop.resolution": ["huge", "7680x4320", "1280x80"],
    "agents.storage.workspace": ["1e400", "20GB", "8Ei", "5", "-1Gi"],
    "agents.resources.shell.limits.memory": ["1e400", "8Ei", "lots"],
    "agents.resources.kagent.requests.cpu": ["1e16", "0.0001", "lots"],
    "agents.network.computerEgress": [
        [{ cidr: "10.0.0.0/33" }],
        [{ namespace: "a", cidr: "0.0.0.0/0" }],
        [{ cidr: "0.0.0.0/0", ports: [70000] }],
    ],
    "agents.network.agentEgress": [[{ namespace: "ns", podLabels: { "bad key!": "x" } }]],
    "agents.secrets": [{ anthropicApiKey: "k", source: "vault" }, { openaiApiKey: "k" }],
    "platform.registry": ["registry.example.com:99999", "https://registry.example.com"],
    "platform.imageRepository": ["Agents", "agents//x", "agents/"],
    "platform.vault.address": ["http://root:pw@vault:8200", "vault:8200", "http://vault:0"],
    "platform.vault.pathPrefix": ["/agents", "Agents"],
    "platform.network.dns.podLabels": [{ "k8s-app": "kube dns" }],
};

/** Values a mutation may put anywhere: types and texts the parser must refuse or accept cleanly. */
const junk: fc.Arbitrary<Json> = fc.oneof(
    fc.constantFrom<Json>(
        null,
        true,
        false,
        0,
        -1,
        Number.POSITIVE_INFINITY, // what YAML's 1e400 parses to
        65536,
        "",
        " ",
        "1e400",
        "-1Gi",
        "8Ei",
        "A",
        "true",
        "99999",
        "http://user:pass@vault:8200",
        "0.0.0.0/0",
        "1bot",
        "x".repeat(80),
        "é",
        {},
        [],
        { secure: "v1:abc" },
    ),
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.double(),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

type Mutation =
    | { kind: "remove" | "set" | "addUnknownKey"; pick: number; value: Json; key: string }
    | { kind: "setSchemaKey"; pick: number; value: Json; schemaKey: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({
        kind: fc.constantFrom("remove", "set", "addUnknownKey") as fc.Arbitrary<"remove" | "set" | "addUnknownKey">,
        pick: fc.nat(),
        value: junk,
        key: fc.string({ minLength: 1, maxLength: 8 }),
    }),
    fc.record({ kind: fc.constant("setSchemaKey" as const), pick: fc.nat(), value: junk, schemaKey: fc.nat() }),
);

export interface StackCase {
    config: { [key: string]: Json };
    secretKeys: string[];
}

/** Every path of a JSON tree (objects' keys, arrays' indexes), parents first. */
function paths(value: Json, prefix: Path = []): Path[] {
    if (Array.isArray(value)) {
        return value.flatMap((item, index) => [[...prefix, index], ...paths(item, [...prefix, index])]);
    }
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...paths(item, [...prefix, key])]);
    }
    return [];
}

function parentOf(root: Json, path: Path): any {
    return path.slice(0, -1).reduce((node: any, segment) => node?.[segment], root);
}

function apply(config: { [key: string]: Json }, change: Mutation): void {
    const all = paths(config);
    if (change.kind === "setSchemaKey") {
        const agents = config.agents;
        if (!Array.isArray(agents) || agents.length === 0) {
            return;
        }
        const keys = agentSchemaKeys();
        const target = agents[change.pick % agents.length] as any;
        const path = keys[change.schemaKey % keys.length].split(".");
        let node = target;
        for (const segment of path.slice(0, -1)) {
            if (node === null || typeof node !== "object") {
                return;
            }
            node[segment] ??= {};
            node = node[segment];
        }
        if (node !== null && typeof node === "object") {
            node[path[path.length - 1]] = change.value;
        }
        return;
    }
    if (all.length === 0) {
        return;
    }
    const path = all[change.pick % all.length];
    const parent = parentOf(config, path);
    const last = path[path.length - 1];
    if (parent === null || typeof parent !== "object") {
        return;
    }
    if (change.kind === "remove") {
        if (Array.isArray(parent)) {
            parent.splice(last as number, 1);
        } else {
            delete parent[last];
        }
    } else if (change.kind === "set") {
        parent[last] = change.value;
    } else {
        const node = parent[last];
        if (node !== null && typeof node === "object" && !Array.isArray(node)) {
            node[change.key] = change.value;
        }
    }
}

function setAt(config: { [key: string]: Json }, key: string, agentIndex: number, value: Json): void {
    const [root, ...rest] = key.split(".");
    let node: any =
        root === "agents" ? (config.agents as Json[])[agentIndex % (config.agents as Json[]).length] : config[root];
    for (const segment of rest.slice(0, -1)) {
        node[segment] ??= {};
        node = node[segment];
    }
    node[rest[rest.length - 1]] = JSON.parse(JSON.stringify(value));
}

const validConfig = fc
    .record({ platform, agents: fc.uniqueArray(agent, { minLength: 1, maxLength: 2, selector: (a: any) => a.name }) })
    .map((config) => JSON.parse(JSON.stringify(config)) as { [key: string]: Json });

/**
 * A stack config: a valid one from the pools (a third of the cases), the same with exactly one near
 * miss (a third), or with up to three random mutations anywhere (a third).
 */
export const stackCase: fc.Arbitrary<StackCase> = fc
    .oneof(
        fc.record({ config: validConfig, secret: fc.boolean() }),
        fc.record({
            config: validConfig,
            secret: fc.boolean(),
            nearMiss: fc.constantFrom(...Object.keys(NEAR_MISSES)),
            pick: fc.nat(),
        }),
        fc.record({
            config: validConfig,
            secret: fc.boolean(),
            mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
        }),
    )
    .map(
        (draft: {
            config: { [key: string]: Json };
            secret: boolean;
            nearMiss?: string;
            pick?: number;
            mutations?: Mutation[];
        }) => {
            const config = draft.config;
            if (draft.nearMiss !== undefined) {
                const values = NEAR_MISSES[draft.nearMiss];
                setAt(config, draft.nearMiss, draft.pick!, values[draft.pick! % values.length]);
            }
            for (const change of draft.mutations ?? []) {
                apply(config, change);
            }
            return { config, secretKeys: draft.secret ? ["agents"] : [] };
        },
    );

export type Outcome = { rejected: readonly string[]; registered: number } | { objects: any[] };

/** Runs the program on one config: its problems, or the Kubernetes objects it renders. Anything else throws. */
export async function renderOrReject(stack: StackCase): Promise<Outcome> {
    try {
        const run = await runProgram({ config: stack.config, secretKeys: stack.secretKeys });
        return { objects: run.kubernetesObjects };
    } catch (err) {
        if (err instanceof ProgramError && err.cause instanceof ConfigError) {
            return { rejected: err.cause.problems, registered: err.registered };
        }
        throw err;
    }
}

/** Objects of accepted random configs, for server-side dry-run on a real API server (tests/real). */
export async function renderedSamples(count: number, seed = 1): Promise<{ config: StackCase; objects: any[] }[]> {
    const samples: { config: StackCase; objects: any[] }[] = [];
    // From the valid branch only: a rejected run leaves Pulumi's runtime reporting the error after the
    // caller has moved on, which node:test (tests/real) counts as a failure of the test that started it.
    const validCase = fc
        .record({ config: validConfig, secret: fc.boolean() })
        .map(({ config, secret }): StackCase => ({ config, secretKeys: secret ? ["agents"] : [] }));
    for (const stack of fc.sample(validCase, { numRuns: count * 4, seed })) {
        const outcome = await renderOrReject(stack);
        if ("objects" in outcome) {
            samples.push({ config: stack, objects: outcome.objects });
            if (samples.length === count) {
                break;
            }
        }
    }
    return samples;
}
