/**
 * How each image is built (context, Dockerfile, named contexts, the sudo build arg), read from
 * images/builds.json and validated here: the one reader of that file for both builders, the stack's
 * docker-build at `pulumi up` (resources/images.ts) and buildah in scripts/images/build.sh (through
 * scripts/images/build-plan.ts), so that the images the tests build and run are built exactly as
 * `pulumi up` builds them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { IMAGE_NAMES, type ImageName } from "../contract/images";

export const IMAGES_ROOT = path.join(__dirname, "..", "..", "images");
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

/** One image's build, with its folders resolved: what docker-build and buildah are both given. */
export interface ImageBuildPlan {
    /** Repository name under `<registry>/<imageRepository>/` (also the Pulumi resource's suffix). */
    repository: string;
    context: string;
    dockerfile: string;
    /** Extra contexts for `COPY --from=<name>`, by name. */
    namedContexts: Record<string, string>;
    buildArgs?: Record<string, string>;
}

/**
 * `sudo`: bake passwordless sudo into the images that take the build arg (some agent has `sudo: true`).
 * `builds` and `root` default to this checkout's images/ (build.sh may build another copy of it).
 */
export function planImageBuild(
    image: ImageName,
    sudo: boolean,
    builds: ImageBuilds = IMAGE_BUILDS,
    root: string = IMAGES_ROOT,
): ImageBuildPlan {
    const build = builds.images[image];
    return {
        repository: build.repository,
        context: path.join(root, build.context),
        dockerfile: path.join(root, build.context, build.dockerfile),
        namedContexts: Object.fromEntries(
            Object.entries(build.namedContexts).map(([name, dir]) => [name, path.join(root, dir)]),
        ),
        ...(build.sudoBuildArg ? { buildArgs: { [build.sudoBuildArg]: String(sudo) } } : {}),
    };
}
