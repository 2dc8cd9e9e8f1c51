import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readToolCalls } from "../src/recording/audit.js";
import { SegmentLibrary } from "../src/recording/library.js";
import { type SegmentHeader, SegmentWriter, segmentName } from "../src/recording/segmentFile.js";
import { ViewHarness } from "./harness.js";

const START = Date.UTC(2026, 11, 5, 9, 0, 0);
const header = (startMs: number): SegmentHeader => ({
    format: "persistent-agents desktop recording",
    version: 1,
    startMs,
    width: 64,
    height: 48,
    pixelFormat: "novnc-rgbx32",
});
const event = (time: number, tool: string, extra: object = {}) =>
    JSON.stringify({
        v: 1,
        time: new Date(time).toISOString(),
        durationMs: 250,
        agent: "devbot",
        server: "computer-control",
        kind: "tool_call",
        id: "1",
        tool,
        arguments: { x: 120, y: 300, text: "a".repeat(200) },
        outcome: "ok",
        error: null,
        ...extra,
    });

/** The replay's data: the segments on the timeline, the audit trail's calls, and who may read them. */
describe("browser-view replay", () => {
    let h: ViewHarness;
    let data: string;
    let recordings: string;
    let audit: string;
    before(async () => {
        data = mkdtempSync(join(tmpdir(), "replay-"));
        recordings = join(data, "recordings");
        audit = join(data, "audit");
        mkdirSync(recordings);
        mkdirSync(audit);
        const closed = await SegmentWriter.create(join(recordings, segmentName(START)), header(START));
        await closed.append(START, Buffer.from("init"));
        await closed.close(START + 120_000);
        const open = await SegmentWriter.create(
            join(recordings, segmentName(START + 300_000)),
            header(START + 300_000),
        );
        await open.append(START + 300_000, Buffer.from("init"));
        await open.append(START + 301_500, Buffer.from("update"));
        writeFileSync(
            join(audit, "computer-control.jsonl"),
            [
                event(START - 3_600_000, "take_screenshot"), // before the recording: left out
                event(START + 10_000, "click_screen"),
                "{not json",
                event(START + 20_000, "type_text", { outcome: "tool_error" }),
                `${event(START + 30_000, "take_screenshot").slice(0, 40)}`, // being written: no newline yet
            ].join("\n"),
        );
        writeFileSync(
            join(audit, "shell.jsonl"),
            `${JSON.stringify({ time: new Date(START + 15_000).toISOString(), server: "shell", kind: "job", event: "finished", jobId: "j1", exitCode: 0 })}\n`,
        );
        h = await ViewHarness.start({
            recording: {
                dir: recordings,
                fps: 5,
                segmentSeconds: 120,
                maxAgeSeconds: 86_400,
                maxBytes: 1 << 30,
                duringTakeover: false,
            },
            auditDir: audit,
        });
    });
    after(async () => {
        await h.stop();
        rmSync(data, { recursive: true, force: true });
    });

    it("lists the segments with their spans, the open one read through", async () => {
        const segments = await new SegmentLibrary(recordings).list();
        assert.deepEqual(
            segments.map((s) => [s.startMs - START, s.endMs - START, s.closed]),
            [
                [0, 120_000, true],
                [300_000, 301_500, false],
            ],
        );
    });

    it("reads the audit trail's calls in the recording's span, summarized, skipping what does not parse", async () => {
        const calls = await readToolCalls(audit, START, START + 400_000);
        assert.deepEqual(
            calls.map((c) => [c.time - START, c.server, c.tool, c.outcome]),
            [
                [10_000, "computer-control", "click_screen", "ok"],
                [15_000, "shell", "job finished", ""],
                [20_000, "computer-control", "type_text", "tool_error"],
            ],
        );
        assert.match(calls[0].summary, /^click_screen x=120 y=300 text=a{39}…$/);
        assert.ok(calls.every((c) => c.summary.length <= 120));
    });

    it("serves the page, the index and the segments only to a session, and only segment names", async () => {
        assert.match((await h.http("GET", "/replay")).body, /name="token"/);
        assert.equal((await h.http("GET", "/replay/index")).status, 401);
        assert.equal((await h.http("GET", `/replay/segments/${segmentName(START)}`)).status, 401);
        const cookie = await h.login();
        assert.match((await h.http("GET", "/replay", { cookie })).body, /replay\.js/);
        const index = JSON.parse((await h.http("GET", "/replay/index", { cookie })).body);
        assert.equal(index.segments.length, 2);
        assert.equal(index.calls.length, 3);
        const segment = await h.http("GET", `/replay/segments/${segmentName(START)}`, { cookie });
        assert.equal(segment.status, 200);
        assert.equal(segment.body.length, readFileSync(join(recordings, segmentName(START))).length);
        for (const bad of ["..%2F..%2Ftoken", "../token", "x.vncrec", `${segmentName(START)}.bak`]) {
            assert.equal((await h.http("GET", `/replay/segments/${bad}`, { cookie })).status, 404, bad);
        }
        assert.equal((await h.http("POST", "/replay/index", { cookie })).status, 405);
    });

    it("logs in back to the replay page", async () => {
        const res = await h.http(
            "POST",
            "/login",
            { "content-type": "application/x-www-form-urlencoded" },
            `token=${encodeURIComponent("test-browser-view-token-0123456789abcdef")}&next=/replay`,
        );
        assert.equal(res.headers.location, "replay");
        const elsewhere = await h.http(
            "POST",
            "/login",
            { "content-type": "application/x-www-form-urlencoded" },
            "token=test-browser-view-token-0123456789abcdef&next=https://evil.example/",
        );
        assert.equal(elsewhere.headers.location, "./");
    });
});

describe("browser-view without recording", () => {
    let h: ViewHarness;
    before(async () => {
        h = await ViewHarness.start();
    });
    after(() => h.stop());

    it("has no replay", async () => {
        const cookie = await h.login();
        assert.equal((await h.http("GET", "/replay", { cookie })).status, 404);
        assert.equal(JSON.parse((await h.http("GET", "/session", { cookie })).body).recording, false);
    });
});
