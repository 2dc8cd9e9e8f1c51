/**
 * What Kagent 0.10's controller writes for an Agent's runtime: the two files of the Secret named like the
 * Agent, mounted at /config in the agent pod, which `kagent-adk static --filepath /config` reads. Kagent's
 * controller is not in any registry this project uses, so this is its translation, done the way it does
 * it, from the very objects the stack deploys (`kagentSpecs`). Each part follows a file of
 * kagent-dev/kagent, branch release/v0.10.x (paths under go/):
 *
 * - the whole file: core/internal/controller/translator/agent/compiler.go `translateInlineAgent` (model,
 *   description, instruction = systemMessage verbatim without a promptTemplate, stream, one tool set per
 *   `tools[]` entry in order) and manifest_builder.go `buildConfigSecret` (`json.Marshal` of the config,
 *   keys config.json and agent-card.json);
 * - the JSON field names, their order and what is left out when empty: api/adk/types.go (`AgentConfig`,
 *   `HttpMcpServerConfig`, `StreamableHTTPConnectionParams`, `OpenAI`, `Anthropic`);
 * - `model`: adk_api_translator.go `translateModel` (provider OpenAI: `base_url` always present, possibly
 *   empty; Anthropic: `base_url` only when set; `max_tokens` when > 0);
 * - each tool set: adk_api_translator.go `translateStreamableHttpTool` and `translateRemoteMCPServerTarget`
 *   (url verbatim, headers resolved from the Secrets of `headersFrom` in plain text, `timeout` and
 *   `sse_read_timeout` in seconds, `terminate_on_close`, `tools` = the Agent's toolNames);
 * - the pod's environment (`kagentRuntimeEnv`): manifest_builder.go `collectSharedEnv` (KAGENT_NAMESPACE,
 *   KAGENT_NAME, KAGENT_URL) and `translateModel` (the API key variable, from the ModelConfig's Secret);
 * - the agent card: translator/agent/utils.go `GetA2AAgentCard`, serialised by a2a-go's v0.3 compatibility
 *   producer, which adds `url`, `protocolVersion` and `preferredTransport` (as the controller's golden
 *   test outputs in translator/agent/testdata/outputs show).
 *
 * The controller's cases this stack never produces (SSE servers, agents as tools, prompt templates, memory,
 * proxies, TLS, skills) are left out on purpose. tests/agent-loop validates the output with kagent-adk's
 * own configuration types (a field the runtime does not know fails) and runs the runtime on it.
 */
import { KAGENT_AGENT_PORT, KAGENT_CONTROLLER, MODEL_API_KEY_ENV } from "../contract/kagent";
import type { KagentSpecs, ModelConfigSpec, RemoteMcpServerSpec } from "./kagent";

/** The Secret values `headersFrom` names: (secret name, key) → value, as the controller reads them. */
export type SecretValues = (secret: string, key: string) => string | undefined;

export interface RuntimeModel {
    type: "anthropic" | "openai";
    model: string;
    base_url?: string;
    max_tokens?: number;
}

export interface RuntimeHttpTools {
    params: {
        url: string;
        headers: Record<string, string>;
        timeout?: number;
        sse_read_timeout?: number;
        terminate_on_close?: boolean;
    };
    tools?: string[];
}

/** config.json: the fields of upstream's `AgentConfig` this stack's Agents produce. */
export interface RuntimeConfig {
    model: RuntimeModel;
    description: string;
    instruction: string;
    http_tools?: RuntimeHttpTools[];
    stream: boolean;
}

export interface AgentCard {
    defaultInputModes: string[];
    defaultOutputModes: string[];
    description: string;
    name: string;
    version: string;
    skills: unknown[];
    capabilities: { streaming: boolean };
    supportedInterfaces: { url: string; protocolBinding: string; protocolVersion: string }[];
    url: string;
    protocolVersion: string;
    preferredTransport: string;
}

export interface RuntimeFiles {
    "config.json": RuntimeConfig;
    "agent-card.json": AgentCard;
}

