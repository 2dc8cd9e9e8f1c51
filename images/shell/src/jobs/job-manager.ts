import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { open, stat } from "node:fs/promises";
import { log } from "../log.js";
import { commandEnvironment } from "../process/run-command.js";
import { ToolInputError } from "../tool-result.js";
import { JOB_ID_PATTERN, JobJournal, type JobRecord, type QuarantinedEntry } from "./journal.js";
import { JOB_MARKER } from "./job-processes.js";
import { JobPause } from "./pause.js";
import { isJobProcess, processStartTicks, signalJobGroup, type JobProcess } from "./process-identity.js";

// The wrapper outlives the server if need be and leaves the exit status next to the output, so a
// job that finishes while the server is down still reports how it ended.
const WRAPPER_SCRIPT =
    'bash -lc "$1"; status=$?; printf "%s\\n" "$status" > "$2.tmp" && mv -f "$2.tmp" "$2"; exit "$status"';
const ADOPTED_JOB_POLL_MS = 1000;
const KILL_GRACE_MS = 3000;

export interface JobView extends JobRecord {
    output_bytes: number;
}

export interface JobEvent {
    event: "started" | "finished" | "killed";
    jobId: string;
    command: string;
    exitCode: number | null;
    outputBytes: number | null;
}

export class JobManager {
    private readonly journal: JobJournal;
    private readonly jobs = new Map<string, JobRecord>();
    private readonly exitWaiters = new Map<string, Array<() => void>>();
    private readonly killRequested = new Set<string>();
    private readonly pause: JobPause;
    /** Journal entries that failed validation at startup (moved aside, reported by list_jobs). */
    quarantined: QuarantinedEntry[] = [];
    /** Told when a job starts and ends (the audit trail); must not throw. */
    onJobEvent: (event: JobEvent) => void = () => {};

    constructor(workspaceDir: string) {
        this.journal = new JobJournal(workspaceDir);
        this.pause = new JobPause(this.journal.pauseRecordPath());
    }

    /** Start times (ms since the epoch) of the running jobs, for the metrics. */
    runningStartTimes(): number[] {
        const starts: number[] = [];
        for (const job of this.jobs.values()) if (job.state === "running") starts.push(Date.parse(job.started_at));
        return starts;
    }

    /**
     * Reloads every journal entry; invalid ones are quarantined. A job whose process is still alive and
     * proven to be its own is adopted; every other job that was running is marked interrupted.
     */
    async recover(): Promise<void> {
        const { records, quarantined } = await this.journal.loadAll();
        this.quarantined = quarantined;
        for (const entry of quarantined) log("warn", "job_quarantined", { folder: entry.folder });
        // A pause (pre-snapshot hook) does not outlive the server that made it: continue what it stopped.
        await this.pause.recover();
        for (const record of records) {
            this.jobs.set(record.id, record);
            if (record.state !== "running") continue;
            if (await isJobProcess(this.processOf(record))) {
                this.watchAdopted(record);
                continue;
            }
            await this.settleWithoutChild(record);
        }
    }

