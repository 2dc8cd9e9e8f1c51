import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callTool, dataOf, shareServerAndClient, textOf, whileHealthProbed, type RunningServer } from "./harness.js";

const run = promisify(execFile);

// Issue 11 item 1: the liveness probe restarts the container (and kills every job) when /healthz
// does not answer within 1 s, so no tool call may hold the event loop that long.
describe("the event loop stays free: /healthz answers within 1 s while any tool runs", () => {
    let server: RunningServer;
    let client: Client;
    shareServerAndClient((started) => ({ server, client } = started));

    it("edit_file on a 4.4 MB log with 120k matches reports the ambiguity without stalling", {
        timeout: 60_000,
    }, async () => {
        await writeFile(
            path.join(server.workspace, "big.log"),
            "ERROR: disk full, retrying\n".repeat(120_000).padEnd(4_400_000, "."),
        );
        const { result, failures } = await whileHealthProbed(server, () =>
            callTool(client, "edit_file", { path: "big.log", old_text: "ERROR", new_text: "WARN" }),
        );
        assert.equal(result.isError, true);
        assert.match(
            textOf(result),
            /old_text occurs 120000 times in '.*big\.log' \(lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10\)/,
        );
        assert.deepEqual(failures, []);
    });

    it("edit_file with a repetitive old_text on a 16 MB file counts matches in linear time", {
        timeout: 60_000,
    }, async () => {
        await writeFile(path.join(server.workspace, "same.txt"), "a".repeat(16_000_000));
        const { result, failures } = await whileHealthProbed(server, () =>
            callTool(client, "edit_file", { path: "same.txt", old_text: "a".repeat(1000), new_text: "b" }),
        );
        assert.equal(result.isError, true);
        // Counted as: the first, a second that may overlap it, then the rest without overlap.
        assert.match(textOf(result), /old_text occurs 16000 times in '.*same\.txt' \(lines 1, 1, 1/);
        assert.deepEqual(failures, []);
    });

    it("edit_file refuses a file over its size cap with a clear error, at once", { timeout: 60_000 }, async () => {
        await run("bash", [
            "-c",
            `head -c 209715200 /dev/zero | tr '\\0' 'a' > '${path.join(server.workspace, "huge.txt")}'`,
        ]);
        const { result, failures } = await whileHealthProbed(server, () =>
            callTool(client, "edit_file", { path: "huge.txt", old_text: "aaa", new_text: "b" }),
        );
        assert.equal(result.isError, true);
        assert.match(
            textOf(result),
            /edit_file: path '.*huge\.txt' is 209715200 bytes, over the \d+-byte limit of edit_file; edit it with run_command \(sed, python\)/,
        );
        assert.deepEqual(failures, []);
    });

    it("read_file of a 200 MiB single-line file", { timeout: 60_000 }, async () => {
        const { result, failures } = await whileHealthProbed(server, () =>
            callTool(client, "read_file", { path: "huge.txt" }),
        );
        assert.equal(result.isError, undefined);
        assert.deepEqual(failures, []);
    });

    it("list_directory of 100k entries", { timeout: 120_000 }, async () => {
        // On tmpfs when there is one: creating 100k files on a busy disk takes half a minute.
        const scratch = await mkdtemp(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "shell-mcp-many-"));
        try {
            await run("bash", ["-c", `seq -f 'file-%06g' 100000 | xargs touch`], { cwd: scratch });
            const { result, failures } = await whileHealthProbed(server, () =>
                callTool(client, "list_directory", { path: scratch, max_entries: 100_000 }),
            );
            assert.equal(textOf(result).split("\n").length, 100_000);
            assert.deepEqual(failures, []);
        } finally {
            await rm(scratch, { recursive: true, force: true });
        }
    });

    it("run_command flooding 3 GB of output", { timeout: 120_000 }, async () => {
        const { result, failures } = await whileHealthProbed(server, () =>
            // NUL bytes straight from /dev/zero: the flood's size is what matters, and no `tr` in between.
            callTool(client, "run_command", { command: "head -c 3221225472 /dev/zero", timeout_seconds: 100 }),
        );
        assert.equal(dataOf(result).stdout_bytes, 3221225472);
        assert.deepEqual(failures, []);
    });
});
