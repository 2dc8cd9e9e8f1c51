import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { Config } from "./config.js";
import { readToolCalls } from "./recording/audit.js";
import { SEGMENT_NAME, SegmentLibrary } from "./recording/library.js";
import type { Asset } from "./staticAssets.js";

/**
 * The replay page and its data, for viewers with a session (server.ts checks it first): the page,
 * `GET /replay/index` (the segments on the timeline and the tool calls of the audit trail in their span)
 * and `GET /replay/segments/<name>` (one segment's bytes as written so far). Read-only, from the agent's
 * own volume; there is no way from here to the VNC server, so the replay is view-only by nature.
 */
export interface ReplayResponder {
    send(res: ServerResponse, status: number, body: string | Buffer, type?: string): void;
    headers: Record<string, string>;
}

export function replayRoutes(config: Config, assets: Map<string, Asset>, responder: ReplayResponder) {
    const recording = config.recording;
    const library = recording ? new SegmentLibrary(recording.dir) : undefined;
    const json = (res: ServerResponse, status: number, body: object) =>
        responder.send(res, status, JSON.stringify(body), "application/json");

    return async function replay(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
        if (req.method !== "GET") return responder.send(res, 405, "method not allowed\n");
        if (!recording || !library) {
            return responder.send(res, 404, "this agent's desktop is not recorded (desktop.recording.enabled)\n");
        }
        if (path === "/replay") {
            const page = assets.get("/replay.html")!;
            return responder.send(res, 200, page.body, page.type);
        }
        if (path === "/replay/index") {
            const segments = await library.list();
            const from = segments[0]?.startMs ?? Date.now();
            const calls = config.auditDir ? await readToolCalls(config.auditDir, from, Number.MAX_SAFE_INTEGER) : [];
            return json(res, 200, {
                now: Date.now(),
                recording: { fps: recording.fps, segmentSeconds: recording.segmentSeconds },
                audit: config.auditDir !== undefined,
                segments,
                calls,
            });
        }
        const name = path.slice("/replay/segments/".length);
        if (path.startsWith("/replay/segments/") && SEGMENT_NAME.test(name)) {
            const segment = (await library.list()).find((candidate) => candidate.name === name);
            if (!segment) return responder.send(res, 404, "no such segment (deleted by retention?)\n");
            // As written so far: the open segment keeps growing; the page reads whole records only.
            res.writeHead(200, {
                ...responder.headers,
                "Content-Type": "application/octet-stream",
                "Content-Length": segment.bytes,
            });
            createReadStream(join(recording.dir, name), { start: 0, end: segment.bytes - 1 })
                .on("error", () => res.destroy())
                .pipe(res);
            return;
        }
        return responder.send(res, 404, "not found\n");
    };
}
