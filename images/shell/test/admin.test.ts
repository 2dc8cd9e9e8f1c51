import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
    callTool,
    connectClient,
    dataOf,
    shareServerAndClient,
    startServer,
    textOf,
    type RunningServer,
} from "./harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Scheduler state of a process ("S" sleeping, "T" stopped, ...). */
async function processState(pid: number): Promise<string> {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

/** Waits (up to 3 s) for a process to be stopped or running again: signal delivery is asynchronous. */
async function settlesTo(pid: number, stopped: boolean): Promise<boolean> {
    for (let tries = 0; tries < 30; tries++) {
        if (((await processState(pid)) === "T") === stopped) return true;
        await sleep(100);
    }
    return false;
}

// Issue 14: a backup CronJob quiesces jobs around a volume snapshot.
describe("pre-snapshot hook: POST /admin/jobs/pause and /admin/jobs/resume", () => {
    let server: RunningServer;
    let client: Client;
    const admin = (route: string, token = server.token) =>
        fetch(`${server.url}/admin/jobs/${route}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    shareServerAndClient((started) => ({ server, client } = started));

    it("stops and continues the job's whole process group, and only with the token", async () => {
        const { job_id, pid } = dataOf(
            await callTool(client, "start_job", { command: "sleep 300 & echo $! > child.pid; wait" }),
        );
        await sleep(300);
        const child = Number(await readFile(`${server.workspace}/child.pid`, "utf8"));
        assert.equal((await admin("pause", "wrong")).status, 401);
        assert.ok(await settlesTo(child, false));

        const paused = await admin("pause");
        assert.equal(paused.status, 200);
        assert.deepEqual((await paused.json()).paused, [job_id]);
        assert.ok(await settlesTo(pid, true));
        assert.ok(await settlesTo(child, true));

        const resumed = await admin("resume");
        assert.deepEqual((await resumed.json()).resumed, [job_id]);
        assert.ok(await settlesTo(pid, false));
        assert.ok(await settlesTo(child, false));
        assert.equal(dataOf(await callTool(client, "kill_job", { job_id })).state, "killed");
    });

    it("resumes on its own after max_seconds, and kill_job works on a paused job", async () => {
        const { job_id, pid } = dataOf(await callTool(client, "start_job", { command: "sleep 300" }));
        await sleep(200);
        assert.equal((await admin("pause?max_seconds=0")).status, 400);
        const paused = await admin("pause?max_seconds=1");
        assert.equal((await paused.json()).resumes_after_seconds, 1);
        assert.ok(await settlesTo(pid, true));
        await sleep(1000);
        assert.ok(await settlesTo(pid, false), "the pause did not end after max_seconds");

        await admin("pause");
        assert.equal(dataOf(await callTool(client, "kill_job", { job_id })).state, "killed");
        assert.deepEqual((await (await admin("resume")).json()).resumed, []);
    });

    /** Starts a job whose command writes `$!` of a background process to `<name>.pid`; returns both pids. */
    const jobWithChild = async (command: string, name: string) => {
        const job = dataOf(await callTool(client, "start_job", { command }));
        const file = `${server.workspace}/${name}.pid`;
        for (let tries = 0; tries < 50; tries++) {
            const text = await readFile(file, "utf8").catch(() => "");
            if (text.endsWith("\n")) return { ...job, child: Number(text) };
            await sleep(100);
        }
        throw new Error(`${file} never appeared`);
    };

    // Issue 21: a second pause must neither extend nor replace the first one's end.
    it("nested pauses keep the earliest deadline", { timeout: 30_000 }, async () => {
        const { job_id, pid } = dataOf(await callTool(client, "start_job", { command: "sleep 300" }));
        await sleep(200);
        assert.equal((await (await admin("pause?max_seconds=2")).json()).resumes_after_seconds, 2);
        const second = await (await admin("pause?max_seconds=3600")).json();
        assert.ok(second.resumes_after_seconds <= 2, JSON.stringify(second));
        assert.ok(await settlesTo(pid, true));
        await sleep(2000);
        assert.ok(await settlesTo(pid, false), "the second pause kept the job stopped past the first one's end");
        assert.equal(dataOf(await callTool(client, "kill_job", { job_id })).state, "killed");
    });

    it("refuses to start a job during a pause, and starts it after the resume", async () => {
        await admin("pause?max_seconds=60");
        const refused = await callTool(client, "start_job", { command: "echo too early" });
        assert.equal(refused.isError, true);
        assert.match(
            textOf(refused),
            /start_job: background jobs are paused for a backup of the workspace for up to \d+ s more; start the job after that/,
        );
        await admin("resume");
        const { job_id } = dataOf(await callTool(client, "start_job", { command: "true" }));
        assert.match(job_id, /^[a-z0-9]+-[a-f0-9]+$/);
    });

    it("stops the job's processes that left its process group (setsid), and continues them", async () => {
        const job = await jobWithChild("setsid sleep 300 & echo $! > escaped.pid; wait", "escaped");
        try {
            const paused = await (await admin("pause")).json();
            assert.deepEqual(paused.paused, [job.job_id]);
            assert.ok(await settlesTo(job.pid, true));
            assert.ok(await settlesTo(job.child, true), "the process that called setsid kept running");
            await admin("resume");
            assert.ok(await settlesTo(job.child, false));
        } finally {
            process.kill(job.child, "SIGKILL");
            await callTool(client, "kill_job", { job_id: job.job_id });
        }
    });

    it("resume continues only what the pause stopped", async () => {
        // The job stops one of its own processes; a backup's pause and resume must leave it stopped.
        const job = await jobWithChild("sleep 300 & kill -STOP $!; echo $! > held.pid; wait", "held");
        assert.ok(await settlesTo(job.child, true));
        await admin("pause");
        assert.ok(await settlesTo(job.pid, true));
        const resumed = await (await admin("resume")).json();
        assert.deepEqual(resumed.resumed, [job.job_id]);
        assert.ok(await settlesTo(job.pid, false));
        await sleep(300);
        assert.equal(await processState(job.child), "T", "resume continued a process the pause had not stopped");
        process.kill(job.child, "SIGKILL");
        await callTool(client, "kill_job", { job_id: job.job_id });
    });

    it("a server restart during a pause leaves no job stopped", async () => {
        const first = await startServer();
        const firstClient = await connectClient(first);
        const { pid } = dataOf(
            await callTool(firstClient, "start_job", { command: "setsid sleep 300 & echo $! > escaped.pid; wait" }),
        );
        await sleep(500);
        const escaped = Number(await readFile(`${first.workspace}/escaped.pid`, "utf8"));
        await fetch(`${first.url}/admin/jobs/pause?max_seconds=3600`, {
            method: "POST",
            headers: { authorization: `Bearer ${first.token}` },
        });
        assert.ok(await settlesTo(pid, true));
        assert.ok(await settlesTo(escaped, true));
        await firstClient.close();
        await first.stop("SIGKILL"); // the pause's own timer dies with the process
        const second = await startServer({ workspace: first.workspace });
        try {
            assert.ok(await settlesTo(pid, false), "the adopted job is still stopped after the restart");
            assert.ok(await settlesTo(escaped, false), "its process outside the group is still stopped");
        } finally {
            process.kill(escaped, "SIGKILL");
            process.kill(-pid, "SIGKILL");
            await second.stop();
        }
    });
});
