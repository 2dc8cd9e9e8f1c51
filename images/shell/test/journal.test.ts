import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { callTool, connectClient, dataOf, hasExited, startServer, textOf } from "./harness.js";

const JOBS = [".agent", "jobs"];

async function writeEntry(workspace: string, folder: string, content: string): Promise<void> {
    await mkdir(path.join(workspace, ...JOBS, folder), { recursive: true });
    await writeFile(path.join(workspace, ...JOBS, folder, "job.json"), content);
}

function record(fields: Record<string, unknown>): string {
    return JSON.stringify({
        command: "sleep 300",
        cwd: "/tmp",
        state: "running",
        pid: null,
        pid_start_ticks: null,
        started_at: "2026-01-01T00:00:00.000Z",
        ended_at: null,
        exit_code: null,
        signal: null,
        ...fields,
    });
}

/** A process that is not a job of the server: its own process group, like any other agent process. */
async function foreignProcess(): Promise<{ pid: number; startTicks: string }> {
    const child = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
    child.unref();
    await new Promise((resolve) => child.once("spawn", resolve));
    const stat = await readFile(`/proc/${child.pid}/stat`, "utf8");
    return { pid: child.pid!, startTicks: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] };
}

// Issue 11 item 2: the journal lives on the PVC; one bad entry must not crash-loop the pod.
describe("journal entries are validated and bad ones quarantined", () => {
    it("starts despite malformed job.json files, lists the good job and reports each bad one", async () => {
        const workspace = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-journal-"));
        await writeEntry(workspace, "a-01", "{}");
        await writeEntry(workspace, "b-02", "null");
        await writeEntry(workspace, "c-03", record({ id: "c-03", state: "exited", started_at: 1767225600 }));
        await writeEntry(workspace, "d-04", record({ id: "d-04" }).slice(0, 40));
        await writeEntry(workspace, "e-05", record({ id: "../../escaped-0a", state: "exited", exit_code: 0 }));
        await writeEntry(
            workspace,
            "f-06",
            record({ id: "f-06", state: "exited", exit_code: 0, ended_at: "2026-01-01T00:01:00.000Z" }),
        );
        await writeFile(path.join(workspace, ...JOBS, "f-06", "output.log"), "kept\n");
        const server = await startServer({ workspace });
        try {
            const client = await connectClient(server);
            const listing = dataOf(await callTool(client, "list_jobs"));
            assert.deepEqual(
                listing.jobs.map((job: { id: string }) => job.id),
                ["f-06"],
            );
            const reasons = Object.fromEntries(
                listing.quarantined.map((entry: { folder: string; reason: string }) => [entry.folder, entry.reason]),
            );
            assert.deepEqual(Object.keys(reasons).sort(), ["a-01", "b-02", "c-03", "d-04", "e-05"]);
            assert.match(reasons["a-01"], /id/);
            assert.match(reasons["b-02"], /object/);
            assert.match(reasons["c-03"], /started_at/);
            assert.match(reasons["d-04"], /JSON/);
            assert.match(reasons["e-05"], /id/);
            assert.equal(dataOf(await callTool(client, "read_job_output", { job_id: "f-06" })).output, "kept\n");
            // Nothing was written outside the journal folder on behalf of the `../` id.
            await assert.rejects(access(path.join(workspace, "escaped-0a")));
            await assert.rejects(access(path.join(workspace, ".agent", "escaped-0a")));
            await client.close();
        } finally {
            await server.stop();
        }
    });
});

// Issue 11 item 3: the journal's pid is trusted only after the process is proven to be the job's.
describe("a job's process identity is verified before any signal", () => {
    it("never adopts or signals a foreign process, whether the journal copies its start time or leaves it out", async () => {
        const copied = await foreignProcess();
        const missing = await foreignProcess();
        const workspace = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-identity-"));
        await writeEntry(
            workspace,
            "aa-01",
            record({ id: "aa-01", pid: copied.pid, pid_start_ticks: copied.startTicks }),
        );
        await writeEntry(workspace, "bb-02", record({ id: "bb-02", pid: missing.pid, pid_start_ticks: null }));
        const server = await startServer({ workspace });
        try {
            const client = await connectClient(server);
            for (const job_id of ["aa-01", "bb-02"]) {
                const status = dataOf(await callTool(client, "job_status", { job_id }));
                // Assert before kill_job: a job adopted as running would be signalled.
                assert.notEqual(status.state, "running", `${job_id} was adopted as running`);
                const kill = await callTool(client, "kill_job", { job_id });
                assert.equal(kill.isError, true);
            }
            await client.close();
            await server.stop("SIGTERM");
            await new Promise((resolve) => setTimeout(resolve, 200));
            assert.equal(await hasExited(copied.pid), false, "the foreign process with a copied start time was killed");
            assert.equal(await hasExited(missing.pid), false, "the foreign process without a start time was killed");
        } finally {
            await server.stop();
            for (const pid of [copied.pid, missing.pid]) if (!(await hasExited(pid))) process.kill(pid, "SIGKILL");
        }
    });

    it("refuses pid 1 and other pids <= 1 in the journal (never kill(-1))", async () => {
        const workspace = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-pid1-"));
        const init = await readFile("/proc/1/stat", "utf8");
        await writeEntry(
            workspace,
            "cc-03",
            record({ id: "cc-03", pid: 1, pid_start_ticks: init.slice(init.lastIndexOf(")") + 2).split(" ")[19] }),
        );
        await writeEntry(workspace, "dd-04", record({ id: "dd-04", pid: 0 }));
        const server = await startServer({ workspace });
        try {
            const client = await connectClient(server);
            const listing = dataOf(await callTool(client, "list_jobs"));
            const states = Object.fromEntries(
                listing.jobs.map((job: { id: string; state: string }) => [job.id, job.state]),
            );
            const quarantined = listing.quarantined.map((entry: { folder: string }) => entry.folder);
            for (const id of ["cc-03", "dd-04"]) {
                assert.ok(states[id] === undefined || states[id] !== "running", `${id} was adopted as running`);
                assert.ok(quarantined.includes(id), `${id} is not reported as quarantined`);
            }
            const kill = await callTool(client, "kill_job", { job_id: "cc-03" });
            assert.equal(kill.isError, true);
            assert.match(textOf(kill), /unknown; call list_jobs/);
            await client.close();
        } finally {
            await server.stop();
        }
    });
});
