/**
 * Golden files, in the style of kagent's translator tests (testdata/inputs -> outputs): each input in
 * tests/golden/inputs is a stack config; its outputs in tests/golden/outputs/<input>/ are the three
 * layers of the compiler (tests/harness/golden.ts): plan.yaml, render.yaml (pure, no mocks) and
 * resources.yaml (what Pulumi's options add, from the program under mocks). A change to any shows as a
 * diff in review; the program must register exactly the rendered objects.
 *
 * Update after an intended change: UPDATE_GOLDEN=1 npm test   (then read the diff before committing)
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { GOLDEN_DIR, goldenRun, registeredMatchesRendered } from "./harness/golden";

const UPDATE = process.env.UPDATE_GOLDEN === "1" || process.env.UPDATE_GOLDEN === "true";
const inputs = fs
    .readdirSync(path.join(GOLDEN_DIR, "inputs"))
    .filter((file) => file.endsWith(".yaml"))
    .sort();

describe("golden files: what the compiler makes of each representative config", () => {
    it("has the representative inputs issue 12 lists", () => {
        for (const name of [
            "test-cluster",
            "cli-only-no-credentials",
            "secrets-from-config",
            "sudo",
            "suspended",
            "custom-namespace",
        ]) {
            assert.ok(inputs.includes(`${name}.yaml`), `tests/golden/inputs/${name}.yaml is missing`);
        }
    });

    for (const input of inputs) {
        const name = input.replace(/\.yaml$/, "");
        it(name, async () => {
            const golden = await goldenRun(
                yaml.load(fs.readFileSync(path.join(GOLDEN_DIR, "inputs", input), "utf8")) as any,
            );
            assert.deepStrictEqual(
                registeredMatchesRendered(golden.run, golden.rendered),
                [],
                "the program registers exactly the rendered objects",
            );
            const outputs = golden.files;
            const folder = path.join(GOLDEN_DIR, "outputs", name);
            if (UPDATE) {
                fs.rmSync(folder, { recursive: true, force: true });
                fs.mkdirSync(folder, { recursive: true });
            }
            for (const [file, text] of Object.entries(outputs)) {
                const target = path.join(folder, file);
                if (UPDATE) {
                    fs.writeFileSync(target, text);
                    continue;
                }
                assert.ok(
                    fs.existsSync(target),
                    `${path.relative(process.cwd(), target)} is missing; run UPDATE_GOLDEN=1 npm test`,
                );
                // Compared as text, so that the first differing line shows; regenerate with UPDATE_GOLDEN=1.
                assert.strictEqual(
                    text,
                    fs.readFileSync(target, "utf8"),
                    `${path.relative(process.cwd(), target)} differs; if the change is intended, run UPDATE_GOLDEN=1 npm test and review the diff`,
                );
            }
            if (!UPDATE) {
                const extra = fs.readdirSync(folder).filter((file) => !(file in outputs));
                assert.deepStrictEqual(extra, [], `stale golden files in ${folder}`);
            }
        });
    }
});
