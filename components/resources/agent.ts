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
import type { Rendered } from "../render/objects";
import type { TlsPart } from "../contract/buildService";
import { type IssuedBuildCertificates, issueBuildCertificates } from "./buildCertificates";
import type { BuildService } from "./buildService";
import { register, registerObject } from "./register";
import { registerVaultAccess } from "./vaultAccess";
import type { Waker } from "./waker";

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
    /** The build namespace's resources, when the stack runs the build service (the agent's daemon goes there). */
    buildService?: BuildService;
    /** The stack's waker, when it runs (an agent that sleeps has its browser view's Ingress in its namespace). */
    waker?: Waker;
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
        const store = objects.vaultAccess ? registerVaultAccess(name, objects.vaultAccess, namespace, this) : [];
        // The agent's build certificates (only when the stack writes to Vault: their keys go nowhere else).
        const certificates =
            plan.buildDaemon && objects.vaultWrite
                ? issueBuildCertificates(name, plan.buildDaemon.certificates, this)
                : undefined;
        const written = objects.vaultWrite ? [this.writeToVault(name, objects.vaultWrite, certificates)] : [];
        const externalSecret = registerObject(`${name}-${objects.externalSecret.key}`, objects.externalSecret.object, {
            ...parent,
            // The store (and its Vault role) must exist to sync, and the values it reads must be written.
            dependsOn: [namespace, ...store, ...written],
        });

        // The mode ConfigMap before the pod that mounts it; the route and its policy alongside (the route in
        // the waker's namespace when the agent sleeps).
        const browserView = register(name, objects.browserView, {
            ...parent,
            dependsOn: [namespace, ...(plan.sleep && args.waker ? args.waker.ready : [])],
        });
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
            // Asleep or awake is the waker's (plan/waker.ts): the program renders no replicas then, and a
            // refresh that reads the waker's value back must not turn into a change either.
            ...(plan.sleep ? { ignoreChanges: ["spec.replicas"] } : {}),
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

        if (plan.buildDaemon) {
            this.buildDaemon(name, plan, objects.buildDaemon, args.buildService, certificates);
        }

        this.namespace = pulumi.output(plan.namespace.name);
        this.registerOutputs({ namespace: this.namespace, endpoints: plan.endpoints });
    }

    /**
     * The agent's BuildKit daemon in the build namespace: the server side of its certificates to its own
     * Vault path (only the build namespace's store reads it), then its ExternalSecret, Deployment, Service
     * and policy, after the namespace, its default-deny policy and the store exist.
     */
    private buildDaemon(
        name: string,
        plan: AgentPlan,
        objects: Rendered[],
        buildService: BuildService | undefined,
        certificates: IssuedBuildCertificates | undefined,
    ): void {
        const daemon = plan.buildDaemon;
        if (daemon === undefined) {
            throw new Error(`agent ${plan.agent}: registering a build daemon its plan does not have`);
        }
        if (buildService === undefined) {
            throw new Error(`agent ${plan.agent}: its plan has a build daemon, but the stack has no build service`);
        }
        const dependsOn = [...buildService.ready];
        if (certificates) {
            const issued: Record<TlsPart, pulumi.Output<string>> = {
                ca: certificates.caCert,
                cert: certificates.serverCert,
                key: certificates.serverKey,
            };
            const fields = Object.fromEntries(
                (Object.keys(issued) as TlsPart[]).map((part) => [daemon.tls.files[part].vaultField, issued[part]]),
            );
            dependsOn.push(
                new vault.kv.SecretV2(
                    `${name}-build-daemon`,
                    {
                        mount: daemon.tls.vaultMount,
                        name: daemon.tls.vaultPath,
                        dataJson: pulumi.secret(pulumi.all(fields).apply((values) => JSON.stringify(values))),
                        deleteAllVersions: true,
                    },
                    { parent: this },
                ),
            );
        }
        register(name, objects, { parent: this, dependsOn });
    }

    /** The generated passwords and the operator's config secrets, at the agent's generated path. */
    private writeToVault(
        name: string,
        write: VaultWrite,
        certificates: IssuedBuildCertificates | undefined,
    ): vault.kv.SecretV2 {
        const fields: Record<string, pulumi.Output<string>> = {};
        const passwords = new Map(write.passwords.map((password) => [password.vaultField, password]));
        const client = certificates && {
            ca: certificates.caCert,
            cert: certificates.clientCert,
            key: certificates.clientKey,
        };
        for (const field of write.fields) {
            const part = write.certificates[field];
            if (part !== undefined) {
                if (client === undefined) {
                    throw new Error(`${name}: the plan writes build certificates, but none were issued`);
                }
                fields[field] = client[part];
                continue;
            }
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
