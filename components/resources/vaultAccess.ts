/**
 * A namespace's own Vault access as resources (render/vaultAccess.ts): the Vault policy and role first
 * when the stack writes them, then the ServiceAccount ESO logs in as and the SecretStore. Used for each
 * agent's namespace and for the build namespace.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import type { VaultAccessObjects } from "../render/vaultAccess";
import { registerObject } from "./register";

/** Returns the SecretStore, which whatever reads through it waits for. */
export function registerVaultAccess(
    name: string,
    access: VaultAccessObjects,
    namespace: pulumi.Resource,
    parent: pulumi.Resource,
): pulumi.Resource[] {
    const dependsOn: pulumi.Resource[] = [namespace];
    if (access.policy && access.role) {
        const policy = new vault.Policy(
            `${name}-${access.policy.key}`,
            { name: access.policy.name, policy: access.policy.policy },
            { parent },
        );
        const { key, ...role } = access.role;
        dependsOn.push(
            new vault.kubernetes.AuthBackendRole(
                `${name}-${key}`,
                { ...role, tokenPolicies: [policy.name] },
                { parent },
            ),
        );
    }
    const serviceAccount = registerObject(`${name}-${access.serviceAccount.key}`, access.serviceAccount.object, {
        parent,
        dependsOn: [namespace],
    });
    return [
        registerObject(`${name}-${access.secretStore.key}`, access.secretStore.object, {
            parent,
            dependsOn: [serviceAccount, ...dependsOn],
        }),
    ];
}
