/**
 * One agent, as one component: its plan (components/plan) rendered (components/render) and registered
 * here, in the order its objects must exist. The only decisions made here are Pulumi's: which resource
 * waits for which, and which survives the agent's removal.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vault from "@pulumi/vault";
import type { AgentPlan } from "../plan";
import { type ImageRefs, renderAgent } from "../render";
import type { VaultWrite } from "../render/credentials";
import type { VaultAccessObjects } from "../render/vaultAccess";
import { register, registerObject } from "./register";

/**
 * Fields of a claim the program never changes once the claim exists. Kubernetes cannot change them on a
 * claim, so a diff on any of them makes the engine replace the claim, which deletes the workspace:
 * - `spec.dataSource(Ref)`: restoring is a deliberate procedure (docs/runbook.md, "Restore a workspace
 *   from a snapshot"), not a config edit;
 * - `spec.volumeName`, `spec.storageClassName`, `spec.volumeMode`: the cluster fills them in when the claim
 *   binds; a claim brought back with `pulumi import` (docs/runbook.md) carries them and the program does
 *   not, which planned a replacement (found by tests/real/lifecycle.test.ts). A changed storage class
 *   therefore applies to new claims only.
 */
const CLAIM_IGNORED_CHANGES = [
    "spec.dataSource",
    "spec.dataSourceRef",
    "spec.volumeName",
    "spec.storageClassName",
    "spec.volumeMode",
];

export interface PersistentAgentArgs {
    plan: AgentPlan;
    images: ImageRefs;
}

export class PersistentAgent extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: PersistentAgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:PersistentAgent", name, {}, opts);
        const { plan } = args;
        const objects = renderAgent(plan, args.images);
        const parent = { parent: this };

        const namespace = registerObject(`${name}-${objects.namespace.key}`, objects.namespace.object, {
            ...parent,
            // Deleting the namespace would delete the workspace claims in it.
            retainOnDelete: plan.namespace.retainOnDelete,
        });
        // Everything else of the agent lives in its namespace, so waits for it.
        const inNamespace = { ...parent, dependsOn: [namespace] };

        const guards = register(name, objects.guards, inNamespace);
        const store = objects.vaultAccess ? this.vaultAccess(name, objects.vaultAccess, namespace) : [];
        const written = objects.vaultWrite ? [this.writeToVault(name, objects.vaultWrite)] : [];
        const externalSecret = registerObject(`${name}-${objects.externalSecret.key}`, objects.externalSecret.object, {
            ...parent,
            // The store (and its Vault role) must exist to sync, and the values it reads must be written.
            dependsOn: [namespace, ...store, ...written],
        });

        // The mode ConfigMap before the pod that mounts it; the route and its policy alongside.
        const browserView = register(name, objects.browserView, inNamespace);
        // The egress proxy before the computer that sends everything to it; the broker's Secret key first.
        const egressProxy = register(name, objects.egressProxy, {
            ...parent,
            dependsOn: [namespace, externalSecret, ...guards],
        });

        const { computer } = objects;
        // The workspace outlives the agent's config entry unless the operator asks otherwise.
        register(name, computer.claims, {
            ...inNamespace,
            retainOnDelete: plan.computer.retainOnDelete,
            ignoreChanges: CLAIM_IGNORED_CHANGES,
        });
        const serviceAccount = register(name, [computer.serviceAccount], inNamespace);
        register(name, [computer.deployment], {
            ...parent,
            // Quotas and policies first: a pod admitted before them would escape them. Not dependent on the
            // claims: with a WaitForFirstConsumer storage class a claim binds only once this pod exists, so
            // waiting for the claims first could deadlock the update.
            dependsOn: [namespace, externalSecret, ...guards, ...browserView, ...egressProxy, ...serviceAccount],
        });
        register(name, [computer.service], inNamespace);

        // The ModelConfig and servers read the agent's Secret; the Agent names them.
        const { kagent } = objects;
        const afterSecret = { ...parent, dependsOn: [namespace, externalSecret] };
        const kagentParts = register(name, [kagent.modelConfig, ...kagent.mcpServers], afterSecret);
        register(name, [kagent.agent], { ...parent, dependsOn: [namespace, ...kagentParts] });

        register(name, objects.operations, inNamespace);

        this.namespace = pulumi.output(plan.namespace.name);
        this.registerOutputs({ namespace: this.namespace, endpoints: plan.endpoints });
    }

    /** The ServiceAccount and SecretStore; the Vault policy and role first, when the stack writes them. */
    private vaultAccess(name: string, access: VaultAccessObjects, namespace: pulumi.Resource): pulumi.Resource[] {
        const dependsOn: pulumi.Resource[] = [namespace];
        if (access.policy && access.role) {
            const policy = new vault.Policy(
                `${name}-${access.policy.key}`,
                { name: access.policy.name, policy: access.policy.policy },
                { parent: this },
            );
            const { key, ...role } = access.role;
            dependsOn.push(
                new vault.kubernetes.AuthBackendRole(
                    `${name}-${key}`,
                    { ...role, tokenPolicies: [policy.name] },
                    { parent: this },
                ),
            );
        }
        const serviceAccount = registerObject(`${name}-${access.serviceAccount.key}`, access.serviceAccount.object, {
            parent: this,
            dependsOn: [namespace],
        });
        return [
            registerObject(`${name}-${access.secretStore.key}`, access.secretStore.object, {
                parent: this,
                dependsOn: [serviceAccount, ...dependsOn],
            }),
        ];
    }

    /** The generated passwords and the operator's config secrets, at the agent's generated path. */
    private writeToVault(name: string, write: VaultWrite): vault.kv.SecretV2 {
        const fields: Record<string, pulumi.Output<string>> = {};
        const passwords = new Map(write.passwords.map((password) => [password.vaultField, password]));
        for (const field of write.fields) {
            const password = passwords.get(field);
            fields[field] = password
                ? new random.RandomPassword(
                      `${name}-${password.key}`,
                      { length: password.length, special: false, keepers: { rotation: String(password.rotation) } },
                      { parent: this },
                  ).result
                : pulumi.secret(write.fromConfig[field]);
        }
        return new vault.kv.SecretV2(
            `${name}-${write.key}`,
            {
                mount: write.mount,
                // Explicit: without it the provider derives a path from the resource name.
                name: write.path,
                dataJson: pulumi.secret(pulumi.all(fields).apply((values) => JSON.stringify(values))),
                deleteAllVersions: true,
            },
            { parent: this },
        );
    }
}
