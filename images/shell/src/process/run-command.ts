import { spawn } from "node:child_process";
import { CappedOutput } from "./capped-output.js";

export interface CommandRequest {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  outputCapBytes: number;
}

export interface CommandOutcome {
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdout_bytes: number;
  stderr_bytes: number;
  truncated: boolean;
  timed_out: boolean;
  duration_ms: number;
}

// After the shell exits, a background child (`cmd &`) may still hold the pipes open. Waiting for
// it would hang the call until the timeout, so output is collected for this long and then cut.
const PIPE_DRAIN_GRACE_MS = 300;

/** Environment every command and job starts from: the server's own plus agent-friendly defaults. */
export function commandEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  // No one can answer an interactive prompt: make git fail fast instead of waiting for a TTY.
  return { ...process.env, GIT_TERMINAL_PROMPT: "0", ...extra };
}

/** Signals the whole process group, so children started by the command go too. */
export function killProcessGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function runCommand(request: CommandRequest): Promise<CommandOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // detached: the command leads its own process group (and has no controlling terminal).
    const child = spawn("bash", ["-lc", request.command], {
      cwd: request.cwd,
      env: commandEnvironment(request.env),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout = new CappedOutput(request.outputCapBytes);
    const stderr = new CappedOutput(request.outputCapBytes);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killProcessGroup(child.pid, "SIGKILL");
    }, request.timeoutMs);

    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({
        exit_code: code,
        signal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        stdout_bytes: stdout.total,
        stderr_bytes: stderr.total,
        truncated: stdout.truncated || stderr.truncated,
        timed_out: timedOut,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      });
    };

    child.on("error", (error) => {
      clearTimeout(timer);
      settled = true;
      reject(error);
    });
    child.on("close", (code, signal) => finish(code, signal));
    child.on("exit", (code, signal) => {
      setTimeout(() => finish(code, signal), PIPE_DRAIN_GRACE_MS).unref();
    });
  });
}