    async start(command: string, cwd: string, env: Record<string, string>): Promise<JobRecord> {
        const pausedFor = this.pause.remainingSeconds();
        if (pausedFor !== undefined) {
            // A job started now would write across the snapshot the pause is there to keep clean.
            throw new ToolInputError(
                `background jobs are paused for a backup of the workspace for up to ${pausedFor} s more; ` +
                    "start the job after that (run_command still works meanwhile)",
            );
        }
        const id = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
        await this.journal.create(id);
        const output = await open(this.journal.outputPath(id), "a");
        let child: ChildProcess;
        try {
            // The job writes straight into its log file: no pipe through the server, nothing lost if it dies.
            const [file, ...args] = this.wrapperArgv(id, command);
            child = spawn(file, args, {
                cwd,
                // The marker lets the pause find the job's processes that leave its group (setsid).
                env: { ...commandEnvironment(env), [JOB_MARKER]: id },
                detached: true,
                stdio: ["ignore", output.fd, output.fd],
            });
            await new Promise<void>((resolve, reject) => {
                child!.once("spawn", resolve);
                child!.once("error", reject);
            });
        } finally {
            await output.close();
        }
        const pid = child.pid!;
        const record: JobRecord = {
            id,
            command,
            cwd,
            state: "running",
            pid,
            pid_start_ticks: await processStartTicks(pid),
            started_at: new Date().toISOString(),
            ended_at: null,
            exit_code: null,
            signal: null,
        };
        this.jobs.set(id, record);
        await this.journal.save(record);
        child.on("exit", (code, signal) => {
            void this.settle(record, code, signal);
        });
        log("info", "job_started", { job_id: id, pid });
        this.onJobEvent({ event: "started", jobId: id, command, exitCode: null, outputBytes: 0 });
        return record;
    }

    async view(id: string): Promise<JobView> {
        const record = this.require(id);
        return { ...record, output_bytes: await this.outputBytes(id) };
    }

    async list(): Promise<JobView[]> {
        return Promise.all([...this.jobs.keys()].map((id) => this.view(id)));
    }

    async readOutput(id: string, offset: number, maxBytes: number) {
        const record = this.require(id);
        const total = await this.outputBytes(id);
        if (offset > total) {
            throw new ToolInputError(`offset ${offset} is beyond the end of the output (${total} bytes so far)`);
        }
        const length = Math.min(maxBytes, total - offset);
        const buffer = Buffer.alloc(length);
        let bytesRead = 0;
        if (length > 0) {
            const file = await open(this.journal.outputPath(id), "r");
            try {
                ({ bytesRead } = await file.read(buffer, 0, length, offset));
            } finally {
                await file.close();
            }
        }
        // Stop before a UTF-8 sequence split by max_bytes; the next read starts on its first byte.
        const usable = completeUtf8Prefix(buffer.subarray(0, bytesRead), offset + bytesRead < total);
        return {
            job_id: id,
            state: record.state,
            offset,
            next_offset: offset + usable,
            total_bytes: total,
            eof: offset + usable >= total,
            output: buffer.subarray(0, usable).toString("utf8"),
        };
    }

    async kill(id: string): Promise<JobView> {
        const record = this.require(id);
        if (record.state !== "running" || record.pid === null) {
            throw new ToolInputError(`job_id '${id}' is not running (state: ${record.state}); nothing to kill`);
        }
        const job = this.processOf(record);
        this.killRequested.add(id);
        const exited = this.waitForExit(id);
        if (!(await signalJobGroup(job, "SIGTERM"))) {
            // Its process is gone or is no longer the one it started: record that, signal nothing.
            this.killRequested.delete(id);
            if (record.state === "running") await this.settleWithoutChild(record);
            throw new ToolInputError(
                `job_id '${id}' has no process of its own any more (state now: ${record.state}); nothing was signalled`,
            );
        }
        // A paused (SIGSTOPped) job handles SIGTERM only once it runs again.
        await this.pause.resumeJob(id);
        const escalation = setTimeout(() => {
            if (record.state === "running") void signalJobGroup(job, "SIGKILL");
        }, KILL_GRACE_MS);
        await exited;
        clearTimeout(escalation);
        return this.view(id);
    }

    /** On server shutdown the container goes too: give jobs a SIGTERM rather than the runtime's SIGKILL. */
    async terminateAll(): Promise<void> {
        const running = [...this.jobs.values()].filter((job) => job.state === "running");
        await Promise.all(running.map((job) => signalJobGroup(this.processOf(job), "SIGTERM")));
    }

