import assert from "node:assert/strict";
import { test } from "node:test";
import { AgentDiscovery, classify, DiscoveryCache, resultOf } from "../src/discovery.js";

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

test("discovery requests and notifications are told from work, keyed by method, version and cursor", () => {
    assert.deepEqual(classify(body({ jsonrpc: "2.0", id: 1, method: "tools/list" }), "2025-11-25"), {
        kind: "discovery",
        batch: false,
        requests: [{ id: 1, key: "tools/list|2025-11-25|" }],
    });
    const init = classify(
        body({ jsonrpc: "2.0", id: "a", method: "initialize", params: { protocolVersion: "2025-06-18" } }),
        undefined,
    );
    assert.deepEqual(init, { kind: "discovery", batch: false, requests: [{ id: "a", key: "initialize|2025-06-18|" }] });
    const page = classify(body({ jsonrpc: "2.0", id: 2, method: "tools/list", params: { cursor: "p2" } }), "v");
    assert.equal(page.kind === "discovery" && page.requests[0].key, "tools/list|v|p2");
    assert.deepEqual(classify(body({ jsonrpc: "2.0", method: "notifications/initialized" }), "v"), {
        kind: "discovery",
        batch: false,
        requests: [{ id: undefined, key: undefined }],
    });
    for (const work of [
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "run_command" } },
        { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } },
        [
            { jsonrpc: "2.0", id: 1, method: "tools/list" },
            { jsonrpc: "2.0", id: 2, method: "tools/call" },
        ],
        [],
        { jsonrpc: "2.0", id: 1, result: {} },
    ]) {
        assert.deepEqual(classify(body(work), "v"), { kind: "work" }, JSON.stringify(work));
    }
    assert.deepEqual(classify(Buffer.from("not json"), "v"), { kind: "work" });
});

test("a result is read from plain JSON or from a one-event stream; errors and odd bodies give none", () => {
    const answer = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
    assert.deepEqual(resultOf("application/json", answer), { tools: [] });
    assert.deepEqual(resultOf("text/event-stream", `event: message\ndata: ${answer}\n\n`), { tools: [] });
    assert.equal(resultOf("text/event-stream", `data: ${answer}\n\ndata: ${answer}\n\n`), undefined);
    assert.equal(
        resultOf("application/json", JSON.stringify({ jsonrpc: "2.0", id: 1, error: { code: 1 } })),
        undefined,
    );
    assert.equal(resultOf("application/json", "<html>"), undefined);
});

test("the cache answers with the caller's ids only when it has every result", () => {
    const cache = new DiscoveryCache();
    cache.remember("tools/list|v|", { tools: ["run_command"] });
    const asked = classify(body({ jsonrpc: "2.0", id: 9, method: "tools/list" }), "v");
    assert.ok(asked.kind === "discovery");
    assert.deepEqual(JSON.parse(cache.answer(asked) as string), {
        jsonrpc: "2.0",
        id: 9,
        result: { tools: ["run_command"] },
    });
    const otherVersion = classify(body({ jsonrpc: "2.0", id: 9, method: "tools/list" }), "w");
    assert.ok(otherVersion.kind === "discovery");
    assert.equal(cache.answer(otherVersion), undefined, "another protocol version's answer is not reused");
    const notification = classify(body({ jsonrpc: "2.0", method: "notifications/initialized" }), "v");
    assert.ok(notification.kind === "discovery");
    assert.equal(cache.answer(notification), "");
});

test("an agent's answers are saved once per change and read back by the next waker", async () => {
    const saves: string[] = [];
    const first = new AgentDiscovery(
        async (text) => void saves.push(text),
        () => undefined,
    );
    first.remember("shell", "tools/list|v|", { tools: [{ name: "run_command" }] });
    first.remember("shell", "initialize|v|", { serverInfo: { name: "shell" } });
    await first.saved();
    first.remember("shell", "tools/list|v|", { tools: [{ name: "run_command" }] }); // the same answer again
    await first.saved();
    assert.equal(saves.length, 1, "both changes in one save, the repeated answer in none");
    const next = new AgentDiscovery(
        async () => undefined,
        () => undefined,
        saves[0],
    );
    const listed = next.cache("shell").answer({ batch: false, requests: [{ id: 9, key: "tools/list|v|" }] });
    assert.deepEqual(JSON.parse(listed ?? "null"), {
        jsonrpc: "2.0",
        id: 9,
        result: { tools: [{ name: "run_command" }] },
    });
    const logged: string[] = [];
    const broken = new AgentDiscovery(
        async () => undefined,
        (line) => logged.push(line),
        "{not json",
    );
    assert.equal(
        broken.cache("shell").answer({ batch: false, requests: [{ id: 1, key: "tools/list|v|" }] }),
        undefined,
    );
    assert.match(logged[0], /not JSON/);
});
