/**
 * The agent as kagent (0.10, kagent.dev/v1alpha2) sees it: a ModelConfig, one RemoteMCPServer per MCP
 * server of the agent's computer, and the Agent itself, named exactly like the agent.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AgentSpec } from "./config";
import { SECRET_KEYS } from "./credentials";
import { KAGENT_POD_SECURITY } from "./isolation/podSecurity";
import { TOKEN_GENERATION_LABEL, agentLabels } from "./labels";
import { PORTS, SHELL_MAX_COMMAND_SECONDS, agentObjectNames, mcpUrl } from "./naming";
import { COMPUTER_CONTROL_TOOLS, SHELL_TOOLS } from "./toolNames";

const API_VERSION = "kagent.dev/v1alpha2";

/**
 * Kagent's `timeout` caps every HTTP request, tool calls included. Shell commands may run up to the
 * shell server's maximum (10 minutes) and OCR takes ~20 s, so both get room above their longest call.
 */
export const MCP_TIMEOUTS = { shell: `${SHELL_MAX_COMMAND_SECONDS / 60 + 1}m`, computerControl: "2m" } as const;

interface McpServerPlan {
    resourceName: string;
    objectName: string;
    description: string;
    port: number;
    timeout: string;
    toolNames: readonly string[];
}

export function mcpServerPlans(agent: AgentSpec): McpServerPlan[] {
    const names = agentObjectNames(agent.name);
    const plans: McpServerPlan[] = [{
        resourceName: "shell",
        objectName: names.shellServer,
        description: `${agent.name}'s shell: commands, long-running jobs and files in its persistent workspace`,
        port: PORTS.shell,
        timeout: MCP_TIMEOUTS.shell,
        toolNames: SHELL_TOOLS,
    }];
    if (agent.desktop.enabled) {
        plans.push({
            resourceName: "computer-control",
            objectName: names.computerControlServer,
            description: `${agent.name}'s desktop: screenshots, mouse, keyboard, windows and OCR`,
            port: PORTS.computerControl,
            timeout: MCP_TIMEOUTS.computerControl,
            toolNames: COMPUTER_CONTROL_TOOLS,
        });
    }
    return plans;
}

export interface KagentObjectsArgs {
    agent: AgentSpec;
    namespace: pulumi.Input<string>;
    /** The Secret holding `authorization` and `model-api-key`. */
    secretName: string;
    dependsOn: pulumi.Resource[];
}

export interface KagentObjects {
    agent: k8s.apiextensions.CustomResource;
    mcpServers: k8s.apiextensions.CustomResource[];
    modelConfig: k8s.apiextensions.CustomResource;
}

export function createKagentObjects(name: string, args: KagentObjectsArgs, parent: pulumi.Resource): KagentObjects {
    const { agent, namespace, secretName } = args;
    const names = agentObjectNames(agent.name);
    const labels = agentLabels(agent.name, "kagent");

    const modelConfig = new k8s.apiextensions.CustomResource(`${name}-model`, {
        apiVersion: API_VERSION,
        kind: "ModelConfig",
        metadata: { name: names.modelConfig, namespace, labels },
        spec: {
            provider: agent.model.provider,
            model: agent.model.name,
            apiKeySecret: secretName,
            apiKeySecretKey: SECRET_KEYS.modelApiKey,
            ...providerBlock(agent),
        },
    }, { parent, dependsOn: args.dependsOn });

    const plans = mcpServerPlans(agent);
    const mcpServers = plans.map((plan) => new k8s.apiextensions.CustomResource(`${name}-${plan.resourceName}`, {
        apiVersion: API_VERSION,
        kind: "RemoteMCPServer",
        metadata: { name: plan.objectName, namespace, labels },
        spec: {
            description: plan.description,
            protocol: "STREAMABLE_HTTP",
            url: mcpUrl(agent.name, agent.namespace, plan.port),
            timeout: plan.timeout,
            terminateOnClose: true,
            headersFrom: [{
                name: "Authorization",
                valueFrom: { type: "Secret", name: secretName, key: SECRET_KEYS.authorization },
            }],
        },
    }, { parent, dependsOn: args.dependsOn }));

    const kagentAgent = new k8s.apiextensions.CustomResource(`${name}-agent`, {
        apiVersion: API_VERSION,
        kind: "Agent",
        metadata: {
            name: names.agent,
            namespace,
            labels: { ...labels, [TOKEN_GENERATION_LABEL]: String(agent.rotation.mcpToken) },
        },
        spec: {
            type: "Declarative",
            description: agent.description,
            declarative: {
                runtime: "go",
                stream: true,
                systemMessage: agent.systemMessage,
                modelConfig: names.modelConfig,
                tools: plans.map((plan) => ({
                    type: "McpServer",
                    mcpServer: {
                        apiGroup: "kagent.dev",
                        kind: "RemoteMCPServer",
                        name: plan.objectName,
                        toolNames: [...plan.toolNames],
                    },
                })),
                deployment: {
                    replicas: agent.suspended ? 0 : 1,
                    resources: agent.resources.kagent,
                    ...KAGENT_POD_SECURITY,
                    labels: { [TOKEN_GENERATION_LABEL]: String(agent.rotation.mcpToken) },
                },
            },
        },
    }, { parent, dependsOn: [modelConfig, ...mcpServers] });

    return { agent: kagentAgent, mcpServers, modelConfig };
}

function providerBlock(agent: AgentSpec): Record<string, unknown> {
    if (agent.model.provider === "Anthropic") {
        return { anthropic: agent.model.maxTokens === undefined ? {} : { maxTokens: agent.model.maxTokens } };
    }
    return { openAI: agent.model.maxTokens === undefined ? {} : { maxTokens: agent.model.maxTokens } };
}