export function kagentRuntimeFiles(specs: KagentSpecs, secrets: SecretValues): RuntimeFiles {
    const { agent } = specs;
    const servers = new Map(specs.mcpServers.map((server) => [server.metadata.name, server.spec]));
    const httpTools = agent.spec.declarative.tools.map((tool) => {
        const server = servers.get(tool.mcpServer.name);
        if (server === undefined) {
            throw new Error(
                `Agent ${agent.metadata.name} names RemoteMCPServer ${tool.mcpServer.name}, which does not exist`,
            );
        }
        return {
            params: connectionParams(server, secrets),
            ...(tool.mcpServer.toolNames.length > 0 ? { tools: [...tool.mcpServer.toolNames] } : {}),
        };
    });
    const config: RuntimeConfig = {
        model: runtimeModel(specs.modelConfig.spec),
        description: agent.spec.description,
        instruction: agent.spec.declarative.systemMessage,
        ...(httpTools.length > 0 ? { http_tools: httpTools } : {}),
        stream: agent.spec.declarative.stream,
    };
    return {
        "config.json": config,
        "agent-card.json": agentCard(agent.metadata.name, agent.metadata.namespace, agent.spec.description),
    };
}

/**
 * An environment variable of the runtime container: a value (with the pod field it comes from, when the
 * controller takes it from one), or a key of a Secret.
 */
export type RuntimeEnv =
    | { name: string; value: string; fieldPath?: string }
    | { name: string; secret: { name: string; key: string } };

/**
 * The runtime container's environment as the controller sets it. KAGENT_URL is the controller's own API
 * (sessions and tasks: kagent-adk keeps its conversations there), `kagent-controller.<kagent namespace>:8083`.
 */
export function kagentRuntimeEnv(specs: KagentSpecs, kagentNamespace: string): RuntimeEnv[] {
    const model = specs.modelConfig.spec;
    return [
        { name: MODEL_API_KEY_ENV[model.provider], secret: { name: model.apiKeySecret, key: model.apiKeySecretKey } },
        { name: "KAGENT_NAMESPACE", value: specs.agent.metadata.namespace, fieldPath: "metadata.namespace" },
        { name: "KAGENT_NAME", value: specs.agent.metadata.name },
        {
            name: "KAGENT_URL",
            value: `http://${KAGENT_CONTROLLER.service}.${kagentNamespace}:${KAGENT_CONTROLLER.port}`,
        },
    ];
}

function runtimeModel(spec: ModelConfigSpec): RuntimeModel {
    if (spec.provider === "Anthropic") {
        const settings = spec.anthropic ?? {};
        return {
            type: "anthropic",
            model: spec.model,
            ...(settings.baseUrl ? { base_url: settings.baseUrl } : {}),
            ...(settings.maxTokens ? { max_tokens: settings.maxTokens } : {}),
        };
    }
    if (spec.provider === "OpenAI") {
        const settings = spec.openAI ?? {};
        return {
            type: "openai",
            model: spec.model,
            base_url: settings.baseUrl ?? "",
            ...(settings.maxTokens ? { max_tokens: settings.maxTokens } : {}),
        };
    }
    throw new Error(`unsupported model provider: ${spec.provider}`);
}

function connectionParams(server: RemoteMcpServerSpec, secrets: SecretValues): RuntimeHttpTools["params"] {
    const headers: Record<string, string> = {};
    for (const header of server.headersFrom) {
        const value = secrets(header.valueFrom.name, header.valueFrom.key);
        if (value === undefined) {
            // The controller fails the Agent's reconcile the same way (RemoteMCPServer.ResolveHeaders).
            throw new Error(
                `header ${header.name}: Secret ${header.valueFrom.name} has no key ${header.valueFrom.key}`,
            );
        }
        headers[header.name] = value;
    }
    return {
        url: server.url,
        headers,
        timeout: durationSeconds(server.timeout),
        sse_read_timeout: durationSeconds(server.sseReadTimeout),
        terminate_on_close: server.terminateOnClose,
    };
}

function agentCard(name: string, namespace: string, description: string): AgentCard {
    const url = `http://${name}.${namespace}:${KAGENT_AGENT_PORT}`;
    return {
        defaultInputModes: ["text"],
        defaultOutputModes: ["text"],
        description,
        // A2A card names are identifiers: the controller replaces '-' (kagent-adk names its app the same way).
        name: name.replaceAll("-", "_"),
        version: "",
        skills: [],
        capabilities: { streaming: true },
        supportedInterfaces: [
            { url, protocolBinding: "JSONRPC", protocolVersion: "0.3" },
            { url, protocolBinding: "JSONRPC", protocolVersion: "1.0" },
        ],
        url,
        protocolVersion: "0.3",
        preferredTransport: "JSONRPC",
    };
}

const DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/** A metav1.Duration as Go's `Duration.Seconds()` gives it: "11m" → 660, "1m30s" → 90. */
export function durationSeconds(duration: string): number {
    const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== duration) {
        throw new Error(`"${duration}" is not a duration such as 30s, 11m or 1h30m`);
    }
    return parts.reduce((sum, [, value, unit]) => sum + Number(value) * DURATION_UNITS[unit], 0);
}
