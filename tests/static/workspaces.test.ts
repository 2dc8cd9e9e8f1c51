/**
 * npm workspaces (package.json): one `npm ci` at the root installs the program's packages and those of
 * the shell server, the browser view, the waker, the policy pack and the shell benchmark, with no
 * install hook; the three images whose Dockerfiles run `npm ci` in their own folder keep a lockfile of their own, held to
 * the root lockfile's versions (scripts/npm/image-locks.ts).
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { readLockfile } from "../../scripts/npm/lockClosure";
import { IMAGE_WORKSPACES, lockDifferences } from "../../scripts/npm/image-locks";

const REPO_ROOT = path.join(__dirname, "..", "..");
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"));

/** A package each workspace imports, which only an install of that workspace brings. */
const WORKSPACE_PACKAGES: Record<string, string> = {
    "images/shell": "@modelcontextprotocol/server",
    "images/browser-view": "@novnc/novnc",
    "images/waker": "@kubernetes/client-node",
    policies: "@pulumi/policy",
    "bench/shell": "@wonderwhy-er/desktop-commander",
};

describe("static: npm workspaces", () => {
    const manifest = readJson("package.json");

    it("declares the shell server, the browser view, the waker, the policy pack and the benchmark as workspaces, with no install hook", () => {
        assert.deepStrictEqual([...manifest.workspaces].sort(), Object.keys(WORKSPACE_PACKAGES).sort());
        for (const hook of ["preinstall", "install", "postinstall", "prepare"]) {
            assert.strictEqual(manifest.scripts[hook], undefined, `package.json has a ${hook} script`);
        }
    });

    it("npm ci at the root installed every workspace's packages, found from the workspace's own folder", () => {
        // Node's lookup: node_modules/<package> in the folder or any folder above it, up to the repository.
        const installed = (folder: string, pkg: string): boolean =>
            fs.existsSync(path.join(folder, "node_modules", pkg, "package.json")) ||
            (folder !== REPO_ROOT && installed(path.dirname(folder), pkg));
        for (const [workspace, pkg] of Object.entries(WORKSPACE_PACKAGES)) {
            assert.ok(
                installed(path.join(REPO_ROOT, workspace), pkg),
                `${workspace} cannot find ${pkg}: run npm ci at the repository root`,
            );
        }
    });

    for (const workspace of IMAGE_WORKSPACES) {
        it(`${workspace}: its own lockfile (its Dockerfile's npm ci) has the root lockfile's versions and its package.json's dependencies`, () => {
            const own = readLockfile(path.join(REPO_ROOT, workspace, "package-lock.json"));
            const root = readLockfile(path.join(REPO_ROOT, "package-lock.json"));
            assert.deepStrictEqual(
                lockDifferences(root, workspace, own),
                [],
                "run: npx tsx scripts/npm/image-locks.ts --write",
            );
            const pkg = readJson(`${workspace}/package.json`);
            for (const kind of ["dependencies", "devDependencies"] as const) {
                assert.deepStrictEqual(own.packages[""][kind] ?? {}, pkg[kind] ?? {}, `${workspace}: ${kind}`);
            }
        });
    }

    it("the lockfile check names a package whose version differs", () => {
        const root = readLockfile(path.join(REPO_ROOT, "package-lock.json"));
        const own = readLockfile(path.join(REPO_ROOT, "images/browser-view/package-lock.json"));
        own.packages["node_modules/ws"] = { ...own.packages["node_modules/ws"], version: "0.0.1" };
        assert.deepStrictEqual(lockDifferences(root, "images/browser-view", own), [
            `ws@${root.packages["node_modules/ws"].version} is in the root lockfile only`,
            "ws@0.0.1 is in images/browser-view's lockfile only",
        ]);
    });
});
