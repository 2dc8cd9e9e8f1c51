import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { WakerMetrics } from "../src/metrics.js";

test("the waker's /metrics has every family monitoring/metric-names.json lists for it, with its type", async () => {
    const names = JSON.parse(await readFile(new URL("../../../monitoring/metric-names.json", import.meta.url), "utf8"));
    const expected: Record<string, string> = names.servers.waker.families;
    const metrics = new WakerMetrics(["devbot"]);
    metrics.woke("devbot", 2.5);
    const exposition = await metrics.registry.metrics();
    const declared = Object.fromEntries(
        [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1], match[2]]),
    );
    for (const [family, type] of Object.entries(expected)) {
        assert.equal(declared[family], type, `${family}: ${declared[family] ?? "missing"}, listed as ${type}`);
    }
    // Every agent's counters exist from the start (at 0), so increase() sees the first failure.
    assert.match(exposition, /waker_wake_failures_total\{agent="devbot",reason="timeout"\} 0/);
});
