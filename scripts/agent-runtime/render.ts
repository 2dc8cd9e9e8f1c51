/**
 * Writes what Kagent 0.10's controller would give one agent's runtime, from a stack's config: the files of
 * the config Secret (config.json, agent-card.json) and runtime.json (the container's environment and the
 * MCP servers with their tool names), through the program's own config validation, plan and kagent specs
 * (specs.json: the ModelConfig, RemoteMCPServers and Agent the stack applies, with their names).
 *
 *   npx tsx scripts/agent-runtime/render.ts --stack-file Pulumi.local.yaml --agent devbot --out <dir> \
 *       [--mcp-token <token>] [--secret <secret>/<key>=<value> ...] [--model-base-url <url>] [--image <ref>]
 *
 * The header values are what kagent's controller reads from the cluster: `--mcp-token` fills the agent's
 * Secret the way its ExternalSecret does (each key's template over the fetched `mcpToken`, so the
 * Authorization header is `Bearer <token>`); `--secret` sets one key directly. `--model-base-url` sets the
 * agent's `model.baseUrl` as `pulumi config set` would. `--image` also writes workload.json: the objects the
 * controller would create to run the agent with that runtime image (components/render/kagentWorkload.ts). The stack file may also be JSON or YAML holding
 * the project's keys without prefix (what tests and tests/golden/inputs hold, under `config:` in YAML).
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { parseStackConfig } from "../../components/config";
import { kagentSpecs } from "../../components/render/kagent";
import { kagentRuntimeEnv, kagentRuntimeFiles } from "../../components/render/kagentRuntime";
import { kagentAgentWorkload } from "../../components/render/kagentWorkload";
import { type AgentPlan, planStack } from "../../components/plan";

const PROJECT = "persistent-agents";

interface Options {
    stackFile: string;
    agent: string;
    out: string;
    secrets: Map<string, string>;
    modelBaseUrl?: string;
    mcpToken?: string;
    image?: string;
}

function parseArgs(argv: string[]): Options {
    const secrets = new Map<string, string>();
    const options: Partial<Options> = { secrets };
    for (let i = 0; i < argv.length; i += 2) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (value === undefined) {
            throw new Error(`${flag} needs a value`);
        }
        if (flag === "--stack-file") options.stackFile = value;
        else if (flag === "--agent") options.agent = value;
        else if (flag === "--out") options.out = value;
        else if (flag === "--model-base-url") options.modelBaseUrl = value;
        else if (flag === "--mcp-token") options.mcpToken = value;
        else if (flag === "--image") options.image = value;
        else if (flag === "--secret") {
            const match = /^([^/=]+\/[^=]+)=(.*)$/s.exec(value);
            if (!match) throw new Error(`--secret takes <secret>/<key>=<value>, not ${value}`);
            secrets.set(match[1], match[2]);
        } else throw new Error(`unknown option ${flag}`);
    }
    for (const required of ["stackFile", "agent", "out"] as const) {
        if (options[required] === undefined) {
            throw new Error(`--${required.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is required`);
        }
    }
    return options as Options;
}

/** The project's keys without prefix, from a Pulumi stack file, a golden input, or a JSON file of them. */
/** The project's keys, as much of them as this script reads itself. */
interface StackValues {
    agents?: { name?: string; model?: Record<string, unknown> }[];
    [key: string]: unknown;
}

function readStackConfig(file: string): StackValues {
    const text = fs.readFileSync(file, "utf8");
    if (file.endsWith(".json")) {
        return JSON.parse(text);
    }
    const parsed = yaml.load(text) as { config?: Record<string, unknown> };
    const config: StackValues = {};
    for (const [key, value] of Object.entries(parsed.config ?? {})) {
        if (key.startsWith(`${PROJECT}:`)) config[key.slice(PROJECT.length + 1)] = value;
        else if (!key.includes(":")) config[key] = value; // a golden input's keys carry no prefix
    }
    return config;
}

