import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { type RedactionLimits, Redactor } from "../src/audit/redact.js";
import { AuditTrail } from "../src/audit/trail.js";
import { callTool, connectClient, dataOf, startServer } from "./harness.js";

const SECRET = "configured-secret-4711";

async function readEvents(file: string): Promise<Record<string, any>[]> {
    const text = await readFile(file, "utf8");
    return text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = await probe().catch(() => undefined);
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error("timed out waiting");
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

describe("audit trail", () => {
    it("records exactly the calls made, with outcome, caller and redacted secrets, and the job's events", async () => {
        const dir = await mkdtemp(path.join(os.tmpdir(), "shell-audit-"));
        const server = await startServer({
            env: { AUDIT_DIR: dir, AGENT_NAME: "devbot", AUDIT_REDACT_ENV: "DEPLOY_KEY", DEPLOY_KEY: SECRET },
        });
        const client = await connectClient(server);
        try {
            const command = `echo ${SECRET}; export GH_TOKEN=ghp_${"a".repeat(36)}; curl -H 'Authorization: Bearer abcdefghijkl' https://u:pw123@example.com`;
            dataOf(
                await callTool(client, "run_command", { command, env: { API_TOKEN: "tok-value-1", PLAIN: "visible" } }),
            );
            const failed = await callTool(client, "read_file", { path: "does/not/exist.txt" });
            assert.equal(failed.isError, true);
            const job = dataOf(await callTool(client, "start_job", { command: "printf hello; exit 3" }));
            const file = path.join(dir, "shell.jsonl");
            const events = await waitFor(async () => {
                const all = await readEvents(file);
                return all.some((e) => e.kind === "job" && e.event === "finished") ? all : undefined;
            });
            const text = await readFile(file, "utf8");
            for (const secret of [SECRET, "ghp_aaaa", "tok-value-1", "abcdefghijkl", "pw123"]) {
                assert.ok(!text.includes(secret), `${secret} reached the trail: ${text}`);
            }
            const calls = events.filter((e) => e.kind === "tool_call");
            assert.deepEqual(
                calls.map((e) => [e.tool, e.outcome]),
                [
                    ["run_command", "ok"],
                    ["read_file", "tool_error"],
                    ["start_job", "ok"],
                ],
            );
            const [run, read] = calls;
            assert.equal(run.v, 1);
            assert.equal(run.server, "shell");
            assert.equal(run.agent, "devbot");
            assert.match(run.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
            assert.equal(typeof run.durationMs, "number");
            assert.equal(run.error, null);
            assert.equal(run.arguments.env.PLAIN, "visible");
            assert.equal(run.arguments.env.API_TOKEN, "[REDACTED]");
            assert.match(run.arguments.command, /GH_TOKEN=\[REDACTED\]/);
            assert.ok(run.caller && "client" in run.caller && "traceId" in run.caller);
            assert.match(read.error, /does\/not\/exist/);
            const jobEvents = events.filter((e) => e.kind === "job");
            assert.deepEqual(
                jobEvents.map((e) => [e.event, e.jobId, e.exitCode, e.outputBytes]),
                [
                    ["started", job.job_id, null, 0],
                    ["finished", job.job_id, 3, 5],
                ],
            );
            // Echoed to the log stream for the cluster's collector as well, without the arguments themselves.
            assert.ok(
                server.logs.some((line) => line.includes('"msg":"audit"') && line.includes('"tool":"read_file"')),
            );
        } finally {
            await client.close();
            await server.stop();
        }
    });

    it("a trail that cannot be written fails no tool call", async () => {
        const blocker = path.join(await mkdtemp(path.join(os.tmpdir(), "shell-audit-")), "not-a-dir");
        await writeFile(blocker, "");
        const server = await startServer({ env: { AUDIT_DIR: path.join(blocker, "audit") } });
        const client = await connectClient(server);
        try {
            for (let i = 0; i < 3; i++) {
                assert.equal(dataOf(await callTool(client, "run_command", { command: "echo ok" })).exit_code, 0);
            }
            await waitFor(async () => (server.logs.some((l) => l.includes("audit_write_failed")) ? true : undefined));
            assert.equal(
                server.logs.filter((l) => l.includes("audit_write_failed")).length,
                1,
                "logged once per streak",
            );
        } finally {
            await client.close();
            await server.stop();
        }
    });

    it("keeps the newest rotated files by age, not by name (files of one second: ….jsonl, …-1, …-2)", async () => {
        const dir = await mkdtemp(path.join(os.tmpdir(), "shell-audit-"));
        try {
            // Rotated in one second, oldest first: `…Z.jsonl` sorts after `…Z-2.jsonl` by name.
            const names = [
                "shell.20261205T000000Z.jsonl",
                "shell.20261205T000000Z-1.jsonl",
                "shell.20261205T000000Z-2.jsonl",
            ];
            for (const [age, name] of names.entries()) {
                await writeFile(path.join(dir, name), "{}\n");
                const when = new Date(Date.now() - (10 - age) * 1000);
                await utimes(path.join(dir, name), when, when);
            }
            await writeFile(path.join(dir, "shell.jsonl"), `${"x".repeat(90)}\n`);
            const trail = new AuditTrail({
                dir,
                server: "shell",
                agent: "a",
                maxFileBytes: 100,
                maxRotatedFiles: 2,
                maxAgeMs: 86_400_000,
                echo: false,
            });
            trail.record({ kind: "tool_call", n: 1 });
            await trail.flushed();
            const kept = (await readdir(dir)).sort();
            assert.ok(kept.includes("shell.20261205T000000Z-2.jsonl"), kept.join(","));
            assert.ok(!kept.includes("shell.20261205T000000Z.jsonl"), kept.join(","));
            assert.equal(kept.length, 3, kept.join(","));
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });

    it("rotates by size and keeps only the newest rotated files", async () => {
        const dir = await mkdtemp(path.join(os.tmpdir(), "shell-audit-"));
        const trail = new AuditTrail({
            dir,
            server: "shell",
            agent: "a",
            maxFileBytes: 1000,
            maxRotatedFiles: 2,
            maxAgeMs: 86_400_000,
            echo: false,
        });
        for (let i = 0; i < 60; i++) {
            trail.record({ kind: "tool_call", tool: "run_command", n: i, pad: "x".repeat(80) });
            if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 1100)); // distinct rotation stamps
        }
        await trail.flushed();
        const files = (await readdir(dir)).sort();
        assert.equal(files.length, 3, files.join(","));
        assert.ok(files.includes("shell.jsonl"));
        for (const name of files) {
            const lines = await readEvents(path.join(dir, name));
            assert.ok(Buffer.byteLength(await readFile(path.join(dir, name))) <= 1000);
            assert.ok(lines.length > 0);
        }
        const newest = await readEvents(path.join(dir, "shell.jsonl"));
        assert.equal(newest.at(-1)!.n, 59, "the open file holds the latest event");
        const kept = (await Promise.all(files.map((f) => readEvents(path.join(dir, f))))).flat().map((e) => e.n);
        assert.ok(!kept.includes(0), "the oldest events were deleted first");
    });

    it("redacts the shared cases exactly as the computer-control sidecar does (tests/audit/redaction-cases.json)", async () => {
        const shared = JSON.parse(
            await readFile(new URL("../../../tests/audit/redaction-cases.json", import.meta.url), "utf8"),
        ) as {
            cases: {
                name: string;
                secrets: string[];
                limits: RedactionLimits;
                arguments: unknown;
                expected: unknown;
            }[];
        };
        assert.ok(shared.cases.length >= 10);
        for (const c of shared.cases) {
            assert.deepEqual(new Redactor(c.secrets, c.limits).arguments(c.arguments), c.expected, c.name);
        }
    });

    it("redacts configured secrets, named secrets and token shapes, and caps sizes", () => {
        const redactor = new Redactor([SECRET], { maxStringBytes: 64, maxTotalBytes: 400 });
        const out = redactor.arguments({
            command: `use ${SECRET} and sk-${"b".repeat(30)} --password=hunter22`,
            headers: { Authorization: "Basic dXNlcjpwYXNz" },
        }) as Record<string, any>;
        assert.equal(out.command, "use [REDACTED] and [REDACTED] --password=[REDACTED]");
        assert.equal(out.headers.Authorization, "[REDACTED]");
        const long = redactor.arguments({ content: "é".repeat(100) }) as Record<string, any>;
        assert.match(long.content, /^é{32}…\(truncated, 200 bytes\)$/);
        const big = redactor.arguments({ old_text: `token=${"z".repeat(16 * 1024 * 1024)}` }) as Record<string, any>;
        assert.match(big.old_text, /^token=\[REDACTED\]…\(truncated, 16777222 bytes\)$/);
        const huge = redactor.arguments(
            Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, "v".repeat(60)])),
        );
        assert.match((huge as any)["…"], /truncated/);
    });
});
