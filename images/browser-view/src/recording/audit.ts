import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * The audit trail as the replay page marks it on its timeline: the JSON lines both MCP servers write to
 * the agent's config volume (one event per tool call; /work/NOTES.md's format, docs/architecture.md).
 * Only the fields the timeline shows are kept; arguments become a one-line summary. Lines that do not
 * parse (a half-written last line, a foreign file) are skipped.
 */
export interface ToolCallMark {
    /** Start, Unix milliseconds. */
    time: number;
    durationMs: number;
    server: string;
    kind: string;
    tool: string;
    outcome: string;
    summary: string;
}

/** The newest bytes read per file: a bound on the work of one index request. */
const MAX_FILE_BYTES = 16 << 20;
const MAX_MARKS = 20_000;
const SUMMARY_CHARS = 120;

export async function readToolCalls(dir: string, fromMs: number, toMs: number): Promise<ToolCallMark[]> {
    let names: string[];
    try {
        names = (await readdir(dir)).filter((name) => name.endsWith(".jsonl")).sort();
    } catch {
        return [];
    }
    const marks: ToolCallMark[] = [];
    for (const name of names) {
        for (const line of await tailLines(join(dir, name))) {
            const mark = toMark(line);
            if (mark && mark.time + mark.durationMs >= fromMs && mark.time <= toMs) marks.push(mark);
        }
    }
    marks.sort((a, b) => a.time - b.time);
    return marks.slice(-MAX_MARKS);
}

async function tailLines(path: string): Promise<string[]> {
    const size = (await stat(path)).size;
    const start = Math.max(0, size - MAX_FILE_BYTES);
    const file = await open(path, "r");
    try {
        const data = Buffer.alloc(size - start);
        await file.read(data, 0, data.length, start);
        const lines = data.toString("utf8").split("\n");
        lines.pop(); // unterminated (or empty after the last newline)
        if (start > 0) lines.shift(); // cut at the front
        return lines;
    } finally {
        await file.close();
    }
}

function toMark(line: string): ToolCallMark | undefined {
    let event: Record<string, unknown>;
    try {
        event = JSON.parse(line);
    } catch {
        return undefined;
    }
    const time = typeof event.time === "string" ? Date.parse(event.time) : Number.NaN;
    if (!Number.isFinite(time)) return undefined;
    const kind = String(event.kind ?? "tool_call");
    const tool = kind === "job" ? `job ${String(event.event ?? "")}` : String(event.tool ?? "");
    return {
        time,
        durationMs: typeof event.durationMs === "number" ? event.durationMs : 0,
        server: String(event.server ?? ""),
        kind,
        tool,
        outcome: String(event.outcome ?? ""),
        summary: summarize(tool, kind === "job" ? { jobId: event.jobId, exitCode: event.exitCode } : event.arguments),
    };
}

function summarize(tool: string, args: unknown): string {
    const parts =
        args && typeof args === "object"
            ? Object.entries(args as Record<string, unknown>)
                  .filter(([, value]) => value !== undefined && value !== null)
                  .map(
                      ([key, value]) =>
                          `${key}=${truncate(typeof value === "string" ? value : JSON.stringify(value), 40)}`,
                  )
            : [];
    return truncate([tool, ...parts].join(" "), SUMMARY_CHARS);
}

function truncate(text: string, chars: number): string {
    return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}
