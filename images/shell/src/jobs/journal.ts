import { access, mkdir, open, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export const JOB_ID_PATTERN = /^[a-z0-9]+-[a-f0-9]+$/;
// A job.json is a few hundred bytes plus the command; anything far larger is not ours.
const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_QUARANTINE_REASON_BYTES = 2000;
const QUARANTINE_REASON_FILE = "QUARANTINE_REASON";

const timestamp = z.iso.datetime({ offset: true });

/**
 * What is persisted per job in `<workspace>/.agent/jobs/<id>/job.json`; never the job's env. The file
 * lives on the PVC where anything may have changed it, so every entry is parsed with this schema.
 */
export const JobRecordSchema = z.object({
    id: z.string().regex(JOB_ID_PATTERN, "id must look like '<base36>-<hex>' (e.g. mfx1a2b-0c1d2e)"),
    command: z.string(),
    cwd: z.string(),
    state: z.enum(["running", "exited", "killed", "interrupted"]),
    // pid 0 and 1 would turn a process-group signal into "every process": never a job's.
    pid: z.number().int().min(2).max(4194304).nullable(),
    /** Kernel start time of `pid`, so a recycled pid is not mistaken for the job after a restart. */
    pid_start_ticks: z.string().regex(/^\d+$/).nullable(),
    started_at: timestamp,
    ended_at: timestamp.nullable(),
    exit_code: z.number().int().nullable(),
    signal: z.string().nullable(),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/** A journal entry that failed validation, moved aside to `.agent/jobs-quarantine/<folder>/` with its reason. */
export interface QuarantinedEntry {
    folder: string;
    reason: string;
}

/** The on-disk layout of jobs, shared by the live manager and recovery after a restart. */
export class JobJournal {
    readonly root: string;
    readonly quarantineRoot: string;

    constructor(workspaceDir: string) {
        this.root = path.join(workspaceDir, ".agent", "jobs");
        this.quarantineRoot = path.join(workspaceDir, ".agent", "jobs-quarantine");
    }

    /** Only ever called with a validated id: paths are never derived from unchecked input. */
    directory(id: string): string {
        if (!JOB_ID_PATTERN.test(id)) throw new Error(`refusing a path for the invalid job id '${id}'`);
        return path.join(this.root, id);
    }

    outputPath(id: string): string {
        return path.join(this.directory(id), "output.log");
    }

    /** Written by the job's wrapper shell when the command ends, even if the server is gone. */
    exitCodePath(id: string): string {
        return path.join(this.directory(id), "exit_code");
    }

    /** The processes a pause (pre-snapshot hook) stopped, kept so that a restarted server continues them. */
    pauseRecordPath(): string {
        return path.join(path.dirname(this.root), "jobs-paused.json");
    }

    async create(id: string): Promise<void> {
        await mkdir(this.directory(id), { recursive: true });
    }

    async save(record: JobRecord): Promise<void> {
        const target = path.join(this.directory(record.id), "job.json");
        const temporary = `${target}.${process.pid}.tmp`;
        await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
        await rename(temporary, target);
    }

    /** Every valid record, oldest first; every invalid folder is moved to quarantine and reported. */
    async loadAll(): Promise<{ records: JobRecord[]; quarantined: QuarantinedEntry[] }> {
        let names: string[];
        try {
            names = await readdir(this.root);
        } catch {
            return { records: [], quarantined: await this.listQuarantine() };
        }
        const records: JobRecord[] = [];
        for (const name of names) {
            const problem = await this.readRecord(name).then(
                (record) => {
                    records.push(record);
                    return undefined;
                },
                (error: Error) => error.message,
            );
            if (problem !== undefined) await this.quarantine(name, problem);
        }
        records.sort((a, b) => a.started_at.localeCompare(b.started_at));
        return { records, quarantined: await this.listQuarantine() };
    }

    async readExitCode(id: string): Promise<number | null> {
        try {
            const value = Number((await readFile(this.exitCodePath(id), "utf8")).trim());
            return Number.isInteger(value) ? value : null;
        } catch {
            return null;
        }
    }

    private async readRecord(folder: string): Promise<JobRecord> {
        if (!JOB_ID_PATTERN.test(folder)) throw new Error("the folder name is not a job id");
        const file = await open(path.join(this.root, folder, "job.json"), "r").catch(() => {
            throw new Error("job.json is missing or unreadable");
        });
        let text: string;
        try {
            const buffer = Buffer.alloc(MAX_RECORD_BYTES + 1);
            const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
            if (bytesRead > MAX_RECORD_BYTES) throw new Error(`job.json is over ${MAX_RECORD_BYTES} bytes`);
            text = buffer.subarray(0, bytesRead).toString("utf8");
        } finally {
            await file.close();
        }
        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch (error) {
            throw new Error(`job.json is not valid JSON: ${(error as Error).message}`);
        }
        const parsed = JobRecordSchema.safeParse(value);
        if (!parsed.success) {
            const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
            throw new Error(`job.json does not match the job schema: ${issues.join("; ")}`);
        }
        if (parsed.data.id !== folder)
            throw new Error(`job.json's id '${parsed.data.id}' differs from its folder name`);
        return parsed.data;
    }

    private async quarantine(folder: string, reason: string): Promise<void> {
        // `folder` comes from readdir of our own folder: a plain name, never a path.
        let target = path.join(this.quarantineRoot, folder);
        for (let attempt = 1; await exists(target); attempt++)
            target = path.join(this.quarantineRoot, `${folder}.${attempt}`);
        await mkdir(target, { recursive: true });
        await rename(path.join(this.root, folder), path.join(target, folder));
        await writeFile(path.join(target, QUARANTINE_REASON_FILE), `${reason.slice(0, MAX_QUARANTINE_REASON_BYTES)}\n`);
    }

    private async listQuarantine(): Promise<QuarantinedEntry[]> {
        const names = await readdir(this.quarantineRoot).catch(() => [] as string[]);
        return Promise.all(
            names.sort().map(async (folder) => ({
                folder,
                reason:
                    (await readCapped(
                        path.join(this.quarantineRoot, folder, QUARANTINE_REASON_FILE),
                        MAX_QUARANTINE_REASON_BYTES,
                    )) ?? "unknown",
            })),
        );
    }
}

/** The first `maxBytes` of a file as trimmed text, or null when it cannot be read. */
async function readCapped(file: string, maxBytes: number): Promise<string | null> {
    try {
        const handle = await open(file, "r");
        try {
            const buffer = Buffer.alloc(maxBytes);
            const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
            return buffer.subarray(0, bytesRead).toString("utf8").trim();
        } finally {
            await handle.close();
        }
    } catch {
        return null;
    }
}

async function exists(target: string): Promise<boolean> {
    return access(target).then(
        () => true,
        () => false,
    );
}
