import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./responses.js";

/** What the pre-snapshot hook needs from the job manager. */
export interface JobControl {
    /** SIGSTOPs every running job's processes; they resume by themselves at the earliest pause's deadline. */
    pauseAll(maxSeconds: number): Promise<{ paused: string[]; resumesAfterSeconds: number }>;
    /** SIGCONTs exactly the processes pauseAll stopped. */
    resumeAll(): Promise<string[]>;
}

const DEFAULT_PAUSE_SECONDS = 300;
const MAX_PAUSE_SECONDS = 3600;

/**
 * Routes for a backup CronJob (bearer-authenticated like /mcp): `POST /admin/jobs/pause` before a
 * volume snapshot, `POST /admin/jobs/resume` after it. A pause ends on its own after `max_seconds`
 * (default 300), so a backup that dies midway never leaves the agent's jobs stopped.
 */
export async function handleAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    jobs: JobControl,
): Promise<void> {
    req.resume();
    if (req.method !== "POST") {
        sendJson(res, 405, { error: `${url.pathname} takes POST` }, { allow: "POST" });
        return;
    }
    if (url.pathname === "/admin/jobs/pause") {
        const raw = url.searchParams.get("max_seconds");
        const maxSeconds = raw === null ? DEFAULT_PAUSE_SECONDS : Number(raw);
        if (!Number.isInteger(maxSeconds) || maxSeconds < 1 || maxSeconds > MAX_PAUSE_SECONDS) {
            sendJson(res, 400, {
                error: `max_seconds must be an integer from 1 to ${MAX_PAUSE_SECONDS}, got '${raw}'`,
            });
            return;
        }
        // A pause already on keeps its earlier end: the answer says when the pause really ends.
        const { paused, resumesAfterSeconds } = await jobs.pauseAll(maxSeconds);
        sendJson(res, 200, { paused, resumes_after_seconds: resumesAfterSeconds });
        return;
    }
    if (url.pathname === "/admin/jobs/resume") {
        sendJson(res, 200, { resumed: await jobs.resumeAll() });
        return;
    }
    sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
}
