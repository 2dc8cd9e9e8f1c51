/**
 * images/builds.json is the one definition of how the images are built: components/plan/images.ts reads it for
 * the stack (docker-build) and for scripts/images/build.sh (buildah). These tests hold the two readers to
 * the same arguments and the file to the Dockerfiles it describes.
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { IMAGE_NAMES, type ImageName } from "../../components/contract/images";
import { IMAGE_BUILDS, IMAGE_BUILDS_FILE, parseImageBuilds, planImageBuild } from "../../components/plan/images";
import { buildInputs } from "../../components/resources/images";

const REPO_ROOT = path.join(__dirname, "..", "..");
const IMAGES_ROOT = path.join(REPO_ROOT, "images");

/** The base images a Dockerfile's FROM lines name, with ARG defaults substituted; stages are skipped. */
function fromImages(dockerfile: string): string[] {
    const args: Record<string, string> = {};
    const stages = new Set<string>();
    const bases: string[] = [];
    for (const line of dockerfile.split("\n")) {
        const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)/.exec(line);
        if (arg) args[arg[1]] = arg[2];
        const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
        if (from) {
            const image = from[1].replace(
                /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
                (_, name) => args[name] ?? `\${${name}}`,
            );
            if (!stages.has(image)) bases.push(image);
            if (from[2]) stages.add(from[2]);
        }
    }
    return [...new Set(bases)];
}

/** What build.sh would run, per image: buildah's argv. */
function scriptPlan(sudo: boolean): string[][] {
    const run = spawnSync(
        "bash",
        [path.join(REPO_ROOT, "scripts", "images", "build.sh"), "--dry-run", ...(sudo ? ["--sudo"] : [])],
        { encoding: "utf8" },
    );
    assert.strictEqual(run.status, 0, run.stderr);
    return run.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
}

/** The values following each occurrence of `flag` in an argv. */
function flagValues(argv: string[], flag: string): string[] {
    return argv.flatMap((arg, i) => (arg === flag ? [argv[i + 1]] : []));
}

