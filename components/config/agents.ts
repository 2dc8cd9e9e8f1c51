/** Parses and validates the `agents` list of the stack config. */
import { DEFAULT_MODEL, DEFAULT_RESOLUTION, DEFAULT_RESOURCES, DEFAULT_STORAGE, defaultSystemMessage } from "./defaults";
import * as formats from "./formats";
import { NETWORK_KEYS, parseEgressRules, parseViewers } from "./network";
import { Json, ObjectReader, Problems, describe } from "./problems";
import { parseQuantity } from "./quantity";
import {
    AgentSpec, CONTAINER_ROLES, ContainerResources, ContainerRole, CredentialSpec, ModelProvider,
    OperatorSecrets, PlatformSpec,
} from "./types";

export const AGENT_KEYS = [
    "name", "namespace", "description", "systemMessage", "model", "desktop", "storage", "resources",
    "credentials", "secrets", "rotation", "network", "runtimeClassName", "sudo", "suspended",
] as const;

export const MAX_AGENT_NAME = 40;

/** The secret config key that holds the model API key, per provider. */
export const MODEL_KEY_FIELD: Record<ModelProvider, string> = { Anthropic: "anthropicApiKey", OpenAI: "openaiApiKey" };

export interface AgentsInput {
    /** The parsed `agents` config value. */
    value: unknown;
    /** Whether Pulumi holds the `agents` key as a secret (set with --secret). */
    isSecret: boolean;
}

export function parseAgents(input: AgentsInput, platform: PlatformSpec, problems: Problems): AgentSpec[] {
    if (input.value === undefined || input.value === null) {
        return [];
    }
    if (!Array.isArray(input.value)) {
        problems.add("agents", `${describe(input.value)} is not a list; set entries with pulumi config set --path 'agents[0].name' devbot`);
        return [];
    }
    const agents = input.value.map((raw, index) => parseAgent(raw, `agents[${index}]`, input.isSecret, platform, problems));
    checkUniqueness(agents, problems);
    return agents.filter((agent): agent is AgentSpec => agent !== undefined);
}

