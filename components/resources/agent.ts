function requiredImage(images: ComputerImages, image: keyof ComputerImages, agent: string) {
    const ref = images[image];
    if (ref === undefined) {
        throw new Error(`agent ${agent}: no ${image} image`);
    }
    return ref;
}

/**
 * One agent, as one component: its plan (components/plan) rendered into its namespace, credentials,
 * computer, isolation and kagent objects.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { backupObjects } from "../render/backup";
import { browserViewEndpoint, browserViewObjects } from "../render/browserView";
import { createAgentComputer, ComputerImages } from "./computer";
import { PlatformSpec, VaultSpec } from "../config";
import { createAgentCredentials } from "./credentials";
import { createNamespaceGuards, createVaultAccess } from "./guards";
import { createKagentObjects } from "../render/kagent";
import { metricsNetworkPolicy, podMonitor } from "../render/monitoring";
import { registerObject } from "./register";
import { AgentPlan } from "../plan";
import { egressProxyObjects } from "../render/egressProxy";

export interface PersistentAgentArgs {
    plan: AgentPlan;
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
    /** Where to open the browser view (and the port-forward without a route), when enabled. */
    readonly browserView: pulumi.Output<{ url: string; portForward: string; mode: string } | undefined>;

    constructor(name: string, args: PersistentAgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:PersistentAgent", name, {}, opts);
        const { plan, platform } = args;
        const vaultSpec: VaultSpec = platform.vault;

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: { name: plan.namespace, labels: plan.namespaceLabels },
            },
            {
                parent: this,
                // Deleting the namespace would delete the workspace claims in it.
                retainOnDelete: plan.computer.retainOnDelete,
            },
        );
        const namespaceName = namespace.metadata.name;

        const guards = createNamespaceGuards(name, plan, platform, namespaceName, this);
        const vaultAccess = createVaultAccess(name, plan, vaultSpec, namespaceName, this);
        const externalSecret = createAgentCredentials(
            name,
            {
                plan,
                vault: vaultSpec,
                namespace: namespaceName,
                secretStore: vaultAccess.storeRef,
                dependsOn: vaultAccess.dependsOn,
            },
            this,
        );

        // The mode ConfigMap before the pod that mounts it; the route and its policy alongside.
        const browserView = plan.browserView
            ? browserViewObjects(plan.browserView).map((object) =>
                  registerObject(`${name}-browser-view-${object.kind.toLowerCase()}`, object, {
                      parent: this,
                      dependsOn: [namespace],
                  }),
              )
            : [];

        // The egress proxy before the computer that sends everything to it; the broker's Secret key first.
        const egressProxy = plan.egressProxy
            ? egressProxyObjects(plan.egressProxy, requiredImage(args.images, "egressProxy", plan.agent)).map(
                  (object) =>
                      registerObject(`${name}-egress-${object.kind.toLowerCase()}`, object, {
                          parent: this,
                          dependsOn: [namespace, externalSecret, ...guards],
                      }),
              )
            : [];

        createAgentComputer(
            name,
            {
                plan,
                namespace: namespaceName,
                images: args.images,
                // Quotas and policies first: a pod admitted before them would escape them.
                dependsOn: [externalSecret, ...guards, ...browserView, ...egressProxy],
            },
            this,
        );

        createKagentObjects(name, { plan, namespace: namespaceName, dependsOn: [externalSecret] }, this);
        this.renderOperations(name, plan, args.images, namespace);

        this.namespace = namespaceName;
        this.serviceHost = pulumi.output(plan.endpoints.serviceHost);
        this.vncEndpoint = pulumi.output(plan.endpoints.vncEndpoint);
        this.mcpUrls = pulumi.output(plan.endpoints.mcpUrls);
        this.vaultPaths = pulumi.output(plan.endpoints.vaultPaths);
        this.browserView = pulumi.output(browserViewEndpoint(plan.browserView));
        this.registerOutputs({
            browserView: this.browserView,
            namespace: this.namespace,
            kagentAgent: plan.kagent.agentName,
            serviceHost: this.serviceHost,
            vncEndpoint: this.vncEndpoint,
            mcpUrls: this.mcpUrls,
            vaultPaths: this.vaultPaths,
        });
    }

    /** Monitoring and backup objects, as components/render/monitoring.ts and components/render/backup.ts build them. */
    private renderOperations(
        name: string,
        plan: AgentPlan,
        images: ComputerImages,
        namespace: k8s.core.v1.Namespace,
    ): void {
        const opts = { parent: this, dependsOn: [namespace] };
        const { monitoring, backup } = plan.operations;
        if (monitoring) {
            registerObject(`${name}-podmonitor`, podMonitor(monitoring.agent, monitoring.settings), opts);
            registerObject(`${name}-metrics-policy`, metricsNetworkPolicy(monitoring.agent, monitoring.settings), opts);
        }
        if (backup) {
            const image = images[backup.image];
            if (image === undefined) {
                throw new Error(`agent ${plan.agent}: no ${backup.image} image for the backup pod`);
            }
            // `<agent>-backup-<kind>`; a second object of a kind adds its own name to stay unique.
            const kinds = new Set<string>();
            for (const object of backupObjects(backup.agent, backup.platform, image)) {
                const kind = object.kind.toLowerCase();
                registerObject(
                    kinds.has(kind) ? `${name}-backup-${kind}-${object.metadata.name}` : `${name}-backup-${kind}`,
                    object,
                    opts,
                );
                kinds.add(kind);
            }
        }
    }
}
