// The shell server's real /metrics output has every family monitoring/metric-names.json lists for it, with
// that type: the other half of the metric-name check (tests/monitoring/metricnames checks rules → list).
// Starts the built server through the shell package's own test harness (both ports chosen by the kernel).
//   node --import tsx --test tests/monitoring/shell-metrics.test.mts    (tests/monitoring/run.sh builds first)
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { startServer, type RunningServer } from "../../images/shell/test/harness.ts";

const names = JSON.parse(await readFile(new URL("../../monitoring/metric-names.json", import.meta.url), "utf8"));
const expected: Record<string, string> = names.servers.shell.families;

/** `# TYPE <family> <type>` lines of a Prometheus text exposition. */
function declaredFamilies(exposition: string): Map<string, string> {
    const families = new Map<string, string>();
    for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], match[2]);
    return families;
}

describe("shell server /metrics against monitoring/metric-names.json", () => {
    let server: RunningServer;
    before(async () => {
        server = await startServer();
    });
    after(async () => {
        await server.stop();
    });

    it("parses TYPE lines, so a missing family is seen", () => {
        assert.deepEqual(
            [...declaredFamilies("# HELP a x\n# TYPE a counter\na 1\n# TYPE b_seconds histogram\n")],
            [
                ["a", "counter"],
                ["b_seconds", "histogram"],
            ],
        );
    });

    it("declares every family the rules may use from the shell, with its type", async () => {
        const response = await fetch(`${server.metricsUrl}/metrics`);
        assert.equal(response.status, 200);
        const declared = declaredFamilies(await response.text());
        const missing = Object.entries(expected)
            .filter(([family, type]) => declared.get(family) !== type)
            .map(
                ([family, type]) =>
                    `${family} (${type}): ${declared.has(family) ? `declared as ${declared.get(family)}` : "not exported"}`,
            );
        assert.deepEqual(missing, [], `the shell server's /metrics lacks what monitoring/metric-names.json promises`);
    });
});