function withoutSecureValues(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(withoutSecureValues);
    if (value !== null && typeof value === "object") {
        if (Object.keys(value).length === 1 && "secure" in value && typeof value.secure === "string")
            return "<encrypted>";
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecureValues(v)]));
    }
    return value;
}

/** The agent Secret's keys as its ExternalSecret writes them, for a given MCP token (no other value). */
function secretFromToken(plan: AgentPlan, token: string): Map<string, string> {
    const values = new Map<string, string>();
    for (const [key, template] of Object.entries(plan.credentials.secretKeys)) {
        if (/^[^{}]*(\{\{ \.mcpToken \}\}[^{}]*)*$/.test(template) && template.includes("{{ .mcpToken }}")) {
            values.set(`${plan.credentials.secretName}/${key}`, template.replaceAll("{{ .mcpToken }}", token));
        }
    }
    return values;
}

function main(): void {
    const options = parseArgs(process.argv.slice(2));
    const values = readStackConfig(options.stackFile);
    const entry = (values.agents ?? []).find((a) => a.name === options.agent);
    if (entry === undefined) {
        throw new Error(`no agent ${options.agent} in ${options.stackFile}`);
    }
    if (options.modelBaseUrl !== undefined) {
        entry.model = { ...entry.model, baseUrl: options.modelBaseUrl };
    }
    const stackName = path.basename(options.stackFile).replace(/^Pulumi\.|\.(yaml|json)$/g, "");
    // Secret values never reach the runtime's config (the model key is an env var from the Secret): an
    // encrypted one stands as a placeholder, and none is refused for being in plain text here.
    const config = parseStackConfig({
        values: withoutSecureValues(values) as Record<string, unknown>,
        isSecret: () => true,
        stackName,
    });
    const { platform } = config;
    // The whole stack's plan, as the program makes it: an agent's plan depends on the stack's services (with
    // sleep on idle its MCP URLs are the waker's routes; with the build service its daemon's address).
    const plan = planStack(config).agents.find((a) => a.agent === options.agent);
    if (plan === undefined) {
        throw new Error(`no agent ${options.agent} in ${options.stackFile}`);
    }
    const specs = kagentSpecs(plan);
    const secrets = new Map([...(options.mcpToken ? secretFromToken(plan, options.mcpToken) : []), ...options.secrets]);
    const files = kagentRuntimeFiles(specs, (secret, key) => secrets.get(`${secret}/${key}`));
    const runtime = {
        agent: plan.agent,
        namespace: plan.namespace.name,
        env: kagentRuntimeEnv(specs, platform.kagentNamespace),
        // Where the operator's model API key lives (KV v2 mount, path, field), as the ExternalSecret fetches it.
        modelApiKey: plan.credentials.fetched
            .filter((f) => f.variable === "modelApiKey")
            .map((f) => ({ mount: platform.vault.mount, path: f.vaultPath, field: f.vaultField }))[0],
        // The desktop's screen, for running the computer here (absent: a CLI-only agent).
        resolution: plan.computer.containers.find((c) => c.role === "desktop")?.env.find((e) => e.name === "RESOLUTION")
            ?.value,
        mcpServers: plan.mcpServers.map((s) => ({
            name: s.name,
            container: s.container,
            url: s.url,
            toolNames: s.toolNames,
        })),
    };
    fs.mkdirSync(options.out, { recursive: true });
    const workload = options.image
        ? { "workload.json": kagentAgentWorkload(specs, files, runtime.env, options.image) }
        : {};
    // The Kagent objects the stack applies (ModelConfig, RemoteMCPServers, Agent), to compare with a live cluster's.
    const applied = { "specs.json": specs };
    for (const [name, content] of Object.entries({ ...files, "runtime.json": runtime, ...applied, ...workload })) {
        fs.writeFileSync(path.join(options.out, name), `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    }
}

try {
    main();
} catch (error) {
    console.error(`render: ${(error as Error).message}`);
    process.exit(1);
}
