/**
 * The images every agent computer runs, built once per stack (not once per agent) from `images/`,
 * pushed to the registry and consumed by digest.
 */
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ImageName, ImagesSpec } from "./config";

/** Folder under `images/` and repository name in the registry, per image. */
export const IMAGE_FOLDERS: Record<ImageName, string> = {
    desktop: "desktop",
    computerControlMcp: "computer-control-mcp",
    shell: "shell",
};

const IMAGES_ROOT = path.join(__dirname, "..", "images");

export interface AgentImagesArgs {
    /** Registry host, e.g. registry.example.com. */
    registry: string;
    /** Project or path inside the registry, e.g. agents. */
    repository: string;
    spec: ImagesSpec;
    /** Which images some agent needs; the others are neither built nor resolved. */
    needed: ReadonlySet<ImageName>;
    /** Bake passwordless sudo into the desktop and shell images (some agent has `sudo: true`). */
    sudo: boolean;
    /** Password for `spec.registryUsername`; without both, the ambient `docker login` is used. */
    registryPassword?: pulumi.Input<string>;
}

export class AgentImages extends pulumi.ComponentResource {
    /** `repo@sha256:…` of each needed image. */
    readonly refs: Partial<Record<ImageName, pulumi.Output<string>>> = {};

    constructor(name: string, args: AgentImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:AgentImages", name, {}, opts);
        for (const image of args.needed) {
            const prebuilt = args.spec.prebuilt[image];
            this.refs[image] = prebuilt
                ? pulumi.output(prebuilt)
                : this.build(name, image, args).ref;
        }
        this.registerOutputs({ refs: this.refs });
    }

    private build(name: string, image: ImageName, args: AgentImagesArgs): dockerbuild.Image {
        const repository = `${args.registry}/${args.repository}/${IMAGE_FOLDERS[image]}`;
        const credentials = args.spec.registryUsername && args.registryPassword
            ? [{ address: args.registry, username: args.spec.registryUsername, password: pulumi.secret(args.registryPassword) }]
            : undefined;
        return new dockerbuild.Image(`${name}-${IMAGE_FOLDERS[image]}`, {
            context: {
                location: path.join(IMAGES_ROOT, IMAGE_FOLDERS[image]),
                // The git credential helper both the desktop and the shell install (COPY --from=git-credentials).
                named: { "git-credentials": { location: path.join(IMAGES_ROOT, "git-credentials") } },
            },
            platforms: args.spec.platforms as dockerbuild.types.enums.Platform[],
            buildArgs: image === "computerControlMcp" ? undefined : { AGENT_PASSWORDLESS_SUDO: String(args.sudo) },
            tags: [`${repository}:${args.spec.tag}`],
            push: true,
            // Previews stay fast and need no Docker; `up` builds, and the digest then pins the pods.
            buildOnPreview: false,
            registries: credentials,
            cacheFrom: [{ registry: { ref: `${repository}:buildcache` } }],
            cacheTo: [{ registry: { ref: `${repository}:buildcache`, mode: "max", imageManifest: true, ociMediaTypes: true, ignoreError: true } }],
        }, { parent: this });
    }
}
