/**
 * Per-agent Vault access as its plan says (plan/vaultAccess.ts): the ServiceAccount ESO logs in with and
 * the namespaced SecretStore in the cluster, and the Vault policy and Kubernetes-auth role in Vault.
 */
import type { VaultAccessPlan } from "../plan/types";
import type { KubernetesObject, Rendered } from "./objects";

export interface VaultPolicy {
    key: "vault-policy";
    name: string;
    policy: string;
}

export interface VaultRole {
    key: "vault-role";
    backend: string;
    roleName: string;
    boundServiceAccountNames: string[];
    boundServiceAccountNamespaces: string[];
    audience: string;
    tokenTtl: number;
    tokenMaxTtl: number;
}

export interface VaultAccessObjects {
    serviceAccount: Rendered;
    secretStore: Rendered;
    /** In Vault; none when the stack writes nothing there. */
    policy?: VaultPolicy;
    role?: VaultRole;
}

export function vaultAccessObjects(plan: VaultAccessPlan): VaultAccessObjects | undefined {
    const access = plan.perAgent;
    if (access === undefined) {
        return undefined;
    }
    const metadata = (name: string) => ({ name, namespace: access.namespace, labels: access.labels });
    const secretStore: KubernetesObject = {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: metadata(plan.store.name),
        spec: {
            provider: {
                vault: {
                    server: access.vault.server,
                    path: access.vault.mount,
                    version: "v2",
                    auth: {
                        kubernetes: {
                            mountPath: access.vault.authMount,
                            role: access.roleName,
                            serviceAccountRef: { name: access.serviceAccount, audiences: [access.vault.audience] },
                        },
                    },
                },
            },
        },
    };
    const written = access.policyAndRole;
    return {
        // Only ESO uses this account (through the TokenRequest API); no pod runs as it.
        serviceAccount: {
            key: "secrets",
            object: {
                apiVersion: "v1",
                kind: "ServiceAccount",
                metadata: metadata(access.serviceAccount),
                automountServiceAccountToken: false,
            },
        },
        secretStore: { key: "vault", object: secretStore },
        policy: written && { key: "vault-policy", name: written.policyName, policy: written.policy },
        role: written && {
            key: "vault-role",
            backend: access.vault.authMount,
            roleName: access.roleName,
            boundServiceAccountNames: [access.serviceAccount],
            boundServiceAccountNamespaces: [access.namespace],
            audience: access.vault.audience,
            tokenTtl: written.tokenTtl,
            tokenMaxTtl: written.tokenMaxTtl,
        },
    };
}
