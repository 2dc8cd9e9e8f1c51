import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callTool, dataOf, peakRssKiB, shareServerAndClient, textOf, type RunningServer } from "./harness.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** Sends only a request head (no body) and returns the first line of the answer, or a timeout note. */
function requestHeadOnly(port: number, head: string, waitMs = 3000): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => socket.write(head));
        let answer = "";
        const timer = setTimeout(() => {
            socket.destroy();
            resolve(`no answer within ${waitMs} ms`);
        }, waitMs);
        socket.on("data", (chunk) => {
            answer += chunk.toString("latin1");
            if (answer.includes("\r\n")) {
                clearTimeout(timer);
                socket.destroy();
                resolve(answer.split("\r\n")[0]);
            }
        });
        socket.on("error", reject);
    });
}

// Issue 11 item 4: every documented cap holds for every input.
describe("documented caps hold for every input", () => {
    let server: RunningServer;
    let client: Client;
    shareServerAndClient((started) => ({ server, client } = started), { ignoreClientCloseError: true });

    it("read_file returns at most 4 MiB even when one line is 200 MiB, with bounded memory and a way on", {
        timeout: 60_000,
    }, async () => {
        await run("bash", [
            "-c",
            `{ head -c 209715200 /dev/zero | tr '\\0' 'x'; printf '\\nsecond line\\n'; } > '${path.join(server.workspace, "one-line.txt")}'`,
        ]);
        const peakBefore = await peakRssKiB(server.process.pid!);
        const result = await callTool(client, "read_file", { path: "one-line.txt" });
        const peakAfter = await peakRssKiB(server.process.pid!);
        assert.equal(result.isError, undefined);
        assert.ok(
            Buffer.byteLength(textOf(result)) <= 4 * MiB,
            `read_file returned ${Buffer.byteLength(textOf(result))} bytes`,
        );
        assert.ok(textOf(result).startsWith("xxxx"));
        const note = (result.content[1] as { text: string }).text;
        assert.match(note, /line 1 is 209715200 bytes; the first \d+ are shown/);
        assert.match(note, /offset=2/);
        const growthMiB = (peakAfter - peakBefore) / 1024;
        assert.ok(growthMiB < 64, `peak RSS grew by ${growthMiB.toFixed(1)} MiB reading a 200 MiB line`);
        assert.equal(textOf(await callTool(client, "read_file", { path: "one-line.txt", offset: 2 })), "second line\n");
    });

    it("read_file pages on a line boundary: a line that no longer fits starts the next call", async () => {
        const long = "y".repeat(4 * MiB - 1);
        await writeFile(path.join(server.workspace, "pages.txt"), `a\n${long}\nb`);
        const first = await callTool(client, "read_file", { path: "pages.txt" });
        assert.equal(textOf(first), "a\n");
        assert.match(
            (first.content[1] as { text: string }).text,
            /lines 1-1 shown; the file continues: call read_file with offset=2/,
        );
        const second = await callTool(client, "read_file", { path: "pages.txt", offset: 2 });
        assert.equal(textOf(second), `${long}\n`);
        const third = await callTool(client, "read_file", { path: "pages.txt", offset: 3 });
        assert.equal(textOf(third), "b");
        assert.equal(third.content.length, 1);
    });

    it("run_command's output cap holds after JSON escaping (2 MB of NUL bytes)", async () => {
        const result = await callTool(client, "run_command", { command: "head -c 2000000 /dev/zero" });
        const data = dataOf(result);
        assert.equal(data.stdout_bytes, 2_000_000);
        assert.equal(data.truncated, true);
        const escaped = Buffer.byteLength(JSON.stringify(data.stdout));
        assert.ok(escaped <= MiB + 200, `stdout is ${escaped} bytes once JSON-escaped`);
    });

    it("answers 413 from Content-Length at once, without reading the body", async () => {
        const head =
            `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.token}\r\n` +
            `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100000000\r\n\r\n`;
        assert.match(await requestHeadOnly(server.port, head), /^HTTP\/1\.1 413 /);
    });

    it("a 100 MB upload gets the 413 response, not a reset connection", async () => {
        const response = await fetch(`${server.url}/mcp`, {
            method: "POST",
            headers: {
                authorization: `Bearer ${server.token}`,
                "content-type": "application/json",
                accept: "application/json, text/event-stream",
            },
            body: new Uint8Array(100_000_000).fill(32),
        });
        assert.equal(response.status, 413);
        assert.match((await response.json()).error.message, /request body over 16777216 bytes/);
    });

    it("a too large chunked body (no Content-Length) is refused with 413 as well", async () => {
        const response = await fetch(`${server.url}/mcp`, {
            method: "POST",
            headers: {
                authorization: `Bearer ${server.token}`,
                "content-type": "application/json",
                accept: "application/json, text/event-stream",
            },
            body: new ReadableStream({
                start(controller) {
                    controller.enqueue(new Uint8Array(17 * MiB).fill(32));
                    controller.close();
                },
            }),
            duplex: "half",
        } as RequestInit);
        assert.equal(response.status, 413);
        assert.match((await response.json()).error.message, /request body over 16777216 bytes/);
    });
});
