import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
    callTool,
    connectClient,
    dataOf,
    hasExited,
    shareServerAndClient,
    startServer,
    textOf,
    type RunningServer,
} from "./harness.js";

async function waitForState(client: Client, jobId: string, wanted: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const status = dataOf(await callTool(client, "job_status", { job_id: jobId }));
        if (status.state === wanted) return status;
        if (Date.now() > deadline) throw new Error(`job ${jobId} is ${status.state}, expected ${wanted}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

async function waitForOutput(client: Client, jobId: string, expected: string) {
    const deadline = Date.now() + 10_000;
    for (;;) {
        const read = dataOf(await callTool(client, "read_job_output", { job_id: jobId }));
        if (read.output.includes(expected)) return read;
        if (Date.now() > deadline) throw new Error(`job ${jobId} output never contained ${expected}: ${read.output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

describe("background jobs", () => {
    let server: RunningServer;
    let client: Client;
    shareServerAndClient((started) => ({ server, client } = started));

    it("runs a job to completion and keeps its output and exit code", async () => {
        const started = dataOf(
            await callTool(client, "start_job", {
                command: 'for i in 1 2 3; do echo "line$i $GREETING"; sleep 0.1; done; echo oops >&2; exit 4',
                env: { GREETING: "hi there" },
            }),
        );
        assert.match(started.job_id, /^[a-z0-9]+-[a-f0-9]+$/);
        const status = await waitForState(client, started.job_id, "exited");
        assert.equal(status.exit_code, 4);
        assert.ok(status.ended_at);
        const read = dataOf(await callTool(client, "read_job_output", { job_id: started.job_id }));
        assert.equal(read.output, "line1 hi there\nline2 hi there\nline3 hi there\noops\n");
        assert.equal(read.eof, true);
        assert.ok((await readdir(path.join(server.workspace, ".agent", "jobs", started.job_id))).includes("job.json"));
    });

    it("reads output incrementally from next_offset, never splitting a UTF-8 character", async () => {
        const { job_id } = dataOf(
            await callTool(client, "start_job", { command: "echo first; sleep 0.7; printf 'é✓'" }),
        );
        const first = await waitForOutput(client, job_id, "first");
        assert.equal(first.output, "first\n");
        await waitForState(client, job_id, "exited");
        const split = dataOf(
            await callTool(client, "read_job_output", { job_id, offset: first.next_offset, max_bytes: 3 }),
        );
        assert.equal(split.output, "é");
        assert.equal(split.next_offset, first.next_offset + 2);
        assert.equal(split.eof, false);
        const rest = dataOf(await callTool(client, "read_job_output", { job_id, offset: split.next_offset }));
        assert.equal(rest.output, "✓");
        assert.equal(rest.eof, true);
        const beyond = await callTool(client, "read_job_output", { job_id, offset: 10_000 });
        assert.equal(beyond.isError, true);
        assert.match(textOf(beyond), /offset 10000 is beyond the end of the output \(11 bytes so far\)/);
    });

    it("kills a job's whole process group and reports it killed", async () => {
        const { job_id } = dataOf(
            await callTool(client, "start_job", { command: "sleep 300 & echo child $!; sleep 300" }),
        );
        const read = await waitForOutput(client, job_id, "child");
        const childPid = Number(/child (\d+)/.exec(read.output)![1]);
        const killed = dataOf(await callTool(client, "kill_job", { job_id }));
        assert.equal(killed.state, "killed");
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(await hasExited(childPid), true);
        const again = await callTool(client, "kill_job", { job_id });
        assert.equal(again.isError, true);
        assert.match(textOf(again), /is not running \(state: killed\)/);
    });

    it("refuses to start a job in a missing folder", async () => {
        const result = await callTool(client, "start_job", { command: "true", cwd: "does not exist" });
        assert.equal(result.isError, true);
        assert.match(textOf(result), /start_job: cwd '.*does not exist' does not exist; create it first/);
    });

    it("rejects unknown and malformed job ids with a pointer to list_jobs", async () => {
        for (const job_id of ["zzz-000", "../../etc", ""]) {
            const result = await callTool(client, "job_status", { job_id });
            assert.equal(result.isError, true, job_id);
            assert.match(textOf(result), job_id ? /unknown; call list_jobs/ : /job_id/);
        }
    });

    it("lists every job, oldest first", async () => {
        const { jobs } = dataOf(await callTool(client, "list_jobs"));
        assert.equal(jobs.length, 3);
        assert.deepEqual(
            jobs.map((job: { state: string }) => job.state),
            ["exited", "exited", "killed"],
        );
    });
});

describe("jobs across a server restart", () => {
    it("marks jobs that died with the pod interrupted and keeps their output readable", async () => {
        const first = await startServer();
        let client = await connectClient(first);
        const { job_id, pid } = dataOf(
            await callTool(client, "start_job", { command: "echo 'before the crash'; sleep 300" }),
        );
        await waitForOutput(client, job_id, "before the crash");
        await client.close();
        // A pod restart takes the server and every process of the container down at once.
        await first.stop("SIGKILL");
        process.kill(-pid, "SIGKILL");

        const second = await startServer({ workspace: first.workspace });
        try {
            client = await connectClient(second);
            const { jobs } = dataOf(await callTool(client, "list_jobs"));
            assert.equal(jobs.length, 1);
            assert.equal(jobs[0].id, job_id);
            assert.equal(jobs[0].state, "interrupted");
            assert.equal(jobs[0].exit_code, null);
            const read = dataOf(await callTool(client, "read_job_output", { job_id }));
            assert.equal(read.output, "before the crash\n");
            assert.equal(read.state, "interrupted");
            await client.close();
        } finally {
            await second.stop();
        }
    });

    it("adopts a job that outlived the server process and records how it ended", async () => {
        const first = await startServer();
        let client = await connectClient(first);
        const { job_id } = dataOf(
            await callTool(client, "start_job", { command: "echo a; sleep 1.5; echo b; exit 7" }),
        );
        await waitForOutput(client, job_id, "a");
        await client.close();
        await first.stop("SIGKILL");

        const second = await startServer({ workspace: first.workspace });
        try {
            client = await connectClient(second);
            assert.equal(dataOf(await callTool(client, "job_status", { job_id })).state, "running");
            const status = await waitForState(client, job_id, "exited");
            assert.equal(status.exit_code, 7);
            assert.equal(dataOf(await callTool(client, "read_job_output", { job_id })).output, "a\nb\n");
            await client.close();
        } finally {
            await second.stop();
        }
    });
});
