/**
 * scripts/static-checks.sh against throw-away repositories: each check (shellcheck, hadolint,
 * actionlint, Biome's formatter) fails on a bad file and the script exits non-zero; a clean repository passes.
 *
 * `npm test` installs nothing: the script installs its tools when it runs on its own (scripts/test-all.sh
 * runs it before the mocha suite), and here every installer it could reach is replaced by a stub that
 * refuses. A missing tool then skips these tests, naming the command that installs it.
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO_ROOT = path.join(__dirname, "..", "..");
const SCRIPT = path.join(REPO_ROOT, "scripts", "static-checks.sh");

const GOOD_SCRIPT = '#!/usr/bin/env bash\nset -euo pipefail\necho "hello $1"\n';
const GOOD_DOCKERFILE = "FROM docker.io/library/debian:bookworm-20251229-slim\nUSER 1000\n";
const GOOD_WORKFLOW = `name: ci
on:
  push:
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "ok"
`;

/** Printed by the installer stubs; a run that shows it wanted to install something. */
const REFUSED = "static-checks test: refusing to install";
const INSTALLERS = ["apt-get", "apt", "sudo", "go", "pip", "pip3", "pipx", "uv", "curl", "wget"];

/** A folder of stubs that shadow every installer on PATH. */
function installerStubs(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "static-checks-no-install-"));
    for (const name of INSTALLERS) {
        fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${REFUSED}: ${name} $*" >&2\nexit 97\n`, {
            mode: 0o755,
        });
    }
    return dir;
}

interface Result {
    status: number | null;
    output: string;
}

function fixture(files: Record<string, string>, ignored: Record<string, string> = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "static-checks-"));
    for (const [name, text] of Object.entries({
        ...files,
        ...ignored,
        ".gitignore": `${Object.keys(ignored).join("\n")}\n`,
    })) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text, { mode: 0o755 });
    }
    const git = spawnSync("git", ["init", "-q", dir]);
    assert.strictEqual(git.status, 0, String(git.stderr));
    return dir;
}

let stubs: string;

