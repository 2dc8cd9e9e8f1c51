import { readFile } from "node:fs/promises";
import { log } from "../log.js";

interface ProcessIdentity {
    state: string;
    processGroup: number;
    startTicks: string;
    argv: string[];
}

async function readIdentity(pid: number): Promise<ProcessIdentity | null> {
    try {
        const [stat, cmdline] = await Promise.all([
            readFile(`/proc/${pid}/stat`, "utf8"),
            readFile(`/proc/${pid}/cmdline`),
        ]);
        // The command name (field 2) may contain spaces and parentheses: count fields after its last ')'.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const argv = cmdline.toString("utf8").split("\0");
        if (argv[argv.length - 1] === "") argv.pop();
        return { state: fields[0], processGroup: Number(fields[2]), startTicks: fields[19], argv };
    } catch {
        return null;
    }
}

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat). Together with the pid it
 * identifies a process across server restarts; pids alone get recycled.
 */
export async function processStartTicks(pid: number): Promise<string | null> {
    return (await readIdentity(pid))?.startTicks ?? null;
}

/** What a job recorded about the process it started; `argv` is derived from the job, not stored. */
export interface JobProcess {
    pid: number | null;
    startTicks: string | null;
    argv: readonly string[];
}

/**
 * True only while `job.pid` is, beyond doubt, the job's live process: a pid above 1, the recorded
 * start time (a record without one proves nothing), the leader of its own process group, and running
 * exactly the command line the job started. A journal on the PVC can be edited, so nothing less is
 * enough to send a signal to the whole group.
 */
export async function isJobProcess(job: JobProcess): Promise<boolean> {
    if (job.pid === null || !Number.isInteger(job.pid) || job.pid <= 1 || job.startTicks === null) return false;
    const identity = await readIdentity(job.pid);
    if (!identity || identity.state === "Z" || identity.state === "X") return false;
    return (
        identity.startTicks === job.startTicks &&
        identity.processGroup === job.pid &&
        identity.argv.length === job.argv.length &&
        identity.argv.every((arg, i) => arg === job.argv[i])
    );
}

/** Signals the job's whole process group after proving it is the job's; false when it is not (any more). */
export async function signalJobGroup(job: JobProcess, signal: NodeJS.Signals): Promise<boolean> {
    if (!(await isJobProcess(job))) {
        log("warn", "job_signal_refused", { pid: job.pid, signal, reason: "not the job's process" });
        return false;
    }
    try {
        process.kill(-job.pid!, signal);
        return true;
    } catch {
        return false;
    }
}
