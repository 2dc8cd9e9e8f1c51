/**
 * The GitHub workflows keep doing what docs/runbook.md promises: every committed stack is previewed on
 * pull requests (diff, PR comment, policy pack), every deployed stack goes `up` behind its environment,
 * actions are pinned, the Pulumi CLI matches the SDK, and every secret they read is documented.
 * (actionlint checks their syntax and expressions; see scripts/static-checks.sh.)
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const workflow = (name: string) => yaml.load(read(`.github/workflows/${name}`)) as any;

const STACKS = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
const PULUMI_ACTION = /^pulumi\/actions@[0-9a-f]{40}$/;

function pulumiSteps(job: any): any[] {
    return job.steps.filter((step: any) => typeof step.uses === "string" && step.uses.startsWith("pulumi/actions@"));
}

describe("static: GitHub workflows", () => {
    const pr = workflow("pull-request.yml");
    const deploy = workflow("deploy.yml");

    it("finds the committed stacks", () => {
        assert.ok(STACKS.includes("test-cluster") && STACKS.includes("local"), STACKS.join(", "));
    });

    it("previews every committed stack on pull requests, after the tests", () => {
        assert.ok(pr.on.pull_request, "runs on pull_request");
        const previewed: string[] = [];
        for (const [name, job] of Object.entries<any>(pr.jobs)) {
            if (name === "tests") {
                assert.strictEqual(job.uses, "./.github/workflows/tests.yml");
                continue;
            }
            assert.deepStrictEqual([job.needs].flat(), ["tests"], `${name} waits for the tests`);
            assert.strictEqual(job.permissions["pull-requests"], "write", `${name} may comment`);
            for (const step of pulumiSteps(job)) {
                const stack = step.with["stack-name"];
                previewed.push(...(stack === "${{ matrix.stack }}" ? job.strategy.matrix.stack : [stack]));
            }
        }
        assert.deepStrictEqual(previewed.sort(), STACKS);
    });

    it("runs each preview with the diff, a PR comment and the policy pack", () => {
        const steps = Object.values<any>(pr.jobs).flatMap((job) => (job.steps ? pulumiSteps(job) : []));
        assert.ok(steps.length >= 2);
        for (const step of steps) {
            assert.match(step.uses, PULUMI_ACTION);
            assert.strictEqual(step.with.command, "preview");
            assert.strictEqual(step.with["comment-on-pr"], true);
            assert.strictEqual(step.with.diff, true);
            assert.strictEqual(step.with.policyPacks, "policies");
            assert.ok(step.with["cloud-url"], "names the state backend");
            assert.ok(step.env.PULUMI_CONFIG_PASSPHRASE, "passes the passphrase");
        }
    });

    // A preview persists nothing, so skipping the CLI's per-step snapshot serialization loses nothing, and
    // without it a preview's cost grows with the square of the stack's resources. `up` keeps its
    // checkpoints: they are what records a resource created before a crash.
    it("previews skip the per-step checkpoints; up keeps them", () => {
        const previews = Object.values<any>(pr.jobs).flatMap((job) => (job.steps ? pulumiSteps(job) : []));
        for (const step of previews) {
            assert.strictEqual(step.env.PULUMI_SKIP_CHECKPOINTS, "true", step.name);
        }
        for (const step of pulumiSteps(deploy.jobs.up)) {
            assert.strictEqual(step.env?.PULUMI_SKIP_CHECKPOINTS, undefined, step.name);
        }
    });

    it("deploys every stack but local from the default branch, behind the stack's environment", () => {
        assert.deepStrictEqual(deploy.on.push.branches, ["main"]);
        const up = deploy.jobs.up;
        assert.deepStrictEqual([up.needs].flat(), ["tests"]);
        assert.strictEqual(up.environment, "${{ matrix.stack }}");
        assert.deepStrictEqual(
            [...up.strategy.matrix.stack].sort(),
            STACKS.filter((s) => s !== "local"),
        );
        assert.strictEqual(up.concurrency["cancel-in-progress"], false);
        const [step] = pulumiSteps(up);
        assert.match(step.uses, PULUMI_ACTION);
        assert.strictEqual(step.with.command, "up");
        assert.strictEqual(step.with.policyPacks, "policies");
        const docker = up.steps.filter((s: any) => /^docker\//.test(s.uses ?? ""));
        assert.strictEqual(docker.length, 2, "Buildx and a registry login, for the image builds of up");
    });

    it("pins pulumi/actions to the v7.0.0 commit and every other action to a commit", () => {
        for (const file of fs
            .readdirSync(path.join(ROOT, ".github", "workflows"))
            .map((f) => `.github/workflows/${f}`)
            .concat([".github/actions/prepare-stack/action.yml"])) {
            for (const line of read(file)
                .split("\n")
                .filter((l) => /^\s*(- )?uses:/.test(l))) {
                const ref = line.replace(/^\s*(- )?uses:\s*/, "");
                if (ref.startsWith("./")) {
                    continue;
                }
                assert.match(ref, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${file}: ${ref}`);
                if (ref.startsWith("pulumi/actions@")) {
                    assert.strictEqual(ref, "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0");
                }
            }
        }
    });

    it("installs the Pulumi CLI of the SDK's version", () => {
        const sdk = JSON.parse(read("package.json")).dependencies["@pulumi/pulumi"];
        assert.strictEqual(read(".github/pulumi-version").trim(), sdk);
    });

    it("runs the README's test command", () => {
        const steps = workflow("tests.yml").jobs.tests.steps;
        assert.ok(steps.some((s: any) => s.run === "./scripts/test-all.sh"));
    });

    it("documents every secret and variable the workflows read in docs/runbook.md", () => {
        const runbook = read("docs/runbook.md");
        const texts = [
            ".github/workflows/pull-request.yml",
            ".github/workflows/deploy.yml",
            ".github/actions/prepare-stack/action.yml",
        ]
            .map(read)
            .join("\n");
        const names = new Set([...texts.matchAll(/\b(?:secrets|vars)\.([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
        assert.ok(names.size >= 5, [...names].join(", "));
        for (const name of names) {
            assert.match(runbook, new RegExp(`\`${name}\``), `${name} is documented`);
        }
    });
});