    /**
     * Pre-snapshot hook: SIGSTOPs every process of every running job (its group, and those that left it)
     * until resumeAll or the earliest deadline of the pauses on; jobs cannot start meanwhile.
     */
    async pauseAll(maxSeconds: number): Promise<{ paused: string[]; resumesAfterSeconds: number }> {
        const running = [...this.jobs.values()].filter((job) => job.state === "running");
        return this.pause.pause(
            running.map((job) => ({
                id: job.id,
                leader: job.pid,
                stopGroup: () => signalJobGroup(this.processOf(job), "SIGSTOP"),
            })),
            maxSeconds,
        );
    }

    /** Continues exactly the processes the pauses stopped. */
    resumeAll(): Promise<string[]> {
        return this.pause.resume();
    }

    /** The exact command line a job's wrapper runs with: part of the job's process identity. */
    private wrapperArgv(id: string, command: string): string[] {
        return ["bash", "-c", WRAPPER_SCRIPT, "job-wrapper", command, this.journal.exitCodePath(id)];
    }

    private processOf(record: JobRecord): JobProcess {
        return {
            pid: record.pid,
            startTicks: record.pid_start_ticks,
            argv: this.wrapperArgv(record.id, record.command),
        };
    }

    private require(id: string): JobRecord {
        const record = JOB_ID_PATTERN.test(id) ? this.jobs.get(id) : undefined;
        if (!record) throw new ToolInputError(`job_id '${id}' is unknown; call list_jobs to see the known jobs`);
        return record;
    }

    private async outputBytes(id: string): Promise<number> {
        try {
            return (await stat(this.journal.outputPath(id))).size;
        } catch {
            return 0;
        }
    }

    private waitForExit(id: string): Promise<void> {
        return new Promise((resolve) => {
            const waiters = this.exitWaiters.get(id) ?? [];
            waiters.push(resolve);
            this.exitWaiters.set(id, waiters);
        });
    }

    private async settle(record: JobRecord, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
        const recordedExit = await this.journal.readExitCode(record.id);
        record.ended_at = new Date().toISOString();
        record.exit_code = recordedExit ?? code;
        record.signal = recordedExit === null ? signal : null;
        record.state = this.killRequested.has(record.id) ? "killed" : "exited";
        await this.finish(record);
    }

    /** A job from before a restart that is no longer running: it either finished or was cut off. */
    private async settleWithoutChild(record: JobRecord): Promise<void> {
        const recordedExit = await this.journal.readExitCode(record.id);
        record.ended_at = new Date().toISOString();
        record.exit_code = recordedExit;
        record.state = this.killRequested.has(record.id) ? "killed" : recordedExit === null ? "interrupted" : "exited";
        await this.finish(record);
    }

    private async finish(record: JobRecord): Promise<void> {
        await this.journal.save(record);
        log("info", "job_ended", { job_id: record.id, state: record.state, exit_code: record.exit_code });
        this.onJobEvent({
            event: record.state === "killed" ? "killed" : "finished",
            jobId: record.id,
            command: record.command,
            exitCode: record.exit_code,
            outputBytes: await this.outputBytes(record.id).catch(() => null),
        });
        for (const resolve of this.exitWaiters.get(record.id) ?? []) resolve();
        this.exitWaiters.delete(record.id);
    }

    /** A job still alive from a previous server process is not our child: poll until it is gone. */
    private watchAdopted(record: JobRecord): void {
        const timer = setInterval(() => {
            void isJobProcess(this.processOf(record)).then(async (alive) => {
                if (alive) return;
                clearInterval(timer);
                await this.settleWithoutChild(record);
            });
        }, ADOPTED_JOB_POLL_MS);
        timer.unref();
    }
}

/** Length of the longest prefix of `bytes` that does not end inside a multi-byte UTF-8 character. */
function completeUtf8Prefix(bytes: Buffer, moreFollows: boolean): number {
    if (!moreFollows) return bytes.length;
    for (let back = 1; back <= Math.min(3, bytes.length); back++) {
        const byte = bytes[bytes.length - back];
        if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
        const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
        return needed > back ? bytes.length - back : bytes.length;
    }
    return bytes.length;
}
