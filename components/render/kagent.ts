/**
 * Renders the agent as kagent (0.10, kagent.dev/v1alpha2) sees it: a ModelConfig, one RemoteMCPServer
 * per MCP server of the plan, and the Agent itself, named exactly like the agent. `kagentSpecs` is the
 * pure part (plain objects); components/render/kagentRuntime.ts translates the same objects into the runtime's
 * config the way kagent's controller does, so what the stack deploys and what is proven to run are one.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KAGENT_POD_SECURITY } from "../plan/podSecurity";
import { TOKEN_GENERATION_LABEL } from "../contract/labels";
import { AgentPlan } from "../plan";

export const KAGENT_API_VERSION = "kagent.dev/v1alpha2";

/**
 * The agent runtime kagent runs for the Agent. Python: `kagent-adk` from PyPI, the only 0.10 runtime
 * this project can obtain and so prove end to end (tests/agent-loop); the Go runtime's module is not
 * served by the Go module proxy. (The CRD's default is go.)
 */
export const KAGENT_RUNTIME = "python";

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
    const secretName = plan.credentials.secretName;
    const meta = (name: string, labels = kagent.labels) => ({ name, namespace: plan.namespace, labels });
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
                    runtime: KAGENT_RUNTIME,
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
                        ...KAGENT_POD_SECURITY,
                        labels: generation,
                    },
                },
            },
        },
    };
}

export interface KagentObjectsArgs {
    plan: AgentPlan;
    namespace: pulumi.Input<string>;
    dependsOn: pulumi.Resource[];
}

export interface KagentObjects {
    agent: k8s.apiextensions.CustomResource;
    mcpServers: k8s.apiextensions.CustomResource[];
    modelConfig: k8s.apiextensions.CustomResource;
}

export function createKagentObjects(name: string, args: KagentObjectsArgs, parent: pulumi.Resource): KagentObjects {
    const specs = kagentSpecs(args.plan);
    // The namespace comes from the Namespace resource, so that these wait for it.
    const metadata = (m: Named<unknown>["metadata"]) => ({ ...m, namespace: args.namespace });

    const modelConfig = new k8s.apiextensions.CustomResource(
        `${name}-model`,
        {
            apiVersion: KAGENT_API_VERSION,
            kind: "ModelConfig",
            ...specs.modelConfig,
            metadata: metadata(specs.modelConfig.metadata),
        },
        { parent, dependsOn: args.dependsOn },
    );
    const mcpServers = specs.mcpServers.map(
        ({ key, ...server }) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${key}`,
                {
                    apiVersion: KAGENT_API_VERSION,
                    kind: "RemoteMCPServer",
                    ...server,
                    metadata: metadata(server.metadata),
                },
                { parent, dependsOn: args.dependsOn },
            ),
    );
    const agent = new k8s.apiextensions.CustomResource(
        `${name}-agent`,
        { apiVersion: KAGENT_API_VERSION, kind: "Agent", ...specs.agent, metadata: metadata(specs.agent.metadata) },
        { parent, dependsOn: [modelConfig, ...mcpServers] },
    );

    return { agent, mcpServers, modelConfig };
}

function providerBlock(model: AgentPlan["kagent"]["model"]): Pick<ModelConfigSpec, "anthropic" | "openAI"> {
    const settings = {
        ...(model.maxTokens === undefined ? {} : { maxTokens: model.maxTokens }),
        ...(model.baseUrl === undefined ? {} : { baseUrl: model.baseUrl }),
    };
    return model.provider === "Anthropic" ? { anthropic: settings } : { openAI: settings };
}
