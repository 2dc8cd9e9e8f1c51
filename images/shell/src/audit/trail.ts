import { appendFile, mkdir, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { log } from "../log.js";

/**
 * The audit trail: one JSON line per tool call or job event, appended to <dir>/<server>.jsonl (the format
 * the replay page reads: see docs/audit-trail.md) and echoed to the log for the cluster's collector.
 * Recording never fails or delays a tool call: `record` only queues; writes run one after another in the
 * background and a failing one is logged (once per failure streak) and dropped.
 */
export interface AuditTrailOptions {
    dir: string;
    server: string;
    agent: string | undefined;
    /** The open file is rotated once it reaches this size. */
    maxFileBytes: number;
    /** Rotated files kept, newest first; older ones are deleted. */
    maxRotatedFiles: number;
    /** Rotated files older than this are deleted. */
    maxAgeMs: number;
    /** Echo each event to the log stream as well (off in tests that count lines). */
    echo?: boolean;
    /** No file at all (AUDIT_DIR=""): events only go to the log. */
    disabled?: boolean;
}

export type AuditEvent = Record<string, unknown> & { kind: "tool_call" | "job" };

export class AuditTrail {
    private queue: Promise<void> = Promise.resolve();
    private size: number | undefined;
    private failing = false;
    private readonly file: string;

    constructor(private readonly options: AuditTrailOptions) {
        this.file = path.join(options.dir, `${options.server}.jsonl`);
    }

    record(event: AuditEvent): void {
        const line = `${JSON.stringify({ v: 1, agent: this.options.agent ?? null, server: this.options.server, ...event })}\n`;
        // The log stream reaches a wider audience (the cluster's collector) than the agent's own volume:
        // it gets the event without the arguments and commands (file contents, commands' text), only their names.
        if (this.options.echo !== false) {
            const { arguments: args, command, ...summary } = event;
            const argumentNames = args && typeof args === "object" ? Object.keys(args) : undefined;
            process.stderr.write(
                `${JSON.stringify({ msg: "audit", server: this.options.server, ...summary, argumentNames })}\n`,
            );
        }
        if (!this.options.disabled) this.queue = this.queue.then(() => this.append(line));
    }

    /** Resolves when everything recorded so far is on disk (or dropped); for shutdown and tests. */
    flushed(): Promise<void> {
        return this.queue;
    }

    private async append(line: string): Promise<void> {
        try {
            if (this.size === undefined) {
                await mkdir(this.options.dir, { recursive: true });
                this.size = await stat(this.file).then(
                    (s) => s.size,
                    () => 0,
                );
            }
            const bytes = Buffer.byteLength(line);
            if (this.size > 0 && this.size + bytes > this.options.maxFileBytes) await this.rotate();
            // One write per line with O_APPEND: a reader sees whole lines except possibly the last.
            await appendFile(this.file, line, { flag: "a" });
            this.size += bytes;
            this.failing = false;
        } catch (error) {
            this.size = undefined; // re-read after the failure: the file may have been truncated or removed
            if (!this.failing) {
                log("warn", "audit_write_failed", { file: this.file, error: (error as Error).message });
                this.failing = true;
            }
        }
    }

    private async rotate(): Promise<void> {
        const stamp = new Date()
            .toISOString()
            .replace(/[-:]/g, "")
            .replace(/\.\d+Z$/, "Z");
        let target = path.join(this.options.dir, `${this.options.server}.${stamp}.jsonl`);
        for (
            let n = 1;
            await stat(target).then(
                () => true,
                () => false,
            );
            n++
        ) {
            target = path.join(this.options.dir, `${this.options.server}.${stamp}-${n}.jsonl`);
        }
        await rename(this.file, target);
        this.size = 0;
        await this.prune();
    }

    /**
     * Retention: the oldest rotated files go first, past the count or the age limit. Newest first by
     * modification time: the names of one second (`….jsonl`, `…-1.jsonl`, `…-10.jsonl`) do not sort by age.
     */
    private async prune(): Promise<void> {
        const prefix = `${this.options.server}.`;
        const names = (await readdir(this.options.dir)).filter(
            (name) => name.startsWith(prefix) && name.endsWith(".jsonl") && name !== `${this.options.server}.jsonl`,
        );
        const rotated = (
            await Promise.all(
                names.map((name) =>
                    stat(path.join(this.options.dir, name)).then(
                        (s) => ({ file: path.join(this.options.dir, name), modified: s.mtimeMs }),
                        () => undefined,
                    ),
                ),
            )
        )
            .filter((entry) => entry !== undefined)
            .sort((a, b) => b.modified - a.modified || b.file.localeCompare(a.file));
        const now = Date.now();
        for (const [index, { file, modified }] of rotated.entries()) {
            if (index >= this.options.maxRotatedFiles || now - modified > this.options.maxAgeMs) {
                await unlink(file).catch(() => undefined);
            }
        }
    }
}
