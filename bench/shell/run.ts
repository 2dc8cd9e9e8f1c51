// One run of the shell MCP benchmark: ours against the peers over the same transport (stdio, which
// is all the peers speak), plus ours over streamable HTTP as deployed. Prints a Markdown report.
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { createFixtures } from "./fixtures.js";
import {
    measureAgainstBareSpawns,
    measureLatency,
    measureLatencyPair,
    measureThroughput,
    startBareSpawner,
    type Operation,
} from "./measure.js";
import { connectStdio, startOursOverHttp, type ServerName } from "./servers.js";

const CONCURRENT_CLIENTS = 16;
const THROUGHPUT_SECONDS = 4;

interface Comparison {
    operation: string;
    peer: ServerName;
    ours: Operation;
    theirs: Operation;
    samples: number;
}

const fixtures = await createFixtures();
const comparisons: Comparison[] = [
    {
        operation: "read_file 4 KiB",
        peer: "server-filesystem",
        ours: { tool: "read_file", args: { path: fixtures.small } },
        theirs: { tool: "read_text_file", args: { path: fixtures.small } },
        samples: 1000,
    },
    {
        operation: "read_file 1 MiB",
        peer: "server-filesystem",
        ours: { tool: "read_file", args: { path: fixtures.large } },
        theirs: { tool: "read_text_file", args: { path: fixtures.large } },
        samples: 150,
    },
    {
        operation: "list_directory 1,000 entries",
        peer: "server-filesystem",
        ours: { tool: "list_directory", args: { path: fixtures.folder } },
        theirs: { tool: "list_directory", args: { path: fixtures.folder } },
        samples: 800,
    },
    {
        operation: "run_command `true`",
        peer: "desktop-commander",
        ours: { tool: "run_command", args: { command: "true" } },
        theirs: { tool: "start_process", args: { command: "true", timeout_ms: 5000 } },
        samples: 150,
    },
];

const clients = new Map<ServerName, Client>();
// desktop-commander is started only for its own measurements, after ours against the bare spawns:
// while its process was up, our run_command measured about twice as slow on this 2-core machine.
for (const name of ["ours", "server-filesystem"] as ServerName[]) {
    clients.set(name, await connectStdio(name, fixtures));
}
const http = await startOursOverHttp(fixtures);
const httpClient = await http.connect();

const fmt = (ms: number) => ms.toFixed(2);
const ratio = (ours: number, theirs: number) => (ours / theirs).toFixed(2);
const lines: string[] = [];
const results: Record<string, unknown> = {};

lines.push(
    "Latency, sequential calls on one client (ms). Ratio = ours/peer at p50 (below 1.00: ours faster).",
    "",
    "| operation | ours stdio p50 / p99 | peer | peer p50 / p99 | ratio p50 | ours HTTP p50 / p99 |",
    "|---|---|---|---|---|---|",
);
// run_command `true` is measured interleaved with bare spawns of the same programs (below), and
// desktop-commander on its own, so that nothing else is interleaved with it.
const spawnEnv = { PATH: process.env.PATH, HOME: fixtures.home, LANG: "C.UTF-8" };
const spawners = [startBareSpawner(["true"], spawnEnv), startBareSpawner(["bash", "-lc", "true"], spawnEnv)];
const runTrue = comparisons[3];
const [oursRun, bareTrue, bareLogin] = await measureAgainstBareSpawns(
    { client: clients.get("ours")!, operation: runTrue.ours },
    spawners,
    500,
);
for (const spawner of spawners) {
    spawner.close();
}
results.bareSpawn = { true: bareTrue, "bash -lc true": bareLogin };

