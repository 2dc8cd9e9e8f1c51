// Where a secret shows up in a running process: its environment, its command line, and every readable
// mapping of its memory (/proc/<pid>/maps and /proc/<pid>/mem; needs root or ptrace rights over it).
// The same search the on-node proof runs inside the computer's pod.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";

/** Every process whose parent chain leads to `pid`. */
export function descendants(pid: number): number[] {
    const parents = new Map<number, number>();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
            // The command name is in parentheses and may hold spaces: fields start after the last ")".
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            parents.set(Number(entry), Number(fields[1]));
        } catch {
            // the process ended meanwhile
        }
    }
    const found: number[] = [];
    const walk = (parent: number) => {
        for (const [child, of] of parents) {
            if (of === parent) {
                found.push(child);
                walk(child);
            }
        }
    };
    walk(pid);
    return found;
}

/** Where `secret` occurs in process `pid`: "environ", "cmdline", "memory <range> <path>". */
export function findInProcess(pid: number, secret: string): string[] {
    const needle = Buffer.from(secret);
    const found: string[] = [];
    for (const part of ["environ", "cmdline"]) {
        try {
            if (readFileSync(`/proc/${pid}/${part}`).includes(needle)) found.push(part);
        } catch {
            // ended
        }
    }
    let maps: string;
    let mem: number;
    try {
        maps = readFileSync(`/proc/${pid}/maps`, "utf8");
        mem = openSync(`/proc/${pid}/mem`, "r");
    } catch {
        return found;
    }
    try {
        for (const line of maps.trim().split("\n")) {
            const [range, perms, , , , path = ""] = line.split(/\s+/);
            if (!perms.startsWith("r") || path === "[vvar]" || path === "[vsyscall]") continue;
            const [start, end] = range.split("-").map((hex) => Number.parseInt(hex, 16));
            const buffer = Buffer.alloc(end - start);
            try {
                readSync(mem, buffer, 0, buffer.length, start);
            } catch {
                continue;
            }
            if (buffer.includes(needle)) found.push(`memory ${range} ${path}`);
        }
    } finally {
        closeSync(mem);
    }
    return found;
}
