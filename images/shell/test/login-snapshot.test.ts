import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callTool, connectClient, dataOf, SERVER_ENTRY, startServer, type RunningServer } from "./harness.js";

const PROFILE = `echo run >> "$HOME/profile-runs"
export FROM_PROFILE=profile-value
export PATH="$HOME/bin:$PATH"
NOT_EXPORTED=hidden-value
greet() { echo "hello $1"; }
twice() { greet "$1"; greet "$1"; }
alias ll='echo aliased'
shopt -s expand_aliases
umask 027
. "$HOME/.tool-init"
`;

// Issue 27: the login files ran on every run_command (`bash -lc`): a home with pyenv's or nvm's init
// made every call ~15x slower. They now run once; each command runs in what they set up.
describe("run_command runs in a snapshot of the login shell", () => {
    let server: RunningServer;
    let client: Client;
    let home: string;
    const run = async (command: string, env?: Record<string, string>) =>
        dataOf(await callTool(client, "run_command", { command, ...(env ? { env } : {}) }));

    before(async () => {
        home = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-login-home-"));
        await mkdir(path.join(home, "bin"));
        await writeFile(path.join(home, "bin", "mytool"), "#!/bin/sh\necho mytool ok\n");
        await chmod(path.join(home, "bin", "mytool"), 0o755);
        await writeFile(path.join(home, ".profile"), PROFILE);
        await writeFile(path.join(home, ".tool-init"), "export TOOL_VERSION=1\n");
        server = await startServer({ env: { HOME: home } });
        client = await connectClient(server);
    });
    after(async () => {
        await client.close();
        await server.stop();
    });

    it("has the environment, PATH, functions, aliases, options and umask the login files set up, once", async () => {
        const result = await run(
            'echo "$FROM_PROFILE $NOT_EXPORTED $TOOL_VERSION"; greet world; ll; umask; mytool; echo "$0"',
        );
        assert.equal(result.stdout, "profile-value hidden-value 1\nhello world\naliased\n0027\nmytool ok\nbash\n");
        assert.equal(result.stderr, "");
        for (let i = 0; i < 4; i++) assert.equal((await run("twice again")).stdout, "hello again\nhello again\n");
        assert.equal(await readFile(path.join(home, "profile-runs"), "utf8"), "run\n", "the login files ran per call");
    });

    it("is not a login shell, and scripts it starts do not load the snapshot again", async () => {
        assert.equal((await run("shopt -q login_shell && echo login || echo not-login")).stdout, "not-login\n");
        const child = await run(
            "bash -c 'echo ${BASH_ENV-unset}; type greet >/dev/null 2>&1 && echo greet || echo none'",
        );
        assert.equal(child.stdout, "unset\nnone\n");
    });

    it("lets the call's env override what the login files set", async () => {
        assert.equal((await run("echo $FROM_PROFILE", { FROM_PROFILE: "from-call" })).stdout, "from-call\n");
    });

    it("captures again when a startup file or a file it sourced changes", async () => {
        await writeFile(path.join(home, ".tool-init"), "export TOOL_VERSION=22\n");
        assert.equal((await run("echo $TOOL_VERSION")).stdout, "22\n");
        await writeFile(path.join(home, ".profile"), `${PROFILE}export ADDED_LATER=yes\n`);
        assert.equal((await run("echo $ADDED_LATER")).stdout, "yes\n");
        await writeFile(path.join(home, ".bash_profile"), "export FROM_BASH_PROFILE=first\n");
        // bash reads ~/.bash_profile instead of ~/.profile once it exists.
        assert.equal((await run('echo "$FROM_BASH_PROFILE/${FROM_PROFILE-none}"')).stdout, "first/none\n");
        assert.equal((await readFile(path.join(home, "profile-runs"), "utf8")).split("\n").length - 1, 3);
    });
});

describe("run_command without a snapshot falls back to a login shell per call", () => {
    it("when no temporary folder can be made: the server keeps running and commands still work", async () => {
        const home = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-login-home-"));
        await writeFile(path.join(home, ".profile"), "export FROM_PROFILE=per-call\n");
        const server = await startServer({ env: { HOME: home, TMPDIR: path.join(home, "missing") } });
        try {
            const client = await connectClient(server);
            const result = dataOf(await callTool(client, "run_command", { command: "echo $FROM_PROFILE" }));
            assert.equal(result.stdout, "per-call\n");
            await client.close();
            assert.ok(server.logs.some((line) => line.includes('"msg":"login_snapshot_failed"')));
        } finally {
            await server.stop();
        }
    });

    it("when a login file exits: the command gets what bash -lc gives (the exit, no output)", async () => {
        const home = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-login-home-"));
        await writeFile(path.join(home, ".profile"), "exit 3\n");
        const server = await startServer({ env: { HOME: home } });
        try {
            const client = await connectClient(server);
            const result = dataOf(await callTool(client, "run_command", { command: "echo unreachable" }));
            assert.equal(result.exit_code, 3);
            assert.equal(result.stdout, "");
            await client.close();
        } finally {
            await server.stop();
        }
    });
});

describe("the snapshot's files", () => {
    it("are removed when the server ends, in --stdio mode when its input closes", { timeout: 30_000 }, async () => {
        const tmp = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-login-tmp-"));
        const home = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-login-home-"));
        const child = spawn(process.execPath, [SERVER_ENTRY, "--stdio"], {
            env: { ...process.env, HOME: home, TMPDIR: tmp, WORKSPACE_DIR: path.join(home, "workspace") },
            stdio: ["pipe", "ignore", "pipe"],
        });
        let logs = "";
        await new Promise<void>((resolve, reject) => {
            child.stderr.on("data", (chunk: Buffer) => {
                logs += chunk.toString();
                if (logs.includes('"msg":"login_snapshot"')) resolve();
            });
            child.once("exit", () => reject(new Error(`exited before capturing: ${logs}`)));
        });
        assert.equal((await readdir(tmp)).length, 1);
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.stdin.end();
        await exited;
        assert.deepEqual(await readdir(tmp), []);
    });
});
