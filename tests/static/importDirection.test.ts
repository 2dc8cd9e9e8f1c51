/**
 * The compiler's import direction (.dependency-cruiser.cjs, docs/architecture.md): no cycle, no arrow
 * from contract, config or plan to a later layer, Pulumi only in resources/ (render/ uses its types).
 * dependency-cruiser checks the program, then a throw-away tree with one violation of each rule, so the
 * rules themselves are shown to catch what they name.
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO_ROOT = path.join(__dirname, "..", "..");
const DEPCRUISE = path.join(REPO_ROOT, "node_modules", ".bin", "depcruise");
const CONFIG = path.join(REPO_ROOT, ".dependency-cruiser.cjs");

function cruise(cwd: string, paths: string[]): { status: number | null; output: string } {
    const run = spawnSync(DEPCRUISE, ["--config", CONFIG, "--output-type", "err", ...paths], {
        cwd,
        encoding: "utf8",
        timeout: 120_000,
    });
    return { status: run.status, output: run.stdout + run.stderr };
}

describe("static: import direction (dependency-cruiser)", function () {
    this.timeout(180_000);

    it("the program has no cycle and no arrow back: contract -> config -> plan -> render -> resources", () => {
        const { status, output } = cruise(REPO_ROOT, ["index.ts", "components"]);
        assert.strictEqual(status, 0, output);
        assert.match(output, /no dependency violations found/);
    });

    it("each rule catches its violation", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "import-direction-"));
        try {
            const files: Record<string, string> = {
                "components/plan/backwards.ts": 'import { x } from "../render/x";\nexport const y = x;\n',
                "components/render/x.ts": "export const x = 1;\n",
                "components/contract/impure.ts": 'import { e } from "../config/e";\nexport const c = e;\n',
                "components/config/e.ts": 'import { f } from "./f";\nexport const e = 1 + f();\n',
                "components/config/f.ts": 'import { e } from "./e";\nexport const f = () => e;\n',
                "components/render/registers.ts":
                    'import * as pulumi from "@pulumi/pulumi";\nexport const g = pulumi.output(1);\n',
                "components/render/types.ts":
                    'import type { Input } from "@pulumi/pulumi";\nexport type H = Input<string>;\n',
                "components/plan/pulumiTypes.ts":
                    'import type { Input } from "@pulumi/pulumi";\nexport type P = Input<string>;\n',
                "components/resources/fromTests.ts": 'import { t } from "../../tests/t";\nexport const r = t;\n',
                "tests/t.ts": "export const t = 1;\n",
            };
            for (const [name, text] of Object.entries(files)) {
                fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
                fs.writeFileSync(path.join(dir, name), text);
            }
            fs.copyFileSync(path.join(REPO_ROOT, "tsconfig.json"), path.join(dir, "tsconfig.json"));
            fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
            const { status, output } = cruise(dir, ["components"]);
            assert.notStrictEqual(status, 0, output);
            for (const expected of [
                /plan-not-downstream: components\/plan\/backwards\.ts → components\/render\/x\.ts/,
                /no-circular: components\/config\/e\.ts/,
                /contract-is-constants: components\/contract\/impure\.ts/,
                /render-uses-pulumi-types-only: components\/render\/registers\.ts/,
                /no-pulumi-before-resources: components\/plan\/pulumiTypes\.ts/,
                /program-not-from-tests: components\/resources\/fromTests\.ts/,
            ]) {
                assert.match(output, expected);
            }
            assert.doesNotMatch(output, /components\/render\/types\.ts/, "render may use Pulumi's types");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
