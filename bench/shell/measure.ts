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

export function summarize(milliseconds: number[]): LatencySummary {
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
export async function measureLatency(client: Client, operation: Operation, samples: number, warmup = 30): Promise<LatencySummary> {
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

/**
 * The floor for run_command: a fresh, minimal Node process (bare-spawn.mjs) spawning the program and
 * waiting for it. Measured out of process because fork/exec cost grows with the caller's memory.
 */
export async function measureBareSpawn(argv: string[], env: NodeJS.ProcessEnv, samples: number): Promise<LatencySummary> {
  const script = fileURLToPath(new URL("./bare-spawn.mjs", import.meta.url));
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [script, String(samples), ...argv], { env, stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`bare-spawn exited with ${code}`))));
  });
  return summarize(JSON.parse(output) as number[]);
}
