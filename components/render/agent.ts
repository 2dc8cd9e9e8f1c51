/**
 * `renderAgent`: an agent's plan as Kubernetes objects (and the few Vault values), grouped by when they
 * must exist; resources/agent.ts registers them in that order. Pure: the same plan and image references
 * give the same objects (tests/golden/outputs/<case>/render.yaml).
 */
import type { AgentPlan } from "../plan/types";
import { backupObjects } from "./backup";
import { browserViewObjects } from "./browserView";
import { buildDaemonObjects } from "./buildService";
import { type ComputerObjects, computerObjects } from "./computer";
import { externalSecret, type VaultWrite, vaultWrite } from "./credentials";
import { egressProxyObjects } from "./egressProxy";
import { type KagentObjects, kagentObjects } from "./kagent";
import { agentMonitoringObjects } from "./monitoring";
import { networkPolicy } from "./networkPolicy";
import { type ImageRefs, namespaceObject, type Rendered } from "./objects";
import { quotaObjects } from "./quotas";
import { type VaultAccessObjects, vaultAccessObjects } from "./vaultAccess";
import { wakerAccessObjects } from "./waker";

export interface AgentObjects {
    namespace: Rendered;
    /** NetworkPolicies, ResourceQuota and LimitRange: a pod admitted before them would escape them. */
    guards: Rendered[];
    /** The agent's own SecretStore and Vault policy and role (none with the platform's ClusterSecretStore). */
    vaultAccess?: VaultAccessObjects;
    /** What the stack writes to Vault (nothing with `platform.vault.writeSecrets: false`). */
    vaultWrite?: VaultWrite;
    externalSecret: Rendered;
    /** The browser view's mode ConfigMap (mounted by the pod), Ingress and policy. */
    browserView: Rendered[];
    /** The egress proxy the computer sends everything to. */
    egressProxy: Rendered[];
    /** The agent's BuildKit daemon, in the build namespace (with the build service). */
    buildDaemon: Rendered[];
    computer: ComputerObjects;
    kagent: KagentObjects;
    /** Monitoring, backups and the waker's rights on the computer (when the agent sleeps on idle). */
    operations: Rendered[];
}

export function renderAgent(plan: AgentPlan, images: ImageRefs): AgentObjects {
    return {
        namespace: namespaceObject(plan.namespace.name, plan.namespace.labels),
        guards: [
            ...Object.entries(plan.network.policies).map(([key, policy]) => ({ key, object: networkPolicy(policy) })),
            ...(plan.egressProxy ? [{ key: "egress-proxy", object: networkPolicy(plan.egressProxy.policy) }] : []),
            ...quotaObjects(plan.quota),
        ],
        vaultAccess: vaultAccessObjects(plan.vaultAccess),
        vaultWrite: vaultWrite(plan.credentials),
        externalSecret: externalSecret(plan.credentials),
        browserView: plan.browserView ? browserViewObjects(plan.browserView) : [],
        egressProxy: plan.egressProxy ? egressProxyObjects(plan.agent, plan.egressProxy, images) : [],
        buildDaemon: plan.buildDaemon ? buildDaemonObjects(plan.buildDaemon, images) : [],
        computer: computerObjects(plan.agent, plan.namespace.name, plan.computer, images),
        kagent: kagentObjects(plan),
        operations: [
            ...(plan.monitoring ? agentMonitoringObjects(plan.monitoring) : []),
            ...(plan.backup ? backupObjects(plan.agent, plan.backup, images) : []),
            ...(plan.sleep ? wakerAccessObjects(plan.sleep) : []),
        ],
    };
}
