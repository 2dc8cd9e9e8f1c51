/** What keeps one agent from another: network policies, quotas, pod security, Vault access. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformSpec } from "../config";
import { AgentPlan } from "../plan";
import { networkPolicies } from "../render/networkPolicies";
import { limitRange, resourceQuota } from "../render/quotas";

export { createVaultAccess } from "./vaultAccess";

export function createNamespaceGuards(
    name: string,
    plan: AgentPlan,
    platform: PlatformSpec,
    namespace: pulumi.Input<string>,
    parent: pulumi.Resource,
): pulumi.Resource[] {
    // `namespace` is the Namespace resource's output, so that every guard waits for the namespace.
    const guards: pulumi.Resource[] = Object.entries(networkPolicies(plan, platform, namespace)).map(
        ([key, policy]) => new k8s.networking.v1.NetworkPolicy(`${name}-${key}`, policy, { parent }),
    );
    guards.push(
        new k8s.core.v1.ResourceQuota(`${name}-quota`, resourceQuota(plan, namespace), { parent }),
        new k8s.core.v1.LimitRange(`${name}-limits`, limitRange(plan, namespace), { parent }),
    );
    return guards;
}
