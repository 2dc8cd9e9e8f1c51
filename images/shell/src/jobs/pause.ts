import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { z } from "zod";
import { log } from "../log.js";
import { JOB_ID_PATTERN } from "./journal.js";
import { jobProcesses, signalProcess, type ProcessInfo } from "./job-processes.js";

/** A running job as the pause sees it; `stopGroup` SIGSTOPs its group after proving the leader is the job's. */
export interface PausableJob {
    id: string;
    leader: number | null;
    stopGroup(): Promise<boolean>;
}

const PausedProcessSchema = z.object({
    job_id: z.string().regex(JOB_ID_PATTERN),
    pid: z.number().int().min(2).max(4194304),
    start_ticks: z.string().regex(/^\d+$/),
});
type PausedProcess = z.infer<typeof PausedProcessSchema>;
const PauseFileSchema = z.object({ processes: z.array(PausedProcessSchema) });

// Rounds of "find the job's processes, stop the ones still running": a process may fork between a
// scan and its stop; stopped processes cannot, so a few rounds reach everything.
const MAX_STOP_ROUNDS = 5;

const stoppedByOthers = (info: ProcessInfo) => info.state === "T" || info.state === "t";

/**
 * The pre-snapshot hook's state: which processes this pause stopped (exactly those, so that resume
 * continues nothing it did not stop), and when it ends by itself. Nested pauses keep the earliest end;
 * the stopped set is saved in the workspace so that a server restart during a pause continues it too.
 */
export class JobPause {
    private readonly stopped = new Map<string, PausedProcess>();
    private deadline: number | undefined;
    private timer: NodeJS.Timeout | undefined;
    private queue: Promise<unknown> = Promise.resolve();

    constructor(private readonly file: string) {}

    /** Seconds until the pause ends by itself, or undefined when no pause is on. */
    remainingSeconds(): number | undefined {
        return this.deadline === undefined ? undefined : Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
    }

    pause(jobs: PausableJob[], maxSeconds: number): Promise<{ paused: string[]; resumesAfterSeconds: number }> {
        return this.serially(async () => {
            const proposed = Date.now() + maxSeconds * 1000;
            if (this.deadline === undefined || proposed < this.deadline) {
                this.deadline = proposed;
                clearTimeout(this.timer);
                this.timer = setTimeout(() => void this.resume(), proposed - Date.now());
                this.timer.unref();
            }
            for (const job of jobs) await this.stopJob(job);
            await this.save();
            const paused = [...new Set([...this.stopped.values()].map((entry) => entry.job_id))];
            log("info", "jobs_paused", { jobs: paused.length, processes: this.stopped.size, max_seconds: maxSeconds });
            return { paused, resumesAfterSeconds: this.remainingSeconds()! };
        });
    }

    /** Continues every process the pause stopped (and nothing else); returns their jobs' ids. */
    resume(): Promise<string[]> {
        return this.serially(async () => {
            clearTimeout(this.timer);
            this.deadline = undefined;
            const resumed = await this.continueWhere(() => true);
            log("info", "jobs_resumed", { count: resumed.length });
            return resumed;
        });
    }

    /** Continues one job's stopped processes (kill_job: a stopped process handles SIGTERM only once it runs). */
    resumeJob(jobId: string): Promise<boolean> {
        return this.serially(async () => (await this.continueWhere((entry) => entry.job_id === jobId)).length > 0);
    }

    /** After a restart: continue what a pause of the previous server process stopped. */
    recover(): Promise<void> {
        return this.serially(async () => {
            let saved: PausedProcess[];
            try {
                saved = PauseFileSchema.parse(JSON.parse(await readFile(this.file, "utf8"))).processes;
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
                    log("warn", "pause_record_unusable", { error: (error as Error).message });
                    await unlink(this.file).catch(() => undefined);
                }
                return;
            }
            for (const entry of saved) this.stopped.set(`${entry.pid}:${entry.start_ticks}`, entry);
            const resumed = await this.continueWhere(() => true);
            log("info", "jobs_resumed_after_restart", { count: resumed.length });
        });
    }

    private async stopJob(job: PausableJob): Promise<void> {
        const before = new Map((await jobProcesses(job.id, job.leader)).map((info) => [info.pid, info]));
        if (!(await job.stopGroup())) return;
        for (let round = 0; round < MAX_STOP_ROUNDS; round++) {
            let stoppedNow = 0;
            for (const info of await jobProcesses(job.id, job.leader)) {
                const key = `${info.pid}:${info.startTicks}`;
                if (this.stopped.has(key) || info.state === "t") continue;
                const earlier = before.get(info.pid);
                // Stopped before this pause began (by the agent itself): not ours to continue later.
                if (earlier && earlier.startTicks === info.startTicks && stoppedByOthers(earlier)) continue;
                // Not stopped yet: outside the group (setsid) or the group's signal is still on its way.
                if (info.state !== "T") {
                    if (!(await signalProcess(info.pid, info.startTicks, "SIGSTOP"))) continue;
                    stoppedNow++;
                }
                this.stopped.set(key, { job_id: job.id, pid: info.pid, start_ticks: info.startTicks });
            }
            if (stoppedNow === 0) return;
        }
    }

    private async continueWhere(selected: (entry: PausedProcess) => boolean): Promise<string[]> {
        const jobs = new Set<string>();
        for (const [key, entry] of this.stopped) {
            if (!selected(entry)) continue;
            this.stopped.delete(key);
            if (await signalProcess(entry.pid, entry.start_ticks, "SIGCONT")) jobs.add(entry.job_id);
        }
        await this.save();
        return [...jobs];
    }

    private async save(): Promise<void> {
        if (this.stopped.size === 0) {
            await unlink(this.file).catch(() => undefined);
            return;
        }
        const temporary = `${this.file}.${process.pid}.tmp`;
        await writeFile(temporary, `${JSON.stringify({ processes: [...this.stopped.values()] })}\n`);
        await rename(temporary, this.file);
    }

    private serially<T>(work: () => Promise<T>): Promise<T> {
        const next = this.queue.then(work, work);
        this.queue = next.catch(() => undefined);
        return next;
    }
}