function parseAgent(raw: Json, path: string, stored: boolean, platform: PlatformSpec, problems: Problems): AgentSpec | undefined {
    const agent = ObjectReader.of(path, raw, problems, AGENT_KEYS);
    const name = agent.string("name", {
        required: true, check: formats.dnsLabel(MAX_AGENT_NAME),
        hint: `pulumi config set --path '${path}.name' devbot`,
    });
    const shownName = name ?? "agent";
    const namespace = agent.string("namespace", {
        default: `${platform.namespacePrefix}${shownName}`,
        check: formats.dnsLabel(63),
    }) ?? `${platform.namespacePrefix}${shownName}`;
    if (!agent.has("namespace") && name && namespace.length > 63) {
        problems.add(`${path}.name`, `makes the namespace "${namespace}" longer than 63 characters; shorten the name or set ${path}.namespace`);
    }

    const model = agent.child("model", ["provider", "name", "maxTokens"]);
    const provider = (model.string("provider", { default: DEFAULT_MODEL.provider, oneOf: ["Anthropic", "OpenAI"] }) ??
        DEFAULT_MODEL.provider) as ModelProvider;

    const desktop = agent.child("desktop", ["enabled", "resolution"]);
    const desktopEnabled = desktop.boolean("enabled", true);
    const resolution = desktop.string("resolution", { default: DEFAULT_RESOLUTION, check: formats.resolution }) ?? DEFAULT_RESOLUTION;
    if (!desktopEnabled && desktop.has("resolution")) {
        problems.add(desktop.at("resolution"), "is set but the desktop is disabled; remove it or set desktop.enabled to true");
    }

    const storage = agent.child("storage", ["workspace", "config", "storageClass", "retainOnDelete"]);
    const credentials = agent.child("credentials", ["gitea", "harbor"]);
    const gitea = parseCredential(credentials, "gitea", shownName);
    const harbor = parseCredential(credentials, "harbor", `robot$${platform.imageRepository.replace(/\//g, "+")}+${shownName}`);

    const rotation = agent.child("rotation", ["mcpToken", "vncPassword"]);
    const network = agent.child("network", NETWORK_KEYS);
    const sudo = agent.boolean("sudo", false);
    const ownViewers = network.has("vncViewers") ? parseViewers(network, "vncViewers", problems) : undefined;
    if (!desktopEnabled && ownViewers) {
        problems.add(network.at("vncViewers"), "is set but the agent has no desktop; remove it");
    }
    const systemMessage = agent.string("systemMessage") ?? defaultSystemMessage({
        name: shownName,
        desktop: desktopEnabled,
        resolution,
        giteaHost: gitea.enabled ? platform.giteaHost : undefined,
        registry: harbor.enabled ? platform.registry : undefined,
    });

    const spec: AgentSpec = {
        name: shownName,
        namespace,
        description: agent.string("description") ??
            `${shownName}: an agent with its own ${desktopEnabled ? "Linux desktop and shell" : "Linux shell"}`,
        systemMessage,
        model: {
            provider,
            name: model.string("name", { default: DEFAULT_MODEL.name }) ?? DEFAULT_MODEL.name,
            maxTokens: model.has("maxTokens") ? model.integer("maxTokens", 8192, 1, 1_000_000) : undefined,
        },
        desktop: { enabled: desktopEnabled, resolution },
        storage: {
            workspace: storage.string("workspace", { default: DEFAULT_STORAGE.workspace, check: formats.storageQuantity }) ?? DEFAULT_STORAGE.workspace,
            config: storage.string("config", { default: DEFAULT_STORAGE.config, check: formats.storageQuantity }) ?? DEFAULT_STORAGE.config,
            storageClass: storage.string("storageClass", { check: formats.dnsSubdomain }) ?? platform.storageClass,
            retainOnDelete: storage.boolean("retainOnDelete", true),
        },
        resources: parseResources(agent, desktopEnabled, problems),
        credentials: { gitea, harbor },
        secrets: parseSecrets(agent, path, provider, { gitea: gitea.enabled, harbor: harbor.enabled }, stored, problems),
        rotation: {
            mcpToken: rotation.integer("mcpToken", 0, 0, 1_000_000),
            vncPassword: rotation.integer("vncPassword", 0, 0, 1_000_000),
        },
        network: {
            // The agent's own rules add to the platform's; its viewers replace the platform's.
            computerEgress: [...platform.network.computerEgress, ...parseEgressRules(network, "computerEgress", problems)],
            agentEgress: [...platform.network.agentEgress, ...parseEgressRules(network, "agentEgress", problems)],
            vncViewers: ownViewers ?? platform.network.vncViewers,
        },
        runtimeClassName: agent.string("runtimeClassName", { check: formats.dnsSubdomain }),
        sudo,
        suspended: agent.boolean("suspended", false),
        // sudo needs setuid, which the restricted level forbids (allowPrivilegeEscalation must be false).
        podSecurity: sudo ? "baseline" : platform.podSecurity,
    };
    return name === undefined ? undefined : spec;
}

function parseCredential(credentials: ObjectReader, key: "gitea" | "harbor", defaultUser: string): CredentialSpec {
    const raw = credentials.value[key];
    // `gitea: false` is the short form of `gitea: {enabled: false}`.
    if (typeof raw === "boolean" || raw === "true" || raw === "false") {
        return { enabled: credentials.boolean(key, true), username: defaultUser };
    }
    const credential = credentials.child(key, ["enabled", "username"]);
    return {
        enabled: credential.boolean("enabled", true),
        username: credential.string("username", { default: defaultUser, check: formats.username }) ?? defaultUser,
    };
}

