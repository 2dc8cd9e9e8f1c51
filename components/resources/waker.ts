/**
 * The stack's waker (plan/waker.ts says what and why): its namespace, the policies in it first, then the
 * waker itself. Each agent's Role for it is one of the agent's resources (resources/agent.ts), so that
 * adding an agent that sleeps changes nothing of the others but the waker's routes.
 */
import * as pulumi from "@pulumi/pulumi";
import type { WakerPlan } from "../plan";
import { type ImageRefs, wakerObjects } from "../render";
import { register, registerObject } from "./register";

export interface WakerArgs {
    plan: WakerPlan;
    images: ImageRefs;
}

export class Waker extends pulumi.ComponentResource {
    readonly namespace: string;
    /** What an object of an agent's in the waker's namespace waits for (its browser view's Ingress). */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: WakerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:Waker", name, {}, opts);
        const objects = wakerObjects(args.plan, args.images);
        const namespace = registerObject(`${name}-${objects.namespace.key}`, objects.namespace.object, {
            parent: this,
        });
        // The policies before the pod: a pod admitted before them would escape them.
        const [defaultDeny, policy, ...rest] = objects.inNamespace;
        const guards = register(name, [defaultDeny, policy], { parent: this, dependsOn: [namespace] });
        register(name, rest, { parent: this, dependsOn: [namespace, ...guards] });
        this.namespace = args.plan.namespace;
        this.ready = [namespace];
        this.registerOutputs({ namespace: this.namespace });
    }
}
