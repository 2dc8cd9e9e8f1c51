import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
    callTool,
    connectClient,
    dataOf,
    parseMetrics,
    samplesOf,
    shareServerAndClient,
    startServer,
    type RunningServer,
} from "./harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metricsOf(server: RunningServer) {
    const response = await fetch(`${server.metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    return parseMetrics(await response.text());
}

// Issue 14 and docs/pod-contract.md: the names the alert rules use, in the real /metrics output.
describe("metrics on METRICS_PORT (the names of docs/pod-contract.md)", () => {
    let server: RunningServer;
    let client: Client;
    shareServerAndClient((started) => ({ server, client } = started));

    it("counts tool calls by tool and outcome and times them, labelled server=shell", async () => {
        dataOf(await callTool(client, "run_command", { command: "true" }));
        assert.equal((await callTool(client, "read_file", { path: "does-not-exist.txt" })).isError, true);
        const samples = await metricsOf(server);
        const ok = samplesOf(samples, "mcp_tool_calls_total", { server: "shell", tool: "run_command", outcome: "ok" });
        assert.equal(ok.length, 1);
        assert.ok(ok[0].value >= 1);
        assert.equal(
            samplesOf(samples, "mcp_tool_calls_total", { server: "shell", tool: "read_file", outcome: "error" })[0]
                ?.value,
            1,
        );
        assert.ok(
            samplesOf(samples, "mcp_tool_call_duration_seconds_count", { server: "shell", tool: "run_command" })[0]
                ?.value >= 1,
        );
        assert.ok(
            samplesOf(samples, "mcp_tool_call_duration_seconds_bucket", {
                server: "shell",
                tool: "run_command",
                le: "+Inf",
            }).length === 1,
        );
    });

    it("counts 401s in mcp_auth_failures_total", async () => {
        const before =
            samplesOf(await metricsOf(server), "mcp_auth_failures_total", { server: "shell" })[0]?.value ?? 0;
        const refused = await fetch(`${server.url}/mcp`, {
            method: "POST",
            headers: { authorization: "Bearer guess" },
            body: "{}",
        });
        assert.equal(refused.status, 401);
        assert.equal(
            samplesOf(await metricsOf(server), "mcp_auth_failures_total", { server: "shell" })[0]?.value,
            before + 1,
        );
    });

    it("shows calls in flight, running jobs and the oldest running job's age", async () => {
        const call = callTool(client, "run_command", { command: "sleep 1.5" });
        const { job_id } = dataOf(await callTool(client, "start_job", { command: "sleep 30" }));
        await sleep(1100);
        const during = await metricsOf(server);
        assert.equal(samplesOf(during, "mcp_tool_calls_in_flight", { server: "shell" })[0]?.value, 1);
        assert.equal(samplesOf(during, "shell_jobs_running")[0]?.value, 1);
        assert.ok(samplesOf(during, "shell_job_oldest_running_seconds")[0]?.value >= 1);
        await call;
        dataOf(await callTool(client, "kill_job", { job_id }));
        const afterwards = await metricsOf(server);
        assert.equal(samplesOf(afterwards, "mcp_tool_calls_in_flight", { server: "shell" })[0]?.value, 0);
        assert.equal(samplesOf(afterwards, "shell_jobs_running")[0]?.value, 0);
        assert.equal(samplesOf(afterwards, "shell_job_oldest_running_seconds")[0]?.value, 0);
    });

    it("serves nothing but /metrics on the metrics port, and no /metrics on the MCP port", async () => {
        assert.equal((await fetch(`${server.metricsUrl}/mcp`, { method: "POST", body: "{}" })).status, 404);
        assert.equal((await fetch(`${server.metricsUrl}/healthz`)).status, 404);
        assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    });

    it("never reveals tool arguments in /metrics or /healthz", async () => {
        const marker = "argument-marker-5c1e";
        const call = callTool(client, "run_command", {
            command: `sleep 1; echo ${marker}`,
            env: { [`VAR_${marker.replace(/-/g, "_")}`]: marker },
        });
        await sleep(300);
        const bodies = await Promise.all([
            fetch(`${server.metricsUrl}/metrics`).then((response) => response.text()),
            fetch(`${server.url}/healthz`).then((response) => response.text()),
        ]);
        await call;
        bodies.push(await fetch(`${server.metricsUrl}/metrics`).then((response) => response.text()));
        for (const body of bodies) assert.ok(!body.includes("5c1e"), `argument leaked: ${body.slice(0, 200)}`);
    });
});

// Issue 11 item 5: unauthenticated /healthz must not fork per request.
describe("/healthz is cheap", () => {
    it("answers 300 concurrent probes from state refreshed at most once a second", async () => {
        // Count the server's health spawns with a `true` on PATH that logs each run.
        const shims = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-shims-"));
        const counter = path.join(shims, "spawns");
        await writeFile(path.join(shims, "true"), `#!/bin/sh\necho spawn >> '${counter}'\n`);
        await chmod(path.join(shims, "true"), 0o755);
        const server = await startServer({ env: { PATH: `${shims}:${process.env.PATH}` } });
        try {
            const answers = await Promise.all(
                Array.from({ length: 300 }, () => fetch(`${server.url}/healthz`).then((response) => response.status)),
            );
            assert.deepEqual(new Set(answers), new Set([200]));
            const spawns = (await readFile(counter, "utf8").catch(() => "")).split("\n").filter(Boolean).length;
            assert.ok(spawns <= 2, `300 probes spawned ${spawns} processes`);
        } finally {
            await server.stop();
        }
    });
});

// Issue 11 item 8: one rule for both servers: no token file, or an empty one, fails closed.
describe("the token file fails closed", () => {
    it("refuses every request and reports unhealthy while the token file is missing or empty", {
        timeout: 30_000,
    }, async () => {
        const server = await startServer();
        try {
            const client = await connectClient(server);
            await rm(server.tokenFile);
            await assert.rejects(connectClient(server), /missing or wrong bearer token/);
            await assert.rejects(client.listTools(), /401|missing or wrong bearer token/);
            await sleep(1100);
            assert.equal((await fetch(`${server.url}/healthz`)).status, 503);

            await writeFile(server.tokenFile, "\n");
            await assert.rejects(connectClient(server), /missing or wrong bearer token/);
            await sleep(1100);
            assert.equal((await fetch(`${server.url}/healthz`)).status, 503);

            await writeFile(server.tokenFile, `${server.token}\n`);
            const again = await connectClient(server);
            assert.ok((await again.listTools()).tools.length > 0);
            await sleep(1100);
            assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
            await again.close();
            await client.close().catch(() => undefined);
        } finally {
            await server.stop();
        }
    });
});
