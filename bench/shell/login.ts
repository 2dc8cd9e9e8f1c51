// run_command's cost with a heavy login setup (issue 27): ours with an empty HOME against ours with a
// HOME holding pyenv- and nvm-style init (heavy-home.ts), interleaved call by call, and the same two
// HOMEs under a bare `bash -lc true` (what every call cost when run_command ran the login files each time).
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createFixtures } from "./fixtures.js";
import { createHeavyHome } from "./heavy-home.js";
import { measureAgainstBareSpawns, measureLatencyPair, startBareSpawner } from "./measure.js";
import { connectStdio } from "./servers.js";

const SAMPLES = Number(process.env.SAMPLES ?? 300);
const fixtures = await createFixtures();
const heavyHome = path.join(fixtures.root, "heavy-home");
await mkdir(heavyHome);
await createHeavyHome(heavyHome);

const empty = await connectStdio("ours", fixtures);
const heavy = await connectStdio("ours", fixtures, heavyHome);
const runTrue = { tool: "run_command", args: { command: "true" } };
// The snapshot must really carry the heavy setup, or the comparison would flatter us.
const probe = await heavy.callTool({ name: "run_command", arguments: { command: "type -t pyenv nvm; echo $PATH" } });
const probeText = JSON.stringify(probe.structuredContent);
if (!probeText.includes("function\\nfunction") || !probeText.includes(".pyenv/shims")) {
    throw new Error(`the heavy HOME's setup is missing from run_command: ${probeText}`);
}
const [oursEmpty, oursHeavy] = await measureLatencyPair(
    { client: empty, operation: runTrue },
    { client: heavy, operation: runTrue },
    SAMPLES,
);
await Promise.all([empty.close(), heavy.close()]);

const spawnEnv = (home: string) => ({ PATH: process.env.PATH, HOME: home, LANG: "C.UTF-8" });
const [, bareEmpty, bareHeavy] = await measureAgainstBareSpawns(
    { client: await connectStdio("ours", fixtures), operation: runTrue },
    [
        startBareSpawner(["bash", "-lc", "true"], spawnEnv(fixtures.home)),
        startBareSpawner(["bash", "-lc", "true"], spawnEnv(heavyHome)),
    ],
    Math.min(SAMPLES, 100),
    5,
);

const fmt = (ms: number) => ms.toFixed(2);
const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${os.type()} ${os.release()}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`;
console.log(`Machine: ${machine}; ${new Date().toISOString()}

| run_command \`true\`, ${SAMPLES} calls each, interleaved | empty HOME p50 / p99 ms | heavy HOME p50 / p99 ms | heavy/empty p50 |
|---|---|---|---|
| ours (stdio), login snapshot | ${fmt(oursEmpty.p50)} / ${fmt(oursEmpty.p99)} | ${fmt(oursHeavy.p50)} / ${fmt(oursHeavy.p99)} | **${(oursHeavy.p50 / oursEmpty.p50).toFixed(2)}** |
| bare spawn \`bash -lc true\` (the login files per call) | ${fmt(bareEmpty.p50)} / ${fmt(bareEmpty.p99)} | ${fmt(bareHeavy.p50)} / ${fmt(bareHeavy.p99)} | ${(bareHeavy.p50 / bareEmpty.p50).toFixed(2)} |`);
await rm(fixtures.root, { recursive: true, force: true });
process.exit(0);
