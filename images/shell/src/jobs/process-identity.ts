import { readFile } from "node:fs/promises";

interface ProcessStat {
  state: string;
  startTicks: string;
}

async function readProcessStat(pid: number): Promise<ProcessStat | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], startTicks: fields[19] };
  } catch {
    return null;
  }
}

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat). Together with the pid it
 * identifies a process across server restarts; pids alone get recycled.
 */
export async function processStartTicks(pid: number): Promise<string | null> {
  return (await readProcessStat(pid))?.startTicks ?? null;
}

/** True while `pid` is still the process we started (not recycled, not a zombie). */
export async function isSameProcessAlive(pid: number, startTicks: string | null): Promise<boolean> {
  const stat = await readProcessStat(pid);
  if (!stat || stat.state === "Z" || stat.state === "X") return false;
  return startTicks === null || stat.startTicks === startTicks;
}
