/** What keeps one agent from another: network policies, quotas, pod security, Vault access. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AgentSpec, PlatformSpec } from "../config";
import { networkPolicies } from "./networkPolicies";
import { limitRange, resourceQuota } from "./quotas";

export { createVaultAccess, vaultPolicyDocument, vaultRoleName } from "./vaultAccess";
export { KAGENT_POD_SECURITY, podSecurityLabels } from "./podSecurity";
export { PRIVATE_RANGES, egressRule, kagentPodSelector, networkPolicies } from "./networkPolicies";
export { limitRange, quotaFigures, resourceQuota } from "./quotas";

export function createNamespaceGuards(
    name: string, agent: AgentSpec, platform: PlatformSpec, namespace: pulumi.Input<string>, parent: pulumi.Resource,
): pulumi.Resource[] {
    const inNamespace = <T extends { metadata?: any }>(object: T): T => ({ ...object, metadata: { ...object.metadata, namespace } });
    const guards: pulumi.Resource[] = networkPolicies(agent, platform).map((policy) =>
        new k8s.networking.v1.NetworkPolicy(`${name}-${(policy.metadata as { name: string }).name.slice(agent.name.length + 1)}`, inNamespace(policy), { parent }));
    guards.push(
        new k8s.core.v1.ResourceQuota(`${name}-quota`, inNamespace(resourceQuota(agent)), { parent }),
        new k8s.core.v1.LimitRange(`${name}-limits`, inNamespace(limitRange(agent)), { parent }),
    );
    return guards;
}
