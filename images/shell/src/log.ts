// Structured logs: one JSON object per line on stderr (stdout carries MCP frames in stdio mode).
// Callers pass only metadata; never tokens, command output or file contents.
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}): void {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}
