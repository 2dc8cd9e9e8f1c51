// Baseline for run_command: a minimal Node process that spawns argv[2..] once per line read on
// stdin and answers with the duration in ms, so the benchmark can interleave it with real calls.
// Pipes on stdout/stderr and a new session (detached), exactly like run_command's spawn.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const [command, ...args] = process.argv.slice(2);
for await (const _ of createInterface({ input: process.stdin })) {
    const started = performance.now();
    await new Promise((resolve, reject) => {
        const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
        child.on("error", reject);
        child.on("close", resolve);
    });
    process.stdout.write(`${performance.now() - started}\n`);
}
