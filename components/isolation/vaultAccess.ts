/**
 * Per-agent Vault access: a policy that reads only the agent's two paths, a Kubernetes-auth role bound
 * to a ServiceAccount of the agent's namespace, and a namespaced SecretStore that logs in with it.
 * ESO in one agent's namespace can then read nothing of another's.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { AgentSpec, PlatformSpec } from "../config";
import { vaultPaths } from "../credentials";
import { agentLabels } from "../labels";
import { agentObjectNames, vaultAccessName } from "../naming";

/** The agent's Vault policy and Kubernetes-auth role share this name (see naming.ts). */
export function vaultRoleName(agent: string, platform: PlatformSpec): string {
    return vaultAccessName(agent, platform.vault.mount, platform.vault.pathPrefix);
}

/** The policy text: read on the KV v2 data of exactly the agent's provided and generated paths. */
export function vaultPolicyDocument(agent: string, platform: PlatformSpec): string {
    const paths = vaultPaths(agent, platform);
    return [paths.provided, paths.generated]
        .map((path) => `path "${platform.vault.mount}/data/${path}" {\n  capabilities = ["read"]\n}\n`)
        .join("\n");
}

export function secretStoreManifest(agent: AgentSpec, platform: PlatformSpec, namespace: pulumi.Input<string>) {
    const names = agentObjectNames(agent.name);
    return {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: names.secretStore, namespace, labels: agentLabels(agent.name, "credentials") },
        spec: {
            provider: {
                vault: {
                    server: platform.vault.address,
                    path: platform.vault.mount,
                    version: "v2",
                    auth: {
                        kubernetes: {
                            mountPath: platform.vault.authMount,
                            role: vaultRoleName(agent.name, platform),
                            serviceAccountRef: { name: names.secretsServiceAccount, audiences: [platform.vault.audience] },
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
    name: string, agent: AgentSpec, platform: PlatformSpec, namespace: pulumi.Input<string>, parent: pulumi.Resource,
): AgentVaultAccess {
    if (platform.secretStore.kind === "ClusterSecretStore") {
        return { storeRef: { kind: "ClusterSecretStore", name: platform.secretStore.name }, dependsOn: [] };
    }
    const names = agentObjectNames(agent.name);
    const dependsOn: pulumi.Resource[] = [];
    if (platform.vault.writeSecrets) {
        const policy = new vault.Policy(`${name}-vault-policy`, {
            name: vaultRoleName(agent.name, platform),
            policy: vaultPolicyDocument(agent.name, platform),
        }, { parent });
        dependsOn.push(new vault.kubernetes.AuthBackendRole(`${name}-vault-role`, {
            backend: platform.vault.authMount,
            roleName: vaultRoleName(agent.name, platform),
            boundServiceAccountNames: [names.secretsServiceAccount],
            boundServiceAccountNamespaces: [agent.namespace],
            audience: platform.vault.audience,
            tokenPolicies: [policy.name],
            tokenTtl: 600,
            tokenMaxTtl: 1200,
        }, { parent }));
    }
    // Only ESO uses this account (through the TokenRequest API); no pod runs as it.
    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-secrets`, {
        metadata: { name: names.secretsServiceAccount, namespace, labels: agentLabels(agent.name, "credentials") },
        automountServiceAccountToken: false,
    }, { parent });
    const store = new k8s.apiextensions.CustomResource(`${name}-vault`, secretStoreManifest(agent, platform, namespace), {
        parent,
        dependsOn: [serviceAccount, ...dependsOn],
    });
    return { storeRef: { kind: "SecretStore", name: names.secretStore }, dependsOn: [store] };
}
