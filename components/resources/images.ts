/**
 * The images every agent computer runs, built once per stack (not once per agent) from `images/` as
 * the stack plan says (plan/images.ts reads images/builds.json), pushed to the registry and consumed by
 * digest.
 */
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { ImageName } from "../config";
import type { ImageBuildPlan, ImagesPlan } from "../plan";

/** docker-build's context, Dockerfile and build args for one image's build plan. */
export function buildInputs(build: ImageBuildPlan): {
    context: dockerbuild.types.input.BuildContextArgs;
    dockerfile: dockerbuild.types.input.DockerfileArgs;
    buildArgs?: Record<string, string>;
} {
    const named = Object.fromEntries(
        Object.entries(build.namedContexts).map(([name, location]) => [name, { location }]),
    );
    return {
        context: { location: build.context, ...(Object.keys(named).length ? { named } : {}) },
        dockerfile: { location: build.dockerfile },
        buildArgs: build.buildArgs,
    };
}

export interface AgentImagesArgs {
    plan: ImagesPlan;
    /** Password of `plan.registryUsername` (the secret config `registryPassword`). */
    registryPassword?: pulumi.Input<string>;
}

export class AgentImages extends pulumi.ComponentResource {
    /** `repo@sha256:…` of each needed image. */
    readonly refs: Partial<Record<ImageName, pulumi.Output<string>>> = {};

    constructor(name: string, args: AgentImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:AgentImages", name, {}, opts);
        for (const image of args.plan.needed) {
            const prebuilt = args.plan.prebuilt[image];
            const build = args.plan.builds[image];
            this.refs[image] = prebuilt ? pulumi.output(prebuilt) : this.build(name, build as ImageBuildPlan, args).ref;
        }
        this.registerOutputs({ refs: this.refs });
    }

    private build(name: string, build: ImageBuildPlan, args: AgentImagesArgs): dockerbuild.Image {
        const { plan } = args;
        const repository = `${plan.registry}/${plan.repository}/${build.repository}`;
        const credentials =
            plan.registryUsername && args.registryPassword
                ? [
                      {
                          address: plan.registry,
                          username: plan.registryUsername,
                          password: pulumi.secret(args.registryPassword),
                      },
                  ]
                : undefined;
        return new dockerbuild.Image(
            `${name}-${build.repository}`,
            {
                ...buildInputs(build),
                platforms: plan.platforms as dockerbuild.types.enums.Platform[],
                tags: [`${repository}:${plan.tag}`],
                push: true,
                // Previews stay fast and need no Docker; `up` builds, and the digest then pins the pods.
                buildOnPreview: false,
                registries: credentials,
                cacheFrom: [{ registry: { ref: `${repository}:buildcache` } }],
                cacheTo: [
                    {
                        registry: {
                            ref: `${repository}:buildcache`,
                            mode: "max",
                            imageManifest: true,
                            ociMediaTypes: true,
                            ignoreError: true,
                        },
                    },
                ],
            },
            { parent: this },
        );
    }
}
