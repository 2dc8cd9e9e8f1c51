/**
 * The images every agent computer runs, built once per stack (not once per agent) from `images/`,
 * pushed to the registry and consumed by digest.
 *
 * How each image is built (context, Dockerfile, named contexts, the sudo build arg) is read from
 * images/builds.json, which scripts/images/build.sh reads too: the images the tests build and run are
 * built exactly as `pulumi up` builds them.
 */
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { IMAGE_NAMES, ImageName, ImagesSpec } from "../config";

const IMAGES_ROOT = path.join(__dirname, "..", "..", "images");
export const IMAGE_BUILDS_FILE = path.join(IMAGES_ROOT, "builds.json");

const folder = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "a folder directly under images/");
const imageBuild = z.strictObject({
    /** Repository name under `<registry>/<imageRepository>/`. */
    repository: folder,
    /** Build context, a folder under images/. */
    context: folder,
    /** Dockerfile, relative to the context. */
    dockerfile: z.string().min(1),
    /** Extra contexts for `COPY --from=<name>`: name -> folder under images/. */
    namedContexts: z.record(z.string().min(1), folder),
    /** Build arg that receives "true" when some agent of the stack has `sudo: true`, else "false". */
    sudoBuildArg: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/)
        .nullable(),
    /** Keys of `bases`: the images this one's FROM lines name. */
    bases: z.array(z.string()).min(1),
    /** The most the built image may weigh, uncompressed, in MB (10^6 bytes); tests/images enforces it. */
    sizeBudgetMB: z.number().int().positive(),
});
const imageBuilds = z.object({
    images: z.strictObject(
        Object.fromEntries(IMAGE_NAMES.map((name) => [name, imageBuild])) as Record<ImageName, typeof imageBuild>,
    ),
    /** Fully qualified base images, as the Dockerfiles' FROM lines name them. */
    bases: z.record(
        z.string(),
        z.string().regex(/^[a-z0-9.-]+\.[a-z]+\/\S+:\S+$/, "a fully qualified image reference with a tag"),
    ),
});
export type ImageBuild = z.infer<typeof imageBuild>;
export type ImageBuilds = z.infer<typeof imageBuilds>;

/** Parses images/builds.json (or `text`), naming the field and the file on any mistake. */
export function parseImageBuilds(text: string, file = IMAGE_BUILDS_FILE): ImageBuilds {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
    }
    const parsed = imageBuilds.safeParse(json);
    if (!parsed.success) {
        const problems = parsed.error.issues.map(
            (issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`,
        );
        throw new Error(`${file}: ${problems.join("; ")}`);
    }
    for (const [name, build] of Object.entries(parsed.data.images)) {
        for (const base of build.bases) {
            if (!(base in parsed.data.bases)) {
                throw new Error(
                    `${file}: images.${name}.bases names "${base}", which is not a key of bases (${Object.keys(parsed.data.bases).join(", ")})`,
                );
            }
        }
    }
    return parsed.data;
}

export const IMAGE_BUILDS: ImageBuilds = parseImageBuilds(fs.readFileSync(IMAGE_BUILDS_FILE, "utf8"));

/** Repository name in the registry, per image (also its folder under `images/`). */
export const IMAGE_FOLDERS: Record<ImageName, string> = Object.fromEntries(
    IMAGE_NAMES.map((name) => [name, IMAGE_BUILDS.images[name].repository]),
) as Record<ImageName, string>;

/** docker-build's context and build args for one image: the same ones scripts/images/build.sh passes to buildah. */
export function buildInputs(
    image: ImageName,
    sudo: boolean,
): {
    context: dockerbuild.types.input.BuildContextArgs;
    dockerfile: dockerbuild.types.input.DockerfileArgs;
    buildArgs?: Record<string, string>;
} {
    const build = IMAGE_BUILDS.images[image];
    const named: Record<string, { location: string }> = {};
    for (const [name, dir] of Object.entries(build.namedContexts)) {
        named[name] = { location: path.join(IMAGES_ROOT, dir) };
    }
    return {
        context: { location: path.join(IMAGES_ROOT, build.context), ...(Object.keys(named).length ? { named } : {}) },
        dockerfile: { location: path.join(IMAGES_ROOT, build.context, build.dockerfile) },
        buildArgs: build.sudoBuildArg ? { [build.sudoBuildArg]: String(sudo) } : undefined,
    };
}

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
            this.refs[image] = prebuilt ? pulumi.output(prebuilt) : this.build(name, image, args).ref;
        }
        this.registerOutputs({ refs: this.refs });
    }

    private build(name: string, image: ImageName, args: AgentImagesArgs): dockerbuild.Image {
        const repository = `${args.registry}/${args.repository}/${IMAGE_FOLDERS[image]}`;
        const credentials =
            args.spec.registryUsername && args.registryPassword
                ? [
                      {
                          address: args.registry,
                          username: args.spec.registryUsername,
                          password: pulumi.secret(args.registryPassword),
                      },
                  ]
                : undefined;
        return new dockerbuild.Image(
            `${name}-${IMAGE_FOLDERS[image]}`,
            {
                ...buildInputs(image, args.sudo),
                platforms: args.spec.platforms as dockerbuild.types.enums.Platform[],
                tags: [`${repository}:${args.spec.tag}`],
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
