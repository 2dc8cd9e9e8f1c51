/**
 * Renders the agent as kagent (0.10, kagent.dev/v1alpha2) sees it: a ModelConfig, one RemoteMCPServer
 * per MCP server of the plan, and the Agent itself, named exactly like the agent.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KAGENT_POD_SECURITY } from "./isolation/podSecurity";
import { TOKEN_GENERATION_LABEL } from "./labels";
import { AgentPlan } from "./plan";

const API_VERSION = "kagent.dev/v1alpha2";

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
    const { plan, namespace } = args;
    const kagent = plan.kagent;
    const secretName = plan.credentials.secretName;

    const modelConfig = new k8s.apiextensions.CustomResource(
        `${name}-model`,
        {
            apiVersion: API_VERSION,
            kind: "ModelConfig",
            metadata: { name: kagent.modelConfigName, namespace, labels: kagent.labels },
            spec: {
                provider: kagent.model.provider,
                model: kagent.model.name,
                apiKeySecret: secretName,
                apiKeySecretKey: kagent.modelKeySecretKey,
                ...providerBlock(kagent.model.provider, kagent.model.maxTokens),
            },
        },
        { parent, dependsOn: args.dependsOn },
    );

    const mcpServers = plan.mcpServers.map(
        (server) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${server.key}`,
                {
                    apiVersion: API_VERSION,
                    kind: "RemoteMCPServer",
                    metadata: { name: server.name, namespace, labels: kagent.labels },
                    spec: {
                        description: server.description,
                        protocol: "STREAMABLE_HTTP",
                        url: server.url,
                        timeout: server.timeout,
                        terminateOnClose: true,
                        headersFrom: [
                            {
                                name: "Authorization",
                                valueFrom: { type: "Secret", name: secretName, key: kagent.authorizationSecretKey },
                            },
                        ],
                    },
                },
                { parent, dependsOn: args.dependsOn },
            ),
    );

    const generation = { [TOKEN_GENERATION_LABEL]: kagent.tokenGeneration };
    const agent = new k8s.apiextensions.CustomResource(
        `${name}-agent`,
        {
            apiVersion: API_VERSION,
            kind: "Agent",
            metadata: { name: kagent.agentName, namespace, labels: { ...kagent.labels, ...generation } },
            spec: {
                type: "Declarative",
                description: kagent.description,
                declarative: {
                    runtime: "go",
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
        { parent, dependsOn: [modelConfig, ...mcpServers] },
    );

    return { agent, mcpServers, modelConfig };
}

function providerBlock(provider: string, maxTokens: number | undefined): Record<string, unknown> {
    const settings = maxTokens === undefined ? {} : { maxTokens };
    return provider === "Anthropic" ? { anthropic: settings } : { openAI: settings };
}
