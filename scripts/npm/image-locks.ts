/**
 * The images built from npm workspaces (images/shell, images/browser-view) install from a lockfile of
 * their own in their Docker build (the build context is their folder). The root lockfile is the one npm
 * keeps (npm workspaces); this keeps theirs to the same versions:
 *
 *   npx tsx scripts/npm/image-locks.ts --check   # exit 1 naming every package whose version differs
 *   npx tsx scripts/npm/image-locks.ts --write   # rewrite images/<image>/package-lock.json from the root's
 *
 * --write moves the workspace's part of the root lockfile (its dependencies, resolved as Node would from
 * the workspace) under a root of its own, with the workspace's package.json, into a scratch folder, and lets
 * `npm install --package-lock-only` complete it (it keeps every entry that still satisfies the ranges); the
 * check then holds the result to the root lockfile. tests/static/workspaces.test.ts runs the check.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closure, type Lockfile, readLockfile } from "./lockClosure";

const REPO_ROOT = path.join(__dirname, "..", "..");
/** The workspaces an image's Dockerfile installs with `npm ci` from its own lockfile. */
export const IMAGE_WORKSPACES = ["images/shell", "images/browser-view", "images/waker"];

/** What differs between the root lockfile's view of a workspace and the workspace's own lockfile. */
export function lockDifferences(root: Lockfile, workspace: string, own: Lockfile): string[] {
    const expected = closure(root, workspace);
    const actual = closure(own, "");
    return [
        ...[...expected].filter((pkg) => !actual.has(pkg)).map((pkg) => `${pkg} is in the root lockfile only`),
        ...[...actual].filter((pkg) => !expected.has(pkg)).map((pkg) => `${pkg} is in ${workspace}'s lockfile only`),
    ];
}

/** The root lockfile's entries for a workspace, re-rooted: its own nested packages shadow hoisted ones. */
function seed(root: Lockfile, workspace: string, manifest: Record<string, unknown>): Lockfile {
    const packages: Lockfile["packages"] = { "": { ...root.packages[workspace], ...{ name: manifest.name } } };
    for (const [location, entry] of Object.entries(root.packages)) {
        if (location.startsWith("node_modules/") && !entry.link) {
            packages[location] ??= entry;
        }
    }
    for (const [location, entry] of Object.entries(root.packages)) {
        if (location.startsWith(`${workspace}/node_modules/`)) {
            packages[location.slice(workspace.length + 1)] = entry;
        }
    }
    return { ...root, packages } as Lockfile;
}

function write(workspace: string): void {
    const root = readLockfile(path.join(REPO_ROOT, "package-lock.json"));
    const manifestText = fs.readFileSync(path.join(REPO_ROOT, workspace, "package.json"), "utf8");
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "image-lock-"));
    try {
        fs.writeFileSync(path.join(scratch, "package.json"), manifestText);
        const lock = seed(root, workspace, JSON.parse(manifestText));
        fs.writeFileSync(path.join(scratch, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
        const npm = spawnSync(
            "npm",
            ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--workspaces=false"],
            { cwd: scratch, stdio: "inherit" },
        );
        if (npm.status !== 0) {
            throw new Error(`npm install --package-lock-only failed for ${workspace}`);
        }
        fs.copyFileSync(path.join(scratch, "package-lock.json"), path.join(REPO_ROOT, workspace, "package-lock.json"));
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

function check(): number {
    const root = readLockfile(path.join(REPO_ROOT, "package-lock.json"));
    let failed = 0;
    for (const workspace of IMAGE_WORKSPACES) {
        const differences = lockDifferences(
            root,
            workspace,
            readLockfile(path.join(REPO_ROOT, workspace, "package-lock.json")),
        );
        for (const difference of differences) {
            console.error(`${workspace}: ${difference}`);
        }
        failed += differences.length;
    }
    if (failed > 0) {
        console.error("run: npx tsx scripts/npm/image-locks.ts --write");
    }
    return failed > 0 ? 1 : 0;
}

if (require.main === module) {
    if (process.argv.includes("--write")) {
        IMAGE_WORKSPACES.forEach(write);
    }
    process.exit(check());
}
