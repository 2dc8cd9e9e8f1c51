/**
 * Renders per-agent Vault access: a policy that reads only the agent's two paths, a Kubernetes-auth
 * role bound to a ServiceAccount of the agent's namespace, and a namespaced SecretStore that logs in
 * with it. ESO in one agent's namespace can then read nothing of another's.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { VaultSpec } from "../config";
import { AgentPlan } from "../plan";

export function secretStoreManifest(plan: AgentPlan, vaultSpec: VaultSpec, namespace: pulumi.Input<string>) {
    const access = plan.vaultAccess;
    return {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: access.store.name, namespace, labels: access.labels },
        spec: {
            provider: {
                vault: {
                    server: vaultSpec.address,
                    path: vaultSpec.mount,
                    version: "v2",
                    auth: {
                        kubernetes: {
                            mountPath: vaultSpec.authMount,
                            role: access.roleName,
                            serviceAccountRef: { name: access.serviceAccount, audiences: [vaultSpec.audience] },
                        },
                    },
                },
            },
        },
    };
}

export interface AgentVaultAccess {
    storeRef: { kind: string; name: string };
    dependsOn: pulumi.Resource[];
}

export function createVaultAccess(
    name: string,
    plan: AgentPlan,
    vaultSpec: VaultSpec,
    namespace: pulumi.Input<string>,
    parent: pulumi.Resource,
): AgentVaultAccess {
    const access = plan.vaultAccess;
    if (access.store.kind === "ClusterSecretStore") {
        return { storeRef: access.store, dependsOn: [] };
    }
    const dependsOn: pulumi.Resource[] = [];
    if (vaultSpec.writeSecrets) {
        const policy = new vault.Policy(
            `${name}-vault-policy`,
            { name: access.policyName, policy: access.policy },
            { parent },
        );
        dependsOn.push(
            new vault.kubernetes.AuthBackendRole(
                `${name}-vault-role`,
                {
                    backend: vaultSpec.authMount,
                    roleName: access.roleName,
                    boundServiceAccountNames: [access.serviceAccount],
                    boundServiceAccountNamespaces: [plan.namespace],
                    audience: vaultSpec.audience,
                    tokenPolicies: [policy.name],
                    tokenTtl: 600,
                    tokenMaxTtl: 1200,
                },
                { parent },
            ),
        );
    }
    // Only ESO uses this account (through the TokenRequest API); no pod runs as it.
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        `${name}-secrets`,
        {
            metadata: { name: access.serviceAccount, namespace, labels: access.labels },
            automountServiceAccountToken: false,
        },
        { parent },
    );
    const store = new k8s.apiextensions.CustomResource(
        `${name}-vault`,
        secretStoreManifest(plan, vaultSpec, namespace),
        {
            parent,
            dependsOn: [serviceAccount, ...dependsOn],
        },
    );
    return { storeRef: access.store, dependsOn: [store] };
}
