/**
 * One agent: its namespace, credentials, computer and kagent wiring, as one component.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createAgentComputer, ComputerImages } from "./computer";
import { AgentSpec, PlatformSpec } from "./config";
import { createAgentCredentials } from "./credentials";
import { createNamespaceGuards, createVaultAccess, podSecurityLabels } from "./isolation";
import { createKagentObjects, mcpServerPlans } from "./kagent";
import { agentLabels } from "./labels";
import { PORTS, agentObjectNames, mcpUrl, serviceHost } from "./naming";

export interface PersistentAgentArgs {
    agent: AgentSpec;
    platform: PlatformSpec;
    images: ComputerImages;
}

export class PersistentAgent extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    /** DNS name of the computer's Service, for VNC and MCP. */
    readonly serviceHost: pulumi.Output<string>;
    /** `host:5900` for VNC viewers, when the agent has a desktop. */
    readonly vncEndpoint: pulumi.Output<string | undefined>;
    readonly mcpUrls: pulumi.Output<Record<string, string>>;
    /** Full Vault paths (mount included) of the operator's and the stack's secrets. */
    readonly vaultPaths: pulumi.Output<{ provided: string; generated: string }>;

    constructor(name: string, args: PersistentAgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:PersistentAgent", name, {}, opts);
        const { agent, platform } = args;

        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: agent.namespace, labels: { ...agentLabels(agent.name, "namespace"), ...podSecurityLabels(agent) } },
        }, {
            parent: this,
            // Deleting the namespace would delete the workspace claims in it.
            retainOnDelete: agent.storage.retainOnDelete,
        });
        const namespaceName = namespace.metadata.name;

        const guards = createNamespaceGuards(name, agent, platform, namespaceName, this);
        const vaultAccess = createVaultAccess(name, agent, platform, namespaceName, this);
        const credentials = createAgentCredentials(name, {
            agent,
            platform,
            namespace: namespaceName,
            secretStore: vaultAccess.storeRef,
            dependsOn: vaultAccess.dependsOn,
        }, this);

        createAgentComputer(name, {
            agent,
            namespace: namespaceName,
            images: args.images,
            // Quotas and policies first: a pod admitted before them would escape them.
            dependsOn: [credentials.externalSecret, ...guards],
        }, this);

        createKagentObjects(name, {
            agent,
            namespace: namespaceName,
            secretName: credentials.secretName,
            dependsOn: [credentials.externalSecret],
        }, this);

        const names = agentObjectNames(agent.name);
        this.namespace = namespaceName;
        this.serviceHost = pulumi.output(serviceHost(agent.name, agent.namespace));
        this.vncEndpoint = pulumi.output(agent.desktop.enabled ? `${serviceHost(agent.name, agent.namespace)}:${PORTS.vnc}` : undefined);
        this.mcpUrls = pulumi.output(Object.fromEntries(
            mcpServerPlans(agent).map((plan) => [plan.objectName, mcpUrl(agent.name, agent.namespace, plan.port)]),
        ));
        this.vaultPaths = pulumi.output({
            provided: `${platform.vault.mount}/${credentials.paths.provided}`,
            generated: `${platform.vault.mount}/${credentials.paths.generated}`,
        });
        this.registerOutputs({
            namespace: this.namespace,
            kagentAgent: names.agent,
            serviceHost: this.serviceHost,
            vncEndpoint: this.vncEndpoint,
            mcpUrls: this.mcpUrls,
            vaultPaths: this.vaultPaths,
        });
    }
}
