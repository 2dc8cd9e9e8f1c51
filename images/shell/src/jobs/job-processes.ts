import { readdir, readFile } from "node:fs/promises";

/**
 * Every process a job started, including those that left its process group (`setsid`, a daemon's
 * double fork) and were re-parented to PID 1. Each job's processes inherit JOB_MARKER in their
 * environment; that survives setsid and re-parenting, and only a process that clears its own
 * environment (`env -i`) drops it. A process that is still the child of a job's process is counted
 * too, marker or not.
 */
export const JOB_MARKER = "AGENT_JOB_ID";

export interface ProcessInfo {
    pid: number;
    parent: number;
    group: number;
    /** Scheduler state: "T" stopped (by a signal), "t" traced, "Z" zombie, others running or sleeping. */
    state: string;
    /** Kernel start time: with the pid, identifies the process (pids get recycled). */
    startTicks: string;
}

function parseStat(pid: number, stat: string): ProcessInfo {
    // The command name (field 2) may contain spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, state: fields[0], parent: Number(fields[1]), group: Number(fields[2]), startTicks: fields[19] };
}

/** The process now, or null when it is gone. */
async function readProcess(pid: number): Promise<ProcessInfo | null> {
    try {
        return parseStat(pid, await readFile(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return null;
    }
}

async function carriesMarker(pid: number, marker: Buffer): Promise<boolean> {
    try {
        const environ = await readFile(`/proc/${pid}/environ`);
        const at = environ.indexOf(marker);
        return at === 0 || (at > 0 && environ[at - 1] === 0);
    } catch {
        return false; // gone, or another user's (not readable)
    }
}

/**
 * The live processes of a job whose wrapper leads process group `leader`: its group, every process
 * carrying `AGENT_JOB_ID=<id>`, and every descendant of those. Never PID 1 or this server.
 */
export async function jobProcesses(jobId: string, leader: number | null): Promise<ProcessInfo[]> {
    const marker = Buffer.from(`${JOB_MARKER}=${jobId}\0`);
    const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name)).map(Number);
    const all = (await Promise.all(pids.map(readProcess))).filter(
        (info): info is ProcessInfo => info !== null && info.pid > 1 && info.pid !== process.pid && info.state !== "Z",
    );
    const members = new Set<number>();
    await Promise.all(
        all.map(async (info) => {
            if ((leader !== null && info.group === leader) || (await carriesMarker(info.pid, marker))) {
                members.add(info.pid);
            }
        }),
    );
    // Descendants, to a fixed point: a child may appear in the list before its parent.
    for (let grew = true; grew; ) {
        grew = false;
        for (const info of all) {
            if (!members.has(info.pid) && members.has(info.parent)) {
                members.add(info.pid);
                grew = true;
            }
        }
    }
    return all.filter((info) => members.has(info.pid));
}

/** Signals one process after checking it is still the one seen (same start time); false otherwise. */
export async function signalProcess(pid: number, startTicks: string, signal: NodeJS.Signals): Promise<boolean> {
    const now = await readProcess(pid);
    if (!now || now.startTicks !== startTicks || pid <= 1) return false;
    try {
        process.kill(pid, signal);
        return true;
    } catch {
        return false;
    }
}