function run(env: Record<string, string>): Result {
    const result = spawnSync("bash", [SCRIPT], {
        env: {
            ...process.env,
            // The Go vulnerability scan needs go, stubbed out here; goVulnerabilities.test.ts covers it.
            STATIC_CHECKS_SKIP: "go_vulnerabilities",
            ...env,
            PATH: `${stubs}${path.delimiter}${process.env.PATH}`,
        },
        encoding: "utf8",
        timeout: 600_000,
    });
    return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

function check(dir: string): Result {
    return run({ STATIC_CHECKS_ROOT: dir });
}

describe("static: scripts/static-checks.sh", function () {
    this.timeout(600_000);
    let onThisRepository: Result;
    before(function () {
        stubs = installerStubs();
        // This repository itself exercises every check, so a missing tool shows here first.
        onThisRepository = run({});
        const probe = onThisRepository;
        if (probe.output.includes(REFUSED)) {
            const wanted = probe.output
                .split("\n")
                .filter((line) => line.includes(REFUSED))
                .join("; ");
            const reason =
                `a tool is missing and npm test installs nothing (${wanted}); ` +
                "run `bash scripts/static-checks.sh` once (scripts/test-all.sh does) to install it";
            this.test!.parent!.title += ` (skipped: ${reason})`;
            console.warn(`skipped: ${reason}`);
            this.skip();
        }
    });
    const dirs: string[] = [];
    const make = (files: Record<string, string>, ignored?: Record<string, string>) => {
        const dir = fixture(files, ignored);
        dirs.push(dir);
        return dir;
    };
    after(() => {
        for (const dir of [...dirs, stubs]) {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    const clean = {
        "scripts/run.sh": GOOD_SCRIPT,
        "images/app/Dockerfile": GOOD_DOCKERFILE,
        ".github/workflows/ci.yml": GOOD_WORKFLOW,
    };

    it("passes a clean repository, and checks untracked scripts but not ignored ones", () => {
        const result = check(make(clean, { "vendor/broken.sh": "#!/bin/sh\ncd $1\n" }));
        assert.strictEqual(result.status, 0, result.output);
        assert.match(result.output, /shellcheck 1 script\(s\): scripts\/run\.sh\n/);
        assert.match(result.output, /static checks passed/);
    });

    it("fails on a shellcheck finding, in a .sh file and in a shebang'd script without extension", () => {
        const result = check(
            make({
                ...clean,
                "scripts/bad.sh": "#!/bin/bash\nrm -rf $1/tmp\n",
                "tools/deploy": "#!/usr/bin/env sh\ncd /somewhere\nls\n",
                "tools/notes.txt": "cd $1\n",
            }),
        );
        assert.strictEqual(result.status, 1, result.output);
        assert.match(result.output, /scripts\/bad\.sh.*\n(.*\n)*.*SC2086/);
        assert.match(result.output, /tools\/deploy.*\n(.*\n)*.*SC2164/);
        assert.doesNotMatch(result.output, /notes\.txt/);
        assert.match(result.output, /static checks FAILED: shell\n/);
    });

    it("fails on a Dockerfile finding: hadolint's, and the final USER rule hadolint lacks", () => {
        const result = check(
            make({
                ...clean,
                "images/app/Dockerfile": "FROM debian:latest\nRUN apt-get update && apt-get install -y git\n",
            }),
        );
        assert.strictEqual(result.status, 1, result.output);
        assert.match(result.output, /images\/app\/Dockerfile:1 DL3007 /);
        assert.match(result.output, /images\/app\/Dockerfile:2 DL3015 /, "an info-level finding fails too");
        assert.match(result.output, /images\/app\/Dockerfile:2 DL3009 /);
        assert.match(result.output, /images\/app\/Dockerfile: \[final-user\] the final stage sets no USER/);
        assert.match(result.output, /static checks FAILED: dockerfiles\n/);
    });

    it("fails when only the final stage runs as root, although an earlier stage has a USER", () => {
        const dockerfile =
            "FROM docker.io/library/debian:bookworm-20251229-slim AS build\nUSER 1000\n" +
            "FROM docker.io/library/debian:bookworm-20251229-slim\nUSER 0:0\n";
        const result = check(make({ ...clean, "images/app/Dockerfile": dockerfile }));
        assert.strictEqual(result.status, 1, result.output);
        assert.match(result.output, /images\/app\/Dockerfile: \[final-user\] the final stage runs as USER 0:0/);
    });

    it("fails on an actionlint finding, including shellcheck inside a run: block", () => {
        const bad = GOOD_WORKFLOW.replace(
            "runs-on: ubuntu-24.04",
            "runs-on: ubuntu-24.04\n    timeout-minute: 5",
        ).replace('echo "ok"', "echo ${{ github.event.pull_request.title }} $UNQUOTED");
        const result = check(make({ ...clean, ".github/workflows/ci.yml": bad }));
        assert.strictEqual(result.status, 1, result.output);
        assert.match(result.output, /ci\.yml:\d+:\d+: unexpected key "timeout-minute"/);
        assert.match(result.output, /untrusted/);
        assert.match(result.output, /SC2086/);
        assert.match(result.output, /static checks FAILED: workflows\n/);
    });

    it("fails on a TypeScript file the formatter would change, with this repository's biome.jsonc", () => {
        const config = fs.readFileSync(path.join(REPO_ROOT, "biome.jsonc"), "utf8");
        const formatted = 'export const greeting = "hello";\n';
        const passing = check(make({ ...clean, "biome.jsonc": config, "src/greeting.ts": formatted }));
        assert.strictEqual(passing.status, 0, passing.output);
        assert.match(passing.output, /format: biome \d/);
        const result = check(
            make({ ...clean, "biome.jsonc": config, "src/greeting.ts": "export const greeting='hello'\n" }),
        );
        assert.strictEqual(result.status, 1, result.output);
        assert.match(result.output, /src\/greeting\.ts format/);
        assert.match(result.output, /npx biome format --write/);
        assert.match(result.output, /static checks FAILED: format\n/);
    });

    it("fails on a lint finding, a warning as much as an error, with this repository's biome.jsonc", () => {
        const config = fs.readFileSync(path.join(REPO_ROOT, "biome.jsonc"), "utf8");
        const files = (source: string) => make({ ...clean, "biome.jsonc": config, "src/list.ts": source });
        const good =
            "export function total(values: number[]): number {\n    return values.reduce((a, b) => a + b, 0);\n}\n";
        assert.strictEqual(check(files(good)).status, 0);
        // An error (a forEach callback returning a value) and, alone, a warning (an explicit any).
        const error =
            "export function log(values: string[]): void {\n    values.forEach((value) => console.log(value));\n}\n";
        const warning = "export function first(values: any[]): unknown {\n    return values[0];\n}\n";
        for (const [source, rule] of [
            [error, /lint\/suspicious\/useIterableCallbackReturn/],
            [warning, /lint\/suspicious\/noExplicitAny/],
        ] as const) {
            const result = check(files(source));
            assert.strictEqual(result.status, 1, result.output);
            assert.match(result.output, rule);
            assert.match(result.output, /static checks FAILED: lint\n/);
        }
    });

    it("fails on an export nothing imports, with a knip.jsonc", () => {
        const project = (util: string) =>
            make({
                ...clean,
                "package.json": '{ "name": "fixture", "private": true }\n',
                "knip.jsonc": '// entries\n{ "entry": ["src/main.ts"], "project": ["src/**/*.ts"] }\n',
                "src/main.ts": 'import { used } from "./util";\nconsole.log(used());\n',
                "src/util.ts": util,
            });
        const used = "export function used(): number {\n    return 1;\n}\n";
        const passing = check(project(used));
        assert.strictEqual(passing.status, 0, passing.output);
        assert.match(passing.output, /dead code: knip \d/);
        const result = check(project(`${used}export function forgotten(): number {\n    return 2;\n}\n`));
        assert.strictEqual(result.status, 1, result.output);
        assert.match(result.output, /forgotten +function +src\/util\.ts/);
        assert.match(result.output, /static checks FAILED: dead_code\n/);
    });

    it("fails when there is nothing to lint where something is expected", () => {
        const result = check(make({ "scripts/run.sh": GOOD_SCRIPT }));
        assert.strictEqual(result.status, 1, result.output);
        assert.match(result.output, /no images\/\*\/Dockerfile found/);
        assert.match(result.output, /no \.github\/workflows\/\*\.yml found/);
    });

    it("passes on this repository", () => {
        assert.strictEqual(onThisRepository.status, 0, onThisRepository.output);
    });
});
