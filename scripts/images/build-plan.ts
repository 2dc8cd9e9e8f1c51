/**
 * What scripts/images/build.sh builds: for each image, its name, repository, context and buildah's
 * arguments, from the very function the stack's docker-build reads (components/plan/images.ts, which
 * validates images/builds.json), so that the two builders cannot disagree.
 *
 *   tsx scripts/images/build-plan.ts [--sudo] [--images-dir DIR] [IMAGE...]
 *
 * Prints one line per image, fields separated by \x1f (no path of this repository holds it):
 * name, repository, context, then the arguments (-f, --build-context, --build-arg).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { IMAGE_NAMES, type ImageName } from "../../components/contract/images";
import { IMAGES_ROOT, parseImageBuilds, planImageBuild } from "../../components/plan/images";

function main(argv: string[]): void {
    let sudo = false;
    let root = IMAGES_ROOT;
    const wanted: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--sudo") sudo = true;
        else if (argv[i] === "--images-dir") root = path.resolve(argv[++i] ?? "");
        else wanted.push(argv[i]);
    }
    const file = path.join(root, "builds.json");
    const builds = parseImageBuilds(fs.readFileSync(file, "utf8"), file);
    for (const name of wanted.length > 0 ? wanted : IMAGE_NAMES) {
        if (!(IMAGE_NAMES as readonly string[]).includes(name)) {
            throw new Error(`no image "${name}" in ${file} (known: ${IMAGE_NAMES.join(", ")})`);
        }
        const build = planImageBuild(name as ImageName, sudo, builds, root);
        const args = [
            "-f",
            build.dockerfile,
            ...Object.entries(build.namedContexts).flatMap(([context, dir]) => [
                "--build-context",
                `${context}=${dir}`,
            ]),
            ...Object.entries(build.buildArgs ?? {}).flatMap(([arg, value]) => ["--build-arg", `${arg}=${value}`]),
        ];
        process.stdout.write(`${[name, build.repository, build.context, ...args].join("\x1f")}\n`);
    }
}

try {
    main(process.argv.slice(2));
} catch (error) {
    console.error(`build.sh: ${(error as Error).message}`);
    process.exit(2);
}
