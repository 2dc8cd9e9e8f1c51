/**
 * The build service's stack-level resources (plan/buildService.ts says what and why): its namespace, the
 * default-deny policy in it, and the SecretStore (with its Vault policy and role) the daemons' server
 * certificates come through. Each agent's daemon is one of the agent's resources (resources/agent.ts),
 * so that adding an agent changes nothing of the others.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BuildServicePlan } from "../plan";
import { buildServiceObjects } from "../render";
import { register, registerObject } from "./register";
import { registerVaultAccess } from "./vaultAccess";

export interface BuildServiceArgs {
    plan: BuildServicePlan;
}

export class BuildService extends pulumi.ComponentResource {
    readonly namespace: string;
    /** What an agent's daemon objects wait for: the namespace, its policy and the SecretStore. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: BuildServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:BuildService", name, {}, opts);
        const objects = buildServiceObjects(args.plan);
        const namespace = registerObject(`${name}-${objects.namespace.key}`, objects.namespace.object, {
            parent: this,
        });
        const guards = register(name, objects.inNamespace, { parent: this, dependsOn: [namespace] });
        const store = objects.vaultAccess ? registerVaultAccess(name, objects.vaultAccess, namespace, this) : [];
        this.namespace = args.plan.namespace;
        this.ready = [namespace, ...guards, ...store];
        this.registerOutputs({ namespace: this.namespace });
    }
}
