/**
 * The alert rules as data: each alert names a severity, says what happened, and links a runbook section
 * that exists. (promtool's own checks and unit tests run in tests/monitoring/run.sh.)
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";

const repo = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(repo, file), "utf8");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
    const anchors = new Set<string>();
    const seen = new Map<string, number>();
    let inFence = false;
    for (const line of markdown.split("\n")) {
        if (/^\s*```/.test(line)) inFence = !inFence;
        const heading = !inFence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
        if (!heading) continue;
        const base = heading[1]
            .toLowerCase()
            .replace(/[^\p{L}\p{N}\- _]/gu, "")
            .replace(/ /g, "-");
        const count = seen.get(base) ?? 0;
        seen.set(base, count + 1);
        anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    return anchors;
}

interface Rule {
    alert?: string;
    record?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

const groups = (yaml.load(read("monitoring/rules.yaml")) as { groups: { name: string; rules: Rule[] }[] }).groups;
const alerts = groups.flatMap((group) => group.rules).filter((rule) => rule.alert);

describe("monitoring rules as data", () => {
    it("computes GitHub's anchors, so the link check below can fail", () => {
        const anchors = headingAnchors(
            "# Operations runbook\n## Restore a workspace from a snapshot (storage.restoreFrom)\n```\n# not a heading\n```\n## Add\n## Add\n",
        );
        assert.deepStrictEqual(
            [...anchors],
            ["operations-runbook", "restore-a-workspace-from-a-snapshot-storagerestorefrom", "add", "add-1"],
        );
    });

    it("has the alerts the stack promises", () => {
        assert.deepStrictEqual(alerts.map((rule) => rule.alert).sort(), [
            "AgentComputerCrashLooping",
            "AgentComputerDown",
            "AgentDesktopSessionDown",
            "AgentDesktopXServerDown",
            "AgentEgressDenialBurst",
            "AgentJobRunningLong",
            "AgentMcpAuthFailures",
            "AgentMetricsDown",
            "AgentToolCallsSlow",
            "AgentToolErrorRatioHigh",
            "AgentVolumeNearlyFull",
            "AgentWakeFailing",
        ]);
    });

    it("links every alert to its own section of docs/runbook.md", () => {
        const anchors = headingAnchors(read("docs/runbook.md"));
        for (const rule of alerts) {
            const url = rule.annotations?.runbook_url;
            assert.strictEqual(url, `docs/runbook.md#${rule.alert!.toLowerCase()}`, `${rule.alert}: runbook_url`);
            assert.ok(
                anchors.has(rule.alert!.toLowerCase()),
                `${rule.alert}: docs/runbook.md has no section "### ${rule.alert}"`,
            );
        }
    });

    it("gives every alert a severity, a summary and a description", () => {
        for (const rule of alerts) {
            assert.ok(
                ["warning", "critical"].includes(rule.labels?.severity ?? ""),
                `${rule.alert}: severity warning or critical`,
            );
            assert.ok(
                rule.annotations?.summary && rule.annotations?.description,
                `${rule.alert}: summary and description`,
            );
        }
    });

    it("keeps every link inside docs/runbook.md pointing at a heading that exists", () => {
        const runbook = read("docs/runbook.md");
        const anchors = headingAnchors(runbook);
        const architecture = headingAnchors(read("docs/architecture.md"));
        const broken = [...runbook.matchAll(/\]\((architecture\.md)?#([^)\s]+)\)/g)]
            .filter((m) => !(m[1] ? architecture : anchors).has(m[2]))
            .map((m) => m[0]);
        assert.deepStrictEqual(broken, []);
    });
});
