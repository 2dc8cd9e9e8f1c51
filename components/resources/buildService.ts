/**
 * The BuildKit daemon agents build and push images on (plan/buildService.ts says what and why), as one
 * component: its namespace, then its Deployment, Service and NetworkPolicy in it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BuildServicePlan } from "../plan";
import { buildServiceObjects } from "../render";
import { register, registerObject } from "./register";

export interface BuildServiceArgs {
    plan: BuildServicePlan;
}

export class BuildService extends pulumi.ComponentResource {
    /** What agents pass as `buildctl --addr` (or set as BUILDKIT_HOST). */
    readonly address: string;

    constructor(name: string, args: BuildServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:BuildService", name, {}, opts);
        const objects = buildServiceObjects(args.plan);
        const namespace = registerObject(`${name}-${objects.namespace.key}`, objects.namespace.object, {
            parent: this,
        });
        register(name, objects.inNamespace, { parent: this, dependsOn: [namespace] });
        this.address = args.plan.address;
        this.registerOutputs({ address: this.address });
    }
}
