/**
 * What a stack with `platform.vault.writeSecrets: false` leaves to the operator in Vault, decided by the
 * program itself (its config parser and `planAgent`), so that nothing here repeats how the program names
 * policies, roles, paths or fields:
 *
 *   npx tsx scripts/local-stack/vault-plan.ts Pulumi.local.yaml
 *
 * prints it as JSON (`vaultPlan` returns it): the KV mount, the Kubernetes auth mount and audience, and per agent its Vault policy (name
 * and text), its Kubernetes-auth role (name, bound ServiceAccount and namespace, token lifetimes), its two
 * paths, the fields the stack would generate (with their length and rotation counter) and the fields the
 * operator provides, planned as if the stack wrote to Vault (its policies and roles are rendered by
 * components/render/vaultAccess.ts, as the stack creates them). scripts/local-stack/vault-secrets.ts writes them for the local stack.
 */
import type { AgentPlan } from "../../components/plan";
import { vaultAccessObjects } from "../../components/render/vaultAccess";
import { stackPlans } from "./stackPlans";

export interface AgentVaultPlan {
    name: string;
    namespace: string;
    store: { kind: string; name: string };
    /** None with a ClusterSecretStore: the shared store's access is the platform's. */
    policy?: { name: string; text: string };
    role?: {
        name: string;
        serviceAccounts: string[];
        namespaces: string[];
        audience: string;
        tokenTtl: number;
        tokenMaxTtl: number;
    };
    paths: { provided: string; generated: string };
    generated: { field: string; length: number; rotation: number }[];
    fromConfig: string[];
    provided: string[];
}

export interface VaultPlan {
    mount: string;
    authMount: string;
    audience: string;
    agents: AgentVaultPlan[];
}

/** What the stack writes to the agent's generated path when it writes to Vault. */
const written = (plan: AgentPlan) => plan.credentials.vaultWrite?.values ?? [];

export function vaultPlan(file: string): VaultPlan {
    // Planned as if the stack wrote to Vault: the policies and roles it would create are then in the plan.
    const { platform, plans } = stackPlans(file, { writeSecrets: true });
    return {
        mount: platform.vault.mount,
        authMount: platform.vault.authMount,
        audience: platform.vault.audience,
        agents: plans.map((plan) => {
            const access = vaultAccessObjects(plan.vaultAccess);
            return {
                name: plan.agent,
                namespace: plan.namespace.name,
                store: plan.vaultAccess.store,
                policy: access?.policy && { name: access.policy.name, text: access.policy.policy },
                role: access?.role && {
                    name: access.role.roleName,
                    serviceAccounts: access.role.boundServiceAccountNames,
                    namespaces: access.role.boundServiceAccountNamespaces,
                    audience: access.role.audience,
                    tokenTtl: access.role.tokenTtl,
                    tokenMaxTtl: access.role.tokenMaxTtl,
                },
                paths: plan.credentials.vaultPaths,
                generated: written(plan).flatMap((value) =>
                    "generated" in value
                        ? [
                              {
                                  field: value.vaultField,
                                  length: value.generated.length,
                                  rotation: value.generated.rotation,
                              },
                          ]
                        : [],
                ),
                // Values from stack config or certificates the stack issues: only a stack that writes can.
                fromConfig: written(plan).flatMap((value) => ("generated" in value ? [] : [value.vaultField])),
                provided: plan.credentials.fetched
                    .filter((value) => value.vaultPath === plan.credentials.vaultPaths.provided)
                    .map((value) => value.vaultField),
            };
        }),
    };
}

if (require.main === module) {
    if (!process.argv[2]) {
        console.error("usage: tsx scripts/local-stack/vault-plan.ts <Pulumi.<stack>.yaml>");
        process.exit(2);
    }
    console.log(JSON.stringify(vaultPlan(process.argv[2]), null, 2));
}