function parseResources(agent: ObjectReader, desktop: boolean, problems: Problems): Record<ContainerRole, ContainerResources> {
    const resources = agent.child("resources", CONTAINER_ROLES);
    const result = {} as Record<ContainerRole, ContainerResources>;
    for (const role of CONTAINER_ROLES) {
        const defaults = DEFAULT_RESOURCES[role];
        if (!desktop && (role === "desktop" || role === "computerControl") && resources.has(role)) {
            problems.add(resources.at(role), "is set but the agent has no desktop (desktop.enabled is false); remove it");
        }
        const container = resources.child(role, ["requests", "limits"]);
        const read = (kind: "requests" | "limits") => {
            const figures = container.child(kind, ["cpu", "memory"]);
            return {
                cpu: figures.string("cpu", { default: defaults[kind].cpu, check: formats.cpuQuantity }) ?? defaults[kind].cpu,
                memory: figures.string("memory", { default: defaults[kind].memory, check: formats.memoryQuantity }) ?? defaults[kind].memory,
            };
        };
        const figures = { requests: read("requests"), limits: read("limits") };
        for (const measure of ["cpu", "memory"] as const) {
            const request = parseQuantity(figures.requests[measure]) ?? 0;
            const limit = parseQuantity(figures.limits[measure]) ?? Infinity;
            if (request > limit) {
                problems.add(
                    container.at(`requests.${measure}`),
                    `${figures.requests[measure]} is above the limit ${figures.limits[measure]}; lower it or raise limits.${measure}`,
                );
            }
        }
        result[role] = figures;
    }
    return result;
}

function parseSecrets(
    agent: ObjectReader, path: string, provider: ModelProvider, wanted: { gitea: boolean; harbor: boolean },
    stored: boolean, problems: Problems,
): OperatorSecrets {
    const modelKey = MODEL_KEY_FIELD[provider];
    const otherModelKeys = Object.values(MODEL_KEY_FIELD).filter((key) => key !== modelKey);
    const secrets = agent.child("secrets", ["source", ...Object.values(MODEL_KEY_FIELD), "giteaToken", "harborPassword"]);
    const valueKeys = [modelKey, "giteaToken", "harborPassword"].filter((key) => secrets.has(key));
    const source = secrets.string("source", { default: valueKeys.length > 0 ? "config" : "vault", oneOf: ["vault", "config"] });

    for (const key of otherModelKeys.filter((k) => secrets.has(k))) {
        problems.add(secrets.at(key), `is for another model provider; the model provider is ${provider}, so set ${modelKey}`);
    }
    if (source !== "config") {
        for (const key of valueKeys) {
            problems.add(secrets.at(key), "is set but secrets.source is vault; remove it, or set secrets.source to config");
        }
        return { source: "vault" };
    }
    if (valueKeys.length > 0 && !stored) {
        problems.add(
            secrets.path,
            `holds secret values in plain text in the stack file; remove them and set each with pulumi config set --secret --path '${path}.secrets.<key>' <value>`,
        );
    }
    const read = (key: string, needed: boolean, what: string): string | undefined => {
        const value = secrets.string(key, { nonEmpty: true });
        if (needed && value === undefined && !secrets.has(key)) {
            problems.add(secrets.at(key), `missing (${what}, secrets.source is config); set it with pulumi config set --secret --path '${path}.secrets.${key}' <value>`);
        }
        if (!needed && value !== undefined) {
            problems.add(secrets.at(key), `is set but ${what.split(" ")[0]} credentials are disabled for this agent; remove it`);
        }
        return needed ? value : undefined;
    };
    return {
        source: "config",
        modelApiKey: read(modelKey, true, `the ${provider} API key`) ?? "",
        giteaToken: read("giteaToken", wanted.gitea, "Gitea token"),
        harborPassword: read("harborPassword", wanted.harbor, "Harbor password"),
    };
}

function checkUniqueness(agents: (AgentSpec | undefined)[], problems: Problems): void {
    const firstByName = new Map<string, number>();
    agents.forEach((agent, index) => {
        if (!agent) {
            return;
        }
        const earlier = firstByName.get(agent.name);
        if (earlier !== undefined) {
            problems.add(`agents[${index}].name`, `"${agent.name}" is already the name of agents[${earlier}]; agent names must be unique`);
        } else {
            firstByName.set(agent.name, index);
        }
    });
}
