/**
 * The agent as kagent (0.10, kagent.dev/v1alpha2) sees it: a ModelConfig, one RemoteMCPServer per MCP
 * server of the plan, and the Agent itself, named exactly like the agent. `kagentSpecs` gives the plain
 * objects; render/kagentRuntime.ts translates the same objects into the runtime's config the way
 * kagent's controller does, so what the stack deploys and what is proven to run are one.
 */
import { KAGENT_API_VERSION } from "../contract/kagent";
import { TOKEN_GENERATION_LABEL } from "../contract/labels";
import type { AgentPlan } from "../plan/types";
import type { Rendered } from "./objects";

export interface HeaderFromSecret {
    name: string;
    valueFrom: { type: "Secret"; name: string; key: string };
}

export interface ModelConfigSpec {
    provider: string;
    model: string;
    apiKeySecret: string;
    apiKeySecretKey: string;
    anthropic?: { maxTokens?: number; baseUrl?: string };
    openAI?: { maxTokens?: number; baseUrl?: string };
}

export interface RemoteMcpServerSpec {
    description: string;
    protocol: "STREAMABLE_HTTP";
    url: string;
    timeout: string;
    sseReadTimeout: string;
    terminateOnClose: boolean;
    headersFrom: HeaderFromSecret[];
}

export interface AgentToolSpec {
    type: "McpServer";
    mcpServer: { apiGroup: "kagent.dev"; kind: "RemoteMCPServer"; name: string; toolNames: string[] };
}

export interface AgentSpec {
    type: "Declarative";
    description: string;
    declarative: {
        runtime: string;
        stream: boolean;
        systemMessage: string;
        modelConfig: string;
        tools: AgentToolSpec[];
        deployment: Record<string, unknown>;
    };
}

interface Named<Spec> {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    spec: Spec;
}

/** The three kinds of kagent object of one agent, as plain data. */
export interface KagentSpecs {
    modelConfig: Named<ModelConfigSpec>;
    mcpServers: (Named<RemoteMcpServerSpec> & { key: string })[];
    agent: Named<AgentSpec>;
}

export function kagentSpecs(plan: AgentPlan): KagentSpecs {
    const kagent = plan.kagent;
    const secretName = kagent.secretName;
    const meta = (name: string, labels = kagent.labels) => ({ name, namespace: kagent.namespace, labels });
    const generation = { [TOKEN_GENERATION_LABEL]: kagent.tokenGeneration };
    return {
        modelConfig: {
            metadata: meta(kagent.modelConfigName),
            spec: {
                provider: kagent.model.provider,
                model: kagent.model.name,
                apiKeySecret: secretName,
                apiKeySecretKey: kagent.modelKeySecretKey,
                ...providerBlock(kagent.model),
            },
        },
        mcpServers: plan.mcpServers.map((server) => ({
            key: server.key,
            metadata: meta(server.name),
            spec: {
                description: server.description,
                protocol: "STREAMABLE_HTTP",
                url: server.url,
                timeout: server.timeout,
                // kagent-adk reads MCP responses with this as its read timeout (google-adk's streamable
                // HTTP session), not `timeout`: unset, every tool call is cut at 5 minutes.
                sseReadTimeout: server.timeout,
                terminateOnClose: true,
                headersFrom: [
                    {
                        name: "Authorization",
                        valueFrom: { type: "Secret", name: secretName, key: kagent.authorizationSecretKey },
                    },
                ],
            },
        })),
        agent: {
            metadata: meta(kagent.agentName, { ...kagent.labels, ...generation }),
            spec: {
                type: "Declarative",
                description: kagent.description,
                declarative: {
                    runtime: kagent.runtime,
                    stream: true,
                    systemMessage: kagent.systemMessage,
                    modelConfig: kagent.modelConfigName,
                    tools: plan.mcpServers.map((server) => ({
                        type: "McpServer",
                        mcpServer: {
                            apiGroup: "kagent.dev",
                            kind: "RemoteMCPServer",
                            name: server.name,
                            toolNames: [...server.toolNames],
                        },
                    })),
                    deployment: {
                        replicas: kagent.replicas,
                        resources: kagent.resources,
                        ...kagent.podSecurity,
                        labels: generation,
                    },
                },
            },
        },
    };
}

export interface KagentObjects {
    modelConfig: Rendered;
    mcpServers: Rendered[];
    agent: Rendered;
}

/** The three kinds as Kubernetes objects, keyed `model`, the server's key, and `agent`. */
export function kagentObjects(plan: AgentPlan): KagentObjects {
    const specs = kagentSpecs(plan);
    return {
        modelConfig: {
            key: "model",
            object: { apiVersion: KAGENT_API_VERSION, kind: "ModelConfig", ...specs.modelConfig },
        },
        mcpServers: specs.mcpServers.map(({ key, ...server }) => ({
            key,
            object: { apiVersion: KAGENT_API_VERSION, kind: "RemoteMCPServer", ...server },
        })),
        agent: { key: "agent", object: { apiVersion: KAGENT_API_VERSION, kind: "Agent", ...specs.agent } },
    };
}

function providerBlock(model: AgentPlan["kagent"]["model"]): Pick<ModelConfigSpec, "anthropic" | "openAI"> {
    const settings = {
        ...(model.maxTokens === undefined ? {} : { maxTokens: model.maxTokens }),
        ...(model.baseUrl === undefined ? {} : { baseUrl: model.baseUrl }),
    };
    return model.provider === "Anthropic" ? { anthropic: settings } : { openAI: settings };
}