describe("images: builds.json, the one build definition", () => {
    for (const name of IMAGE_NAMES) {
        const build = IMAGE_BUILDS.images[name];
        const dockerfile = () => fs.readFileSync(path.join(IMAGES_ROOT, build.context, build.dockerfile), "utf8");

        it(`${name}: its bases are exactly the Dockerfile's FROM images`, () => {
            assert.deepStrictEqual(
                fromImages(dockerfile()).sort(),
                build.bases.map((key) => IMAGE_BUILDS.bases[key]).sort(),
            );
        });

        it(`${name}: every COPY --from that is not a stage is a named context, and the sudo arg is an ARG`, () => {
            const text = dockerfile();
            const stages = [...text.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
            const copied = [...text.matchAll(/^COPY\s+(?:--\S+\s+)*?--from=(\S+)/gim)]
                .map((m) => m[1])
                .filter((from) => !stages.includes(from));
            for (const from of copied) {
                assert.ok(
                    from in build.namedContexts,
                    `${build.context}/${build.dockerfile} copies from "${from}", which builds.json does not pass as a named context`,
                );
            }
            if (build.sudoBuildArg) {
                assert.match(text, new RegExp(`^ARG ${build.sudoBuildArg}=false$`, "m"));
            }
        });
    }

    for (const sudo of [false, true]) {
        it(`build.sh passes buildah the context, Dockerfile, named contexts and build args docker-build gets (sudo ${sudo})`, () => {
            const plan = scriptPlan(sudo);
            assert.strictEqual(plan.length, IMAGE_NAMES.length);
            IMAGE_NAMES.forEach((name: ImageName, i) => {
                const argv = plan[i];
                const stack = buildInputs(planImageBuild(name, sudo));
                assert.strictEqual(argv[argv.length - 1], stack.context.location, `${name}: context`);
                assert.deepStrictEqual(flagValues(argv, "-f"), [stack.dockerfile.location], `${name}: Dockerfile`);
                const named = Object.entries(stack.context.named ?? {}).map(
                    ([ctx, value]) => `${ctx}=${(value as { location: string }).location}`,
                );
                assert.deepStrictEqual(flagValues(argv, "--build-context"), named, `${name}: named contexts`);
                const args = Object.entries(stack.buildArgs ?? {}).map(([arg, value]) => `${arg}=${value}`);
                assert.deepStrictEqual(flagValues(argv, "--build-arg"), args, `${name}: build args`);
                for (const flag of ["--format", "--network", "--pull=never", "--layers"]) {
                    assert.ok(argv.includes(flag), `${name}: buildah runs with ${flag}`);
                }
            });
        });
    }

    const allDockerfiles = () =>
        fs
            .readdirSync(IMAGES_ROOT)
            .map((folder) => path.join(IMAGES_ROOT, folder, "Dockerfile"))
            .filter((file) => fs.existsSync(file));

    it("every Dockerfile under images/ builds FROM one of builds.json's bases (a base moves for all of them)", () => {
        const bases = Object.values(IMAGE_BUILDS.bases);
        for (const file of allDockerfiles()) {
            for (const image of fromImages(fs.readFileSync(file, "utf8"))) {
                assert.ok(
                    bases.includes(image),
                    `${path.relative(REPO_ROOT, file)} builds FROM ${image}, not a base of builds.json`,
                );
            }
        }
    });

    it("every Dockerfile that compiles Go uses the Go of scripts/toolchain/versions.sh (GO_TOOLCHAIN)", () => {
        const versions = fs.readFileSync(path.join(REPO_ROOT, "scripts", "toolchain", "versions.sh"), "utf8");
        const go = /^GO_TOOLCHAIN=(go[0-9.]+)\s*$/m.exec(versions)?.[1];
        assert.ok(go, "versions.sh sets GO_TOOLCHAIN");
        let compiling = 0;
        for (const file of allDockerfiles()) {
            const text = fs.readFileSync(file, "utf8");
            const toolchain = /^ARG GO_TOOLCHAIN=(\S+)$/m.exec(text)?.[1];
            if (!toolchain && !/\bgo build\b/.test(text)) continue;
            compiling++;
            assert.strictEqual(toolchain, `v0.0.1-${go}.linux-amd64`, `${path.relative(REPO_ROOT, file)}: its Go`);
            assert.match(
                text,
                /^ARG GO_TOOLCHAIN_SHA256=[0-9a-f]{64}$/m,
                `${path.relative(REPO_ROOT, file)}: the zip's checksum`,
            );
        }
        assert.ok(compiling >= 2, "the shell (buildctl) and buildkitd images compile Go");
    });

    it("rejects a malformed builds.json, naming the field", () => {
        const good = JSON.parse(fs.readFileSync(IMAGE_BUILDS_FILE, "utf8"));
        const broken = (change: (json: any) => void) => {
            const json = JSON.parse(JSON.stringify(good));
            change(json);
            return () => parseImageBuilds(JSON.stringify(json), "builds.json");
        };
        assert.throws(
            broken((json) => delete json.images.shell),
            /builds\.json: images\.shell: /,
        );
        assert.throws(
            broken((json) => {
                json.images.desktop.context = "../etc";
            }),
            /images\.desktop\.context: a folder directly under images\//,
        );
        assert.throws(
            broken((json) => {
                json.images.desktop.bases = ["debain"];
            }),
            /images\.desktop\.bases names "debain", which is not a key of bases/,
        );
        assert.throws(
            broken((json) => {
                json.bases.debian = "debian:bookworm";
            }),
            /bases\.debian: a fully qualified image reference/,
        );
        assert.throws(() => parseImageBuilds("{", "builds.json"), /builds\.json: not valid JSON/);
    });
});
