// A git server for the image tests, run with Node's type stripping inside a test-only container of the
// agent's pod (same network namespace, so the shell container reaches it on 127.0.0.1): a bare
// repository with one commit, served by images/shell/test/git-http-server.ts behind HTTP basic auth.
// Usage: node git-fixture.mts <user> <password>; prints `port=<n>` once it listens.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGitHttpServer } from "./shell-test/git-http-server.ts";

const [user, password] = process.argv.slice(2);
if (!user || !password) throw new Error("usage: git-fixture.mts <user> <password>");

const root = mkdtempSync(join(tmpdir(), "git-fixture-"));
const work = join(root, "work");
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, stdio: "inherit" });
git(root, "init", "-q", "-b", "main", work);
writeFileSync(join(work, "README.md"), "cloned over HTTP basic auth\n");
git(work, "add", "README.md");
git(work, "-c", "user.name=fixture", "-c", "user.email=fixture@example.invalid", "commit", "-q", "-m", "first");
git(root, "clone", "-q", "--bare", work, join(root, "repo.git"));

const { port } = await startGitHttpServer(root, user, password);
console.log(`port=${port}`);
