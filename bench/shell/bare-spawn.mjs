// Baseline for run_command: spawn argv[3..] `samples` times from a minimal Node process and print
// each duration (ms) as a JSON array. Pipes on stdout/stderr, like run_command, so the cost compares.
import { spawn } from "node:child_process";

const [samples, command, ...args] = process.argv.slice(2);
const once = () =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", reject);
    child.on("close", resolve);
  });
for (let i = 0; i < 30; i++) await once();
const timings = [];
for (let i = 0; i < Number(samples); i++) {
  const started = performance.now();
  await once();
  timings.push(performance.now() - started);
}
process.stdout.write(JSON.stringify(timings));
