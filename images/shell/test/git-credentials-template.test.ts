import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { gitCredentialsTemplate } from "../../../components/plan/gitCredentials.js";
import { startGitHttpServer } from "./git-http-server.js";
import { GIT_CREDENTIALS_DIR, PACKAGE_DIR } from "./harness.js";

const run = promisify(execFile);
const isolatedGit = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
};
// Every character that means something in a URL's userinfo or in form encoding, as a Vault value
// written with `vault kv put …=@file` (which keeps the file's trailing newline).
const PASSWORD = "p w+x/y@z:q%25";
const VAULT_VALUE = `${PASSWORD}\n`;

/** Renders with text/template + sprig as ESO's engine v2 does (test/eso-template/main.go). */
async function renderLikeEso(template: string, data: Record<string, string>): Promise<string> {
    const { stdout: renderer } = await run(path.join(PACKAGE_DIR, "test", "eso-template", "build.sh"), {
        timeout: 300_000,
    });
    return new Promise((resolve, reject) => {
        const child = spawn(renderer.trim(), [], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("close", (code) =>
            code === 0 ? resolve(stdout) : reject(new Error(`ESO template render failed: ${stderr}`)),
        );
        child.stdin.end(JSON.stringify({ template, data }));
    });
}

describe("git-credentials template (components/plan/gitCredentials.ts) through ESO's engine and git", () => {
    let root: string;
    let gitPort: number;
    let stopGit: () => void;
    let credentialsFile: string;
    let helperConfig: string;

    before(async () => {
        root = await mkdtemp(path.join(os.tmpdir(), "git-credentials-template-"));
        const projects = path.join(root, "projects");
        await run("git", ["init", "--quiet", "--bare", "-b", "main", path.join(projects, "repo.git")], {
            env: isolatedGit,
        });
        const seed = path.join(root, "seed");
        await run("git", ["init", "--quiet", "-b", "main", seed], { env: isolatedGit });
        await writeFile(path.join(seed, "README"), "rendered credentials work\n");
        const identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"];
        await run("git", [...identity, "-C", seed, "add", "README"], { env: isolatedGit });
        await run("git", [...identity, "-C", seed, "commit", "--quiet", "-m", "seed"], { env: isolatedGit });
        await run("git", ["-C", seed, "push", "--quiet", path.join(projects, "repo.git"), "main"], {
            env: isolatedGit,
        });
        const git = await startGitHttpServer(projects, "dev bot", PASSWORD);
        gitPort = git.port;
        stopGit = () => git.server.close();

        const rendered = await renderLikeEso(gitCredentialsTemplate("dev bot", `127.0.0.1:${gitPort}`), {
            giteaToken: VAULT_VALUE,
        });
        credentialsFile = path.join(root, "git-credentials");
        // The template targets Gitea over https; the loopback test server speaks plain http.
        await writeFile(credentialsFile, rendered.replace(/^https:/, "http:"));
        helperConfig = path.join(root, "gitconfig");
        await writeFile(
            helperConfig,
            `[credential]\n\thelper = ${path.join(GIT_CREDENTIALS_DIR, "git-credential-agent")}\n`,
        );
    });

    after(() => stopGit());

    const gitEnv = () => ({ ...isolatedGit, GIT_CONFIG_GLOBAL: helperConfig, GIT_CREDENTIALS_FILE: credentialsFile });

    it("renders one credential-store line that git credential fill decodes to the exact user and token", async () => {
        const fill = spawn("git", ["credential", "fill"], { env: gitEnv(), stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        fill.stdout.on("data", (chunk) => (stdout += chunk));
        fill.stderr.on("data", (chunk) => (stderr += chunk));
        fill.stdin.end(`protocol=http\nhost=127.0.0.1:${gitPort}\n\n`);
        const code = await new Promise((resolve) => fill.on("close", resolve));
        assert.equal(code, 0, `git credential fill failed (no credential from the helper?): ${stderr}`);
        const fields = Object.fromEntries(
            stdout
                .trim()
                .split("\n")
                .map((line) => line.split(/=(.*)/s).slice(0, 2)),
        );
        assert.equal(fields.username, "dev bot");
        assert.equal(fields.password, PASSWORD);
    });

    it("lets a real git clone authenticate with the rendered line", async () => {
        const target = path.join(root, "clone");
        await run("git", ["clone", "--quiet", `http://127.0.0.1:${gitPort}/repo.git`, target], {
            env: gitEnv(),
            timeout: 60_000,
        });
        const { stdout } = await run("cat", [path.join(target, "README")]);
        assert.equal(stdout, "rendered credentials work\n");
    });
});
