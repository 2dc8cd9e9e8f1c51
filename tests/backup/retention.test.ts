/** Retention of the backup program (backup/snapshot-workspace.mjs): what goes, what always stays. */
import * as assert from "node:assert";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { snapshotsToDelete, snapshotName, settingsFrom } = require("../../backup/snapshot-workspace.mjs");

const DAY = 24 * 3600 * 1000;
const now = Date.parse("2026-11-30T03:00:00Z");
const snapshot = (name: string, ageDays: number, ready = true) => ({
    metadata: { name, creationTimestamp: new Date(now - ageDays * DAY).toISOString() },
    status: { readyToUse: ready },
});
const names = (list: { metadata: { name: string } }[]) => list.map((s) => s.metadata.name).sort();

describe("backup retention", () => {
    const week = [0, 1, 2, 3, 4, 5, 6].map((age) => snapshot(`s${age}`, age));

    it("keeps the newest `count` and deletes the rest", () => {
        assert.deepStrictEqual(names(snapshotsToDelete(week, { count: 3, maxAgeSeconds: 0, now, keep: "s0" })), [
            "s3",
            "s4",
            "s5",
            "s6",
        ]);
    });

    it("deletes what is older than maxAge, whatever the count", () => {
        assert.deepStrictEqual(
            names(snapshotsToDelete(week, { count: 0, maxAgeSeconds: 2.5 * 86400, now, keep: "s0" })),
            ["s3", "s4", "s5", "s6"],
        );
        assert.deepStrictEqual(
            names(snapshotsToDelete(week, { count: 2, maxAgeSeconds: 4.5 * 86400, now, keep: "s0" })),
            ["s2", "s3", "s4", "s5", "s6"],
        );
    });

    it("never deletes the newest ready snapshot, nor the one just taken", () => {
        // The class has failed for days: only old snapshots are ready.
        const failing = [
            snapshot("new1", 0, false),
            snapshot("new2", 1, false),
            snapshot("old", 10),
            snapshot("older", 11),
        ];
        // "old" is beyond the count and the age, but it is the last good backup.
        assert.deepStrictEqual(
            names(snapshotsToDelete(failing, { count: 2, maxAgeSeconds: 86400 * 3, now, keep: "new1" })),
            ["older"],
        );
        // The run's own snapshot stays even when "now" is far ahead of its creation time.
        assert.deepStrictEqual(
            names(snapshotsToDelete(failing, { count: 1, maxAgeSeconds: 3600, now: now + 30 * DAY, keep: "new1" })),
            ["new2", "older"],
        );
    });

    it("orders by creation time, not by name", () => {
        const list = [snapshot("b", 2), snapshot("a", 0), snapshot("c", 1)];
        assert.deepStrictEqual(names(snapshotsToDelete(list, { count: 1, maxAgeSeconds: 0, now, keep: "a" })), [
            "b",
            "c",
        ]);
    });

    it("names snapshots after the claim and the UTC time", () => {
        assert.strictEqual(snapshotName("devbot-workspace", now), "devbot-workspace-20261130-030000");
    });

    it("never deletes a snapshot it is told to keep (the one the workspace claim is restored from)", () => {
        const settings = { count: 2, maxAgeSeconds: 0, now, keep: "s0" };
        assert.deepStrictEqual(names(snapshotsToDelete(week, settings)), ["s2", "s3", "s4", "s5", "s6"]);
        assert.deepStrictEqual(names(snapshotsToDelete(week, { ...settings, kept: ["s4"] })), ["s2", "s3", "s5", "s6"]);
    });

    const env = {
        NAMESPACE: "agent-devbot",
        CLAIM: "devbot-workspace",
        SNAPSHOT_LABELS: '{"persistent-agents.dev/backup-of":"devbot-workspace","team":"a"}',
        SNAPSHOT_SELECTOR: "persistent-agents.dev/backup-of=devbot-workspace",
        SNAPSHOT_CLASS: "csi",
    };

    it("takes the snapshots' labels, their selector and the names to keep from its environment", () => {
        const settings = settingsFrom({ ...env, RETAIN_COUNT: "3", KEEP_SNAPSHOTS: "old-1,old-2" });
        assert.deepStrictEqual(settings.labels, {
            "persistent-agents.dev/backup-of": "devbot-workspace",
            team: "a",
        });
        assert.deepStrictEqual(settings.kept, ["old-1", "old-2"]);
        assert.deepStrictEqual(settingsFrom({ ...env, RETAIN_COUNT: "3" }).kept, []);
        assert.throws(
            () => settingsFrom({ ...env, RETAIN_COUNT: "3", SNAPSHOT_SELECTOR: "persistent-agents.dev/backup-of=x" }),
            /SNAPSHOT_LABELS do not match SNAPSHOT_SELECTOR's persistent-agents.dev\/backup-of=x/,
        );
        assert.throws(
            () => settingsFrom({ ...env, RETAIN_COUNT: "3", SNAPSHOT_LABELS: "[1]" }),
            /a JSON object of strings/,
        );
        const { SNAPSHOT_LABELS: _, ...withoutLabels } = env;
        assert.throws(() => settingsFrom({ ...withoutLabels, RETAIN_COUNT: "3" }), /SNAPSHOT_LABELS is not set/);
    });

    it("refuses settings that would keep everything forever or are not numbers, naming the variable", () => {
        assert.throws(() => settingsFrom(env), /RETAIN_COUNT and RETAIN_MAX_AGE_SECONDS are both 0/);
        assert.throws(() => settingsFrom({ ...env, RETAIN_COUNT: "7d" }), /RETAIN_COUNT must be a whole number/);
        assert.throws(() => settingsFrom({ ...env, CLAIM: "", RETAIN_COUNT: "3" }), /CLAIM is not set/);
        assert.strictEqual(settingsFrom({ ...env, RETAIN_COUNT: "3" }).count, 3);
    });
});