for (const comparison of comparisons) {
    const isRunCommand = comparison === runTrue;
    if (!clients.has(comparison.peer)) clients.set(comparison.peer, await connectStdio(comparison.peer, fixtures));
    const [ours, theirs] = isRunCommand
        ? [oursRun, await measureLatency(clients.get(comparison.peer)!, comparison.theirs, comparison.samples)]
        : await measureLatencyPair(
              { client: clients.get("ours")!, operation: comparison.ours },
              { client: clients.get(comparison.peer)!, operation: comparison.theirs },
              comparison.samples,
          );
    const overHttp = await measureLatency(httpClient, comparison.ours, comparison.samples);
    results[comparison.operation] = { ours, [comparison.peer]: theirs, oursHttp: overHttp };
    lines.push(
        `| ${comparison.operation} | ${fmt(ours.p50)} / ${fmt(ours.p99)} | ${comparison.peer} \`${comparison.theirs.tool}\` | ` +
            `${fmt(theirs.p50)} / ${fmt(theirs.p99)} | **${ratio(ours.p50, theirs.p50)}** | ${fmt(overHttp.p50)} / ${fmt(overHttp.p99)} |`,
    );
    process.stderr.write(`measured ${comparison.operation}\n`);
}

lines.push(
    "",
    "run_command `true` (stdio) interleaved call by call with a bare `child_process.spawn` (new session, pipes) from a minimal Node process (ms, p50):",
    "",
    "| baseline | baseline p50 | ours stdio p50 | ours − baseline |",
    "|---|---|---|---|",
    `| spawn \`true\` | ${fmt(bareTrue.p50)} | ${fmt(oursRun.p50)} | ${fmt(oursRun.p50 - bareTrue.p50)} |`,
    `| spawn \`bash -lc true\` (what run_command runs) | ${fmt(bareLogin.p50)} | ${fmt(oursRun.p50)} | ${fmt(oursRun.p50 - bareLogin.p50)} |`,
);

// Throughput: 16 clients, each its own stdio server process (the peers cannot share one), and ours
// over HTTP with 16 sessions on a single server process, as in the pod.
async function throughput(name: ServerName, operation: Operation): Promise<number> {
    const pool = await Promise.all(Array.from({ length: CONCURRENT_CLIENTS }, () => connectStdio(name, fixtures)));
    const perSecond = await measureThroughput(pool, operation, THROUGHPUT_SECONDS);
    await Promise.all(pool.map((client) => client.close()));
    return perSecond;
}
async function httpThroughput(operation: Operation): Promise<number> {
    const pool = await Promise.all(Array.from({ length: CONCURRENT_CLIENTS }, () => http.connect()));
    const perSecond = await measureThroughput(pool, operation, THROUGHPUT_SECONDS);
    await Promise.all(pool.map((client) => client.close()));
    return perSecond;
}
lines.push(
    "",
    `Throughput with ${CONCURRENT_CLIENTS} concurrent clients (calls/s over ${THROUGHPUT_SECONDS} s; higher is better).`,
    "",
    "| operation | ours stdio | peer | peer calls/s | ratio ours/peer | ours HTTP (one process) |",
    "|---|---|---|---|---|---|",
);
for (const comparison of [comparisons[0], comparisons[3]]) {
    const ours = await throughput("ours", comparison.ours);
    const theirs = await throughput(comparison.peer, comparison.theirs);
    const overHttp = await httpThroughput(comparison.ours);
    results[`throughput ${comparison.operation}`] = { ours, [comparison.peer]: theirs, oursHttp: overHttp };
    lines.push(
        `| ${comparison.operation} | ${ours.toFixed(0)} | ${comparison.peer} | ${theirs.toFixed(0)} | **${ratio(ours, theirs)}** | ${overHttp.toFixed(0)} |`,
    );
    process.stderr.write(`measured throughput ${comparison.operation}\n`);
}

for (const client of clients.values()) await client.close();
await httpClient.close();
http.stop();

const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${os.type()} ${os.release()}, Node ${process.version}`;
console.log(`Machine: ${machine}\n\n${lines.join("\n")}`);
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../results");
await mkdir(resultsDir, { recursive: true });
await writeFile(
    path.join(resultsDir, "shell.json"),
    JSON.stringify({ machine, date: new Date().toISOString(), results }, null, 2),
);
await rm(fixtures.root, { recursive: true, force: true });
