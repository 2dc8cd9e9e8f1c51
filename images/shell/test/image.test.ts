import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { GIT_CREDENTIALS_DIR, PACKAGE_DIR } from "./harness.js";

const run = promisify(execFile);

describe("shell image", () => {
    it("Dockerfile: pinned slim base for both stages, non-root UID 1000, apt lists cleaned, same entry point", async () => {
        const dockerfile = await readFile(path.join(PACKAGE_DIR, "Dockerfile"), "utf8");
        const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
        assert.match(base ?? "", /^(docker\.io\/library\/)?node:22\.\d+\.\d+-trixie-slim$/);
        // Every stage (build, helper stages such as buildctl, runtime) starts from the one pinned base.
        const stages = dockerfile.match(/^FROM .*$/gm) ?? [];
        assert.equal(stages[0], "FROM ${NODE_IMAGE} AS build");
        assert.equal(stages[stages.length - 1], "FROM ${NODE_IMAGE}");
        for (const stage of stages) assert.match(stage, /^FROM \$\{NODE_IMAGE\}( AS [a-z-]+)?$/);
        assert.match(dockerfile, /npm prune --omit=dev/);
        const runtime = dockerfile.slice(dockerfile.lastIndexOf("FROM "));
        assert.match(runtime, /^USER 1000:1000$/m);
        for (const step of runtime
            .split(/\n(?=[A-Z]+ )/)
            .filter((instruction) => instruction.includes("apt-get update"))) {
            assert.match(
                step,
                /rm -rf \/var\/lib\/apt\/lists\/\*/,
                "apt lists must be removed in the RUN that fetched them",
            );
        }
        assert.match(runtime, /^CMD \["node", "\/opt\/shell-mcp\/dist\/main\.js"\]$/m);
        // git resolves `helper = agent` to git-credential-agent on PATH.
        const gitconfig = await readFile(path.join(GIT_CREDENTIALS_DIR, "gitconfig"), "utf8");
        const helper = /helper = (\S+)/.exec(gitconfig)![1];
        assert.match(
            runtime,
            new RegExp(
                `^COPY --from=git-credentials --chmod=0755 git-credential-${helper} /usr/local/bin/git-credential-${helper}$`,
                "m",
            ),
        );
        assert.match(runtime, /^COPY --from=git-credentials gitconfig \/etc\/gitconfig$/m);
    });

    it("shellcheck passes on the image's scripts", async () => {
        const { stdout, stderr } = await run("shellcheck", [
            "--severity=style",
            path.join(GIT_CREDENTIALS_DIR, "git-credential-agent"),
        ]).catch((error: NodeJS.ErrnoException & { stdout?: string; stderr?: string }) => {
            if (error.code === "ENOENT") throw new Error("shellcheck is not installed (apt-get install shellcheck)");
            throw new Error(`shellcheck found problems:\n${error.stdout}${error.stderr}`);
        });
        assert.equal(stdout + stderr, "");
    });

    it("npm run lint checks the shared credential helper where it lives", async () => {
        await run("npm", ["run", "--silent", "lint"], { cwd: PACKAGE_DIR }).catch(
            (error: { stdout: string; stderr: string }) => {
                assert.fail(`npm run lint failed:\n${error.stdout}${error.stderr}`);
            },
        );
    });

    it("tools/jobs.ts takes shared command inputs from their own module, not from tools/commands.ts", async () => {
        const jobs = await readFile(path.join(PACKAGE_DIR, "src", "tools", "jobs.ts"), "utf8");
        assert.doesNotMatch(jobs, /from "\.\/commands\.js"/);
    });

    it("the build stage's steps yield a production-only tree that serves every tool", {
        timeout: 240_000,
    }, async () => {
        // Docker is not available everywhere: replay the build stage on a copy of the build context.
        const ignored = (await readFile(path.join(PACKAGE_DIR, ".dockerignore"), "utf8")).split("\n").filter(Boolean);
        const context = await mkdtemp(path.join(os.tmpdir(), "shell-image-context-"));
        for (const entry of await readdir(PACKAGE_DIR)) {
            const skip = ignored.some(
                (pattern) => pattern === entry || (pattern.startsWith("*") && entry.endsWith(pattern.slice(1))),
            );
            if (!skip) await cp(path.join(PACKAGE_DIR, entry), path.join(context, entry), { recursive: true });
        }
        const npm = (args: string[]) => run("npm", args, { cwd: context, maxBuffer: 16 * 1024 * 1024 });
        await npm(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]);
        await npm(["run", "build"]);
        await npm(["prune", "--omit=dev", "--ignore-scripts"]);
        const installed = await readdir(path.join(context, "node_modules"));
        for (const devOnly of ["typescript", "tsx"])
            assert.ok(!installed.includes(devOnly), `${devOnly} left in the image`);
        // npm prune leaves the emptied scope folder behind.
        const types = installed.includes("@types") ? await readdir(path.join(context, "node_modules", "@types")) : [];
        assert.deepEqual(types, [], "type packages left in the image");

        const client = new Client({ name: "image-test", version: "0" });
        await client.connect(
            new StdioClientTransport({
                command: process.execPath,
                args: [path.join(context, "dist", "main.js"), "--stdio"],
                env: { PATH: process.env.PATH ?? "", WORKSPACE_DIR: path.join(context, "workspace") },
                stderr: "ignore",
            }),
        );
        const { tools } = await client.listTools();
        const expected = JSON.parse(await readFile(path.join(PACKAGE_DIR, "tools.json"), "utf8")) as string[];
        assert.deepEqual(tools.map((tool) => tool.name).sort(), [...expected].sort());
        await client.close();
    });
});
