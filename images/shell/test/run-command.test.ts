import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
    callTool,
    connectClient,
    dataOf,
    hasExited,
    peakRssKiB,
    startServer,
    textOf,
    type RunningServer,
} from "./harness.js";

describe("run_command", () => {
    let server: RunningServer;
    let client: Client;
    before(async () => {
        server = await startServer({ env: { MAX_COMMAND_TIMEOUT_SECONDS: "600" } });
        client = await connectClient(server);
    });
    after(async () => {
        await client.close();
        await server.stop();
    });

    it("returns exit code, stdout, stderr and duration, running in the workspace by default", async () => {
        const result = dataOf(
            await callTool(client, "run_command", { command: "echo out; echo err >&2; pwd; exit 3" }),
        );
        assert.equal(result.exit_code, 3);
        assert.equal(result.signal, null);
        assert.equal(result.stdout, `out\n${server.workspace}\n`);
        assert.equal(result.stderr, "err\n");
        assert.equal(result.truncated, false);
        assert.equal(typeof result.duration_ms, "number");
    });

    it("reports the signal that killed the command", async () => {
        const result = dataOf(await callTool(client, "run_command", { command: "kill -KILL $$" }));
        assert.equal(result.exit_code, null);
        assert.equal(result.signal, "SIGKILL");
    });

    it("passes quoting, env values and unicode through untouched", async () => {
        const weird = `a  b 'c' "d" $HOME \\ \`e\` ünïcödé 日本`;
        const result = dataOf(
            await callTool(client, "run_command", {
                command: `printf '%s|' "$WEIRD" 'it'"'"'s' "tab	here"; printf '%s' 'ünïcödé 日本'`,
                env: { WEIRD: weird },
            }),
        );
        assert.equal(result.stdout, `${weird}|it's|tab\there|ünïcödé 日本`);
    });

    it("runs in a cwd with spaces and unicode, relative to the workspace", async () => {
        const folder = "dir with spaces/ünïcödé 日本";
        await mkdir(path.join(server.workspace, folder), { recursive: true });
        const result = dataOf(await callTool(client, "run_command", { command: "pwd", cwd: folder }));
        assert.equal(result.stdout, `${path.join(server.workspace, folder)}\n`);
    });

    it("fails with a useful message for a missing cwd, a too-long timeout or a missing command", async () => {
        const missing = await callTool(client, "run_command", { command: "true", cwd: "no/such dir" });
        assert.equal(missing.isError, true);
        assert.match(textOf(missing), /cwd '.*no\/such dir' does not exist/);
        const tooLong = await callTool(client, "run_command", { command: "true", timeout_seconds: 601 });
        assert.equal(tooLong.isError, true);
        assert.match(textOf(tooLong), /timeout_seconds 601 exceeds the maximum of 600/);
        const noCommand = await callTool(client, "run_command", {});
        assert.equal(noCommand.isError, true);
        assert.match(textOf(noCommand), /command/);
    });

    it("kills the whole process group on timeout, children included", async () => {
        const started = Date.now();
        const result = await callTool(client, "run_command", {
            command: "sleep 300 & echo $! > child.pid; echo started; sleep 300",
            timeout_seconds: 1,
        });
        assert.ok(Date.now() - started < 5000, "the call must return soon after the timeout");
        assert.equal(result.isError, true);
        assert.match(textOf(result), /timed out after 1 s/);
        const partial = JSON.parse((result.content[1] as { text: string }).text);
        assert.equal(partial.timed_out, true);
        assert.equal(partial.stdout, "started\n");
        const childPid = Number(await readFile(path.join(server.workspace, "child.pid"), "utf8"));
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(await hasExited(childPid), true, `background child ${childPid} survived the timeout`);
    });

    it("returns promptly when a background child keeps the output pipes open", async () => {
        const started = Date.now();
        const result = dataOf(await callTool(client, "run_command", { command: "sleep 5 & echo done" }));
        assert.equal(result.stdout, "done\n");
        assert.ok(Date.now() - started < 3000);
    });

    it("truncates 200 MiB of output to head and tail while the server's memory stays bounded", async () => {
        const peakBefore = await peakRssKiB(server.process.pid!);
        const result = dataOf(
            await callTool(client, "run_command", {
                command: "echo START; head -c 209715200 /dev/zero | tr '\\0' x; echo; echo END >&1; echo E >&2",
            }),
        );
        const peakAfter = await peakRssKiB(server.process.pid!);
        assert.equal(result.truncated, true);
        assert.ok(result.stdout_bytes > 200 * 1024 * 1024);
        assert.ok(result.stdout.startsWith("START\nxxxx"));
        assert.ok(result.stdout.endsWith("xxxx\nEND\n"));
        assert.match(result.stdout, /\[\.\.\. \d+ bytes omitted of \d+ \.\.\.\]/);
        assert.ok(
            Buffer.byteLength(result.stdout) < 1024 * 1024 + 200,
            `stdout is ${Buffer.byteLength(result.stdout)} bytes`,
        );
        assert.equal(result.stderr, "E\n");
        const growthMiB = (peakAfter - peakBefore) / 1024;
        assert.ok(growthMiB < 64, `peak RSS grew by ${growthMiB.toFixed(1)} MiB while streaming 200 MiB`);
    });

    it("runs 20 concurrent `sleep 1` calls in parallel", async () => {
        const started = Date.now();
        const results = await Promise.all(
            Array.from({ length: 20 }, () => callTool(client, "run_command", { command: "sleep 1; echo ok" })),
        );
        const elapsed = Date.now() - started;
        for (const result of results) assert.equal(dataOf(result).stdout, "ok\n");
        assert.ok(elapsed < 5000, `20 concurrent sleeps took ${elapsed} ms`);
    });
});
