/**
 * The operator's interface: the stack config, validated as a whole before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { AgentsInput, parseAgents } from "./agents";
import { parsePlatform } from "./platform";
import { ConfigError, Problems } from "./problems";
import { AgentSpec, PlatformSpec, StackConfig } from "./types";

export * from "./types";
export { ConfigError } from "./problems";
export { parseQuantity, formatBytes, formatCpu } from "./quantity";
export { DEFAULT_RESOURCES, WORKSPACE_PATH, defaultSystemMessage } from "./defaults";
export { MODEL_KEY_FIELD } from "./agents";

export interface RawStackConfig {
    agents: AgentsInput;
    platform: unknown;
    stackName: string;
}

/** Parses and validates the whole config; throws one ConfigError listing every problem. */
export function parseStackConfig(raw: RawStackConfig): StackConfig {
    const problems = new Problems();
    const platform = parsePlatform(raw.platform, raw.stackName, problems);
    const agents = parseAgents(raw.agents, platform, problems);
    checkNamespaces(agents, platform, problems);
    if (problems.any) {
        throw new ConfigError(problems.list);
    }
    return { platform, agents };
}

/**
 * Quotas, network policies and Vault access are per namespace, so each agent needs its own; and the
 * platform's own namespaces must not be taken over by an agent.
 */
function checkNamespaces(agents: AgentSpec[], platform: PlatformSpec, problems: Problems): void {
    const firstByNamespace = new Map<string, number>();
    agents.forEach((agent, index) => {
        const earlier = firstByNamespace.get(agent.namespace);
        if (earlier !== undefined) {
            problems.add(
                `agents[${index}].namespace`,
                `"${agent.namespace}" is already the namespace of agents[${earlier}]; every agent needs its own namespace (quotas, network policies and Vault access are per namespace)`,
            );
        } else {
            firstByNamespace.set(agent.namespace, index);
        }
        if (RESERVED_NAMESPACES.includes(agent.namespace) || agent.namespace === platform.kagentNamespace) {
            problems.add(`agents[${index}].namespace`, `"${agent.namespace}" belongs to the cluster or to kagent; use the default ${platform.namespacePrefix}${agent.name}`);
        }
    });
}

const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "external-secrets", "vault"];

/** Reads the config of the running Pulumi program. */
export function readStackConfig(): StackConfig {
    const config = new pulumi.Config();
    return parseStackConfig({
        agents: { value: config.getObject("agents"), isSecret: isSecretKey(`${pulumi.getProject()}:agents`) },
        platform: config.getObject("platform"),
        stackName: pulumi.getStack(),
    });
}

/**
 * Whether Pulumi holds a config key as a secret. The SDK exports this only internally; pinned
 * @pulumi/pulumi versions have it, and if one ever drops it we assume "secret", which only skips the
 * check that secret values were not written in plain text.
 */
function isSecretKey(key: string): boolean {
    const probe = (runtimeConfig as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return probe ? probe(key) : true;
}
