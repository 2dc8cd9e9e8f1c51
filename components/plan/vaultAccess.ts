/**
 * Per-agent Vault access (docs/architecture.md, security model): a policy that reads only the agent's
 * two paths, a Kubernetes-auth role bound to a ServiceAccount of the agent's namespace, and a namespaced
 * SecretStore that logs in with it; or, with `secretStore.kind: ClusterSecretStore`, the platform's
 * shared store and nothing of the agent's own.
 */
import type { AgentSpec, PlatformSpec } from "../config";
import { agentLabels } from "../contract/labels";
import { agentObjectNames, vaultAccessName, vaultPaths } from "../contract/names";
import type { VaultAccessPlan } from "./parts";

/** How long a Vault token of the agent's role lives: ESO logs in again for each refresh. */
const TOKEN_TTL_SECONDS = 600;
const TOKEN_MAX_TTL_SECONDS = 1200;

export function planVaultAccess(agent: AgentSpec, platform: PlatformSpec): VaultAccessPlan {
    const vault = platform.vault;
    if (platform.secretStore.kind === "ClusterSecretStore") {
        return { store: { kind: "ClusterSecretStore", name: platform.secretStore.name } };
    }
    const names = agentObjectNames(agent.name);
    const access = vaultAccessName(agent.name, vault.mount, vault.pathPrefix);
    const { provided, generated } = vaultPaths(agent.name, vault.pathPrefix);
    return {
        store: { kind: "SecretStore", name: names.secretStore },
        perAgent: {
            namespace: agent.namespace,
            labels: agentLabels(agent.name, "credentials"),
            serviceAccount: names.secretsServiceAccount,
            vault: { server: vault.address, mount: vault.mount, authMount: vault.authMount, audience: vault.audience },
            roleName: access,
            // Without writeSecrets the stack writes nothing to Vault: the policy and role are the operator's.
            policyAndRole: vault.writeSecrets
                ? {
                      policyName: access,
                      // Read on the KV v2 data of exactly the agent's provided and generated paths.
                      policy: [provided, generated]
                          .map((path) => `path "${vault.mount}/data/${path}" {\n  capabilities = ["read"]\n}\n`)
                          .join("\n"),
                      tokenTtl: TOKEN_TTL_SECONDS,
                      tokenMaxTtl: TOKEN_MAX_TTL_SECONDS,
                  }
                : undefined,
        },
    };
}
