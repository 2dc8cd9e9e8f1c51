import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
    callTool,
    connectClient,
    dataOf,
    shareServerAndClient,
    startServer,
    textOf,
    whileHealthProbed,
    type RunningServer,
} from "./harness.js";

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

    // Issue 21: V8's indexOf is Boyer-Moore with shift tables over the pattern's last 250 characters, so
    // "a…a b a…a" over a run of a's costs text × pattern (minutes here, and a worker cannot interrupt it).
    const adversarial = `${"a".repeat(5000)}b${"a".repeat(5000)}`;

    it("edit_file with an adversarial old_text on a 1 MB file (planned on the event loop)", {
        timeout: 60_000,
    }, async () => {
        await writeFile(path.join(server.workspace, "run-1m.txt"), "a".repeat(1_000_000));
        const { result, failures } = await whileHealthProbed(server, () =>
            callTool(client, "edit_file", { path: "run-1m.txt", old_text: adversarial, new_text: "b" }),
        );
        assert.match(textOf(result), /old_text was not found/);
        assert.deepEqual(failures, []);
    });

    it("edit_file with an adversarial old_text on a 16 MB file (planned on a worker) answers in seconds", {
        timeout: 60_000,
    }, async () => {
        await writeFile(path.join(server.workspace, "run-16m.txt"), "a".repeat(16_000_000) + adversarial);
        const started = Date.now();
        const { result, failures } = await whileHealthProbed(server, () =>
            callTool(client, "edit_file", { path: "run-16m.txt", old_text: adversarial, new_text: "b" }),
        );
        assert.equal(result.isError, undefined, textOf(result));
        assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
        assert.deepEqual(failures, []);
    });

    it("pipes, sockets and devices are refused at once, never waited on", { timeout: 60_000 }, async () => {
        // Opening a FIFO for reading waits for a writer in one of libuv's 4 file-system threads: five of
        // them used to hang every later file operation, the token check and /healthz included.
        const fifos = await Promise.all(
            [1, 2, 3, 4, 5].map(async (n) => {
                const fifo = path.join(server.workspace, `pipe-${n}`);
                await run("mkfifo", [fifo]);
                return fifo;
            }),
        );
        const { result, failures } = await whileHealthProbed(server, () =>
            Promise.all([
                ...fifos.map((fifo) => callTool(client, "read_file", { path: fifo })),
                callTool(client, "edit_file", { path: fifos[0], old_text: "a", new_text: "b" }),
                callTool(client, "write_file", { path: fifos[1], content: "x", append: true }),
                callTool(client, "read_file", { path: "/dev/zero" }),
            ]),
        );
        for (const call of result) {
            assert.equal(call.isError, true);
            assert.match(textOf(call), /is (a named pipe \(FIFO\)|a character device), not a regular file/);
        }
        assert.deepEqual(failures, []);
        assert.equal(textOf(await callTool(client, "read_file", { path: "big.log" })).slice(0, 5), "ERROR");
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

/** Threads of a process now (the main thread, libuv's pool, V8's platform threads, workers). */
async function threadCount(pid: number): Promise<number> {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    return Number(/^Threads:\s+(\d+)/m.exec(status)![1]);
}

describe("edit_file's worker has a deadline", () => {
    let server: RunningServer;
    let client: Client;
    before(async () => {
        server = await startServer({ env: { EDIT_FILE_TIMEOUT_MS: "50" } });
        client = await connectClient(server);
    });
    after(async () => {
        await client.close();
        await server.stop();
    });

    it("past it the call fails, the file is unchanged and the worker is gone", { timeout: 60_000 }, async () => {
        const file = path.join(server.workspace, "long.txt");
        const content = `${"a".repeat(16_000_000)}tail`;
        await writeFile(file, content);
        const baseline = await threadCount(server.process.pid!);
        const result = await callTool(client, "edit_file", {
            path: "long.txt",
            old_text: `${"a".repeat(5000)}b${"a".repeat(5000)}`,
            new_text: "x",
        });
        // The search alone takes a few hundred ms here: a worker left running would still be counted.
        const threadsAfter = await threadCount(server.process.pid!);
        assert.equal(result.isError, true);
        assert.match(
            textOf(result),
            /edit_file: planning the edit took over 0\.05 s, so it was stopped and '.*long\.txt' was left unchanged; make the edit with run_command/,
        );
        assert.ok(threadsAfter <= baseline, `${threadsAfter} threads after the call, ${baseline} before`);
        assert.equal((await readFile(file, "utf8")).length, content.length);
    });
});
