import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

export interface Operation {
    tool: string;
    args: Record<string, unknown>;
}

export interface LatencySummary {
    p50: number;
    p99: number;
    samples: number;
}

function percentile(sorted: number[], fraction: number): number {
    const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
    return sorted[Math.max(0, index)];
}

function summarize(milliseconds: number[]): LatencySummary {
    const sorted = [...milliseconds].sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), samples: sorted.length };
}

async function callOnce(client: Client, operation: Operation): Promise<void> {
    const result = await client.callTool({ name: operation.tool, arguments: operation.args });
    // A failing call is fast and would flatter the numbers: refuse to time it.
    if (result.isError) throw new Error(`${operation.tool} failed: ${JSON.stringify(result.content).slice(0, 300)}`);
}

/**
 * Sequential calls, alternating between two servers call by call, so that drift on a shared
 * 2-core machine (other processes, CPU frequency, GC) hits both sides alike.
 */
export async function measureLatencyPair(
    a: { client: Client; operation: Operation },
    b: { client: Client; operation: Operation },
    samples: number,
    warmup = 30,
): Promise<[LatencySummary, LatencySummary]> {
    for (let i = 0; i < warmup; i++) {
        await callOnce(a.client, a.operation);
        await callOnce(b.client, b.operation);
    }
    const timingsA: number[] = [];
    const timingsB: number[] = [];
    for (let i = 0; i < samples; i++) {
        let started = performance.now();
        await callOnce(a.client, a.operation);
        timingsA.push(performance.now() - started);
        started = performance.now();
        await callOnce(b.client, b.operation);
        timingsB.push(performance.now() - started);
    }
    return [summarize(timingsA), summarize(timingsB)];
}

/** Sequential calls on one client: latency as an agent sees it. */
export async function measureLatency(
    client: Client,
    operation: Operation,
    samples: number,
    warmup = 30,
): Promise<LatencySummary> {
    for (let i = 0; i < warmup; i++) await callOnce(client, operation);
    const timings: number[] = [];
    for (let i = 0; i < samples; i++) {
        const started = performance.now();
        await callOnce(client, operation);
        timings.push(performance.now() - started);
    }
    return summarize(timings);
}

/** Calls per second with every client looping the operation at once for `seconds`. */
export async function measureThroughput(clients: Client[], operation: Operation, seconds: number): Promise<number> {
    for (const client of clients) await callOnce(client, operation);
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    const counts = await Promise.all(
        clients.map(async (client) => {
            let done = 0;
            while (performance.now() < deadline) {
                await callOnce(client, operation);
                done++;
            }
            return done;
        }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return counts.reduce((a, b) => a + b, 0) / elapsed;
}

export interface BareSpawner {
    /** Spawns the program once and returns how long it took (ms), as measured inside the spawner. */
    spawnOnce(): Promise<number>;
    close(): void;
}

/**
 * The floor for run_command: a fresh, minimal Node process (bare-spawn.mjs) that spawns the program
 * on request. Out of process because fork/exec cost grows with the caller's memory; on request so
 * that its samples interleave with ours and share the same machine load.
 */
export function startBareSpawner(argv: string[], env: NodeJS.ProcessEnv): BareSpawner {
    const script = fileURLToPath(new URL("./bare-spawn.mjs", import.meta.url));
    const child = spawn(process.execPath, [script, ...argv], { env, stdio: ["pipe", "pipe", "inherit"] });
    const waiting: Array<(ms: number) => void> = [];
    let pending = "";
    child.stdout!.on("data", (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) waiting.shift()?.(Number(line));
    });
    return {
        spawnOnce() {
            return new Promise((resolve) => {
                waiting.push(resolve);
                child.stdin!.write("spawn\n");
            });
        },
        close() {
            child.stdin!.end();
        },
    };
}

/** Our run_command interleaved call by call with bare spawns of the same programs. */
export async function measureAgainstBareSpawns(
    ours: { client: Client; operation: Operation },
    spawners: BareSpawner[],
    samples: number,
    warmup = 30,
): Promise<LatencySummary[]> {
    const timings: number[][] = [[], ...spawners.map(() => [])];
    for (let i = 0; i < warmup + samples; i++) {
        const started = performance.now();
        await callOnce(ours.client, ours.operation);
        const elapsed = performance.now() - started;
        const bare = [];
        for (const spawner of spawners) bare.push(await spawner.spawnOnce());
        if (i < warmup) continue;
        timings[0].push(elapsed);
        bare.forEach((ms, index) => {
            timings[index + 1].push(ms);
        });
    }
    return timings.map(summarize);
}
