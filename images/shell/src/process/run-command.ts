import { spawn, type ChildProcess } from "node:child_process";
import { CappedOutput } from "./capped-output.js";
import type { ShellLaunch } from "./login-snapshot.js";

export interface CommandRequest {
    /** The shell and its environment (LoginSnapshot.launch). */
    launch: ShellLaunch;
    cwd: string;
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

/**
 * Signals the whole process group of our own child, so processes the command started go too. Only
 * while the child has not been reaped: after that its pid (and group id) may belong to another process.
 */
function killChildGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.pid <= 1 || child.exitCode !== null || child.signalCode !== null) return;
    try {
        process.kill(-child.pid, signal);
    } catch {
        // Already gone.
    }
}

export function runCommand(request: CommandRequest): Promise<CommandOutcome> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
        // detached: the command leads its own process group (and has no controlling terminal).
        const [file, ...args] = request.launch.argv;
        const child = spawn(file, args, {
            cwd: request.cwd,
            env: request.launch.env,
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
            killChildGroup(child, "SIGKILL");
        }, request.timeoutMs);

        let settled = false;
        const finish = (code: number | null, signal: NodeJS.Signals | null) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            child.stdout.destroy();
            child.stderr.destroy();
            const out = stdout.render();
            const err = stderr.render();
            resolve({
                exit_code: code,
                signal,
                stdout: out.text,
                stderr: err.text,
                stdout_bytes: stdout.total,
                stderr_bytes: stderr.total,
                truncated: out.truncated || err.truncated,
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
