import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callTool, connectClient, dataOf, GIT_CREDENTIALS_DIR, startServer, type RunningServer } from "./harness.js";
import { startGitHttpServer } from "./git-http-server.js";

const run = promisify(execFile);
const isolatedGit = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };

describe("git credentials from the mounted Secret file", () => {
    let root: string;
    let credentialsFile: string;
    let gitPort: number;
    let stopGit: () => void;
    let server: RunningServer;
    let client: Client;

    before(async () => {
        root = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-git-"));
        const projects = path.join(root, "projects");
        await run("git", ["init", "--quiet", "--bare", "-b", "main", path.join(projects, "repo.git")], {
            env: isolatedGit,
        });
        const seed = path.join(root, "seed");
        await run("git", ["init", "--quiet", "-b", "main", seed], { env: isolatedGit });
        await writeFile(path.join(seed, "README"), "cloned over authenticated http\n");
        const identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"];
        await run("git", [...identity, "-C", seed, "add", "README"], { env: isolatedGit });
        await run("git", [...identity, "-C", seed, "commit", "--quiet", "-m", "seed"], { env: isolatedGit });
        await run("git", ["-C", seed, "push", "--quiet", path.join(projects, "repo.git"), "main"], {
            env: isolatedGit,
        });

        const git = await startGitHttpServer(projects, "agent", "s3cret token");
        gitPort = git.port;
        stopGit = () => git.server.close();
        credentialsFile = path.join(root, "git-credentials");
        await writeFile(credentialsFile, `http://agent:s3cret%20token@127.0.0.1:${gitPort}\n`);
        // The same helper script the image installs in /etc/gitconfig, wired in through a test-local config.
        const gitconfig = path.join(root, "gitconfig");
        await writeFile(
            gitconfig,
            `[credential]\n\thelper = ${path.join(GIT_CREDENTIALS_DIR, "git-credential-agent")}\n`,
        );
        server = await startServer({
            env: { GIT_CREDENTIALS_FILE: credentialsFile, GIT_CONFIG_GLOBAL: gitconfig, GIT_CONFIG_NOSYSTEM: "1" },
        });
        client = await connectClient(server);
    });

    after(async () => {
        await client.close();
        await server.stop();
        stopGit();
    });

    it("clones over authenticated HTTP with no prompt", async () => {
        const result = dataOf(
            await callTool(client, "run_command", {
                command: `git clone --quiet http://127.0.0.1:${gitPort}/repo.git "my clone" && cat "my clone/README"`,
                timeout_seconds: 60,
            }),
        );
        assert.equal(result.exit_code, 0, result.stderr);
        assert.equal(result.stdout, "cloned over authenticated http\n");
    });

    it("fails without prompting when the credentials are missing or wrong, and never rewrites the file", async () => {
        const missing = dataOf(
            await callTool(client, "run_command", {
                command: `git clone --quiet http://127.0.0.1:${gitPort}/repo.git no-creds`,
                env: { GIT_CREDENTIALS_FILE: path.join(root, "absent") },
                timeout_seconds: 60,
            }),
        );
        assert.notEqual(missing.exit_code, 0);
        assert.match(missing.stderr, /terminal prompts disabled|Authentication failed/);

        const wrongFile = path.join(root, "wrong-credentials");
        const wrongLine = `http://agent:wrong@127.0.0.1:${gitPort}\n`;
        await writeFile(wrongFile, wrongLine);
        const wrong = dataOf(
            await callTool(client, "run_command", {
                command: `git clone --quiet http://127.0.0.1:${gitPort}/repo.git wrong-creds`,
                env: { GIT_CREDENTIALS_FILE: wrongFile },
                timeout_seconds: 60,
            }),
        );
        assert.notEqual(wrong.exit_code, 0);
        assert.match(wrong.stderr, /Authentication failed/);
        // git asks helpers to `erase` rejected and `store` accepted credentials; ours must do neither.
        assert.equal(await readFile(wrongFile, "utf8"), wrongLine);
        assert.equal(await readFile(credentialsFile, "utf8"), `http://agent:s3cret%20token@127.0.0.1:${gitPort}\n`);
    });
});
