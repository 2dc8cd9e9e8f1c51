import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callTool, connectClient, dataOf, shareServerAndClient, startServer, type RunningServer } from "./harness.js";

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

    it("a server restart during a pause leaves no job stopped", async () => {
        const first = await startServer();
        const firstClient = await connectClient(first);
        const { pid } = dataOf(await callTool(firstClient, "start_job", { command: "sleep 300" }));
        await sleep(200);
        await fetch(`${first.url}/admin/jobs/pause?max_seconds=3600`, {
            method: "POST",
            headers: { authorization: `Bearer ${first.token}` },
        });
        assert.ok(await settlesTo(pid, true));
        await firstClient.close();
        await first.stop("SIGKILL"); // the pause's own timer dies with the process
        const second = await startServer({ workspace: first.workspace });
        try {
            assert.ok(await settlesTo(pid, false), "the adopted job is still stopped after the restart");
        } finally {
            await second.stop();
        }
    });
});
