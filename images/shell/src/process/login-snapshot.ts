import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { log } from "../log.js";

/**
 * What a login shell sets up (`bash -l`: /etc/profile, then ~/.bash_profile, ~/.bash_login or
 * ~/.profile, and whatever they source), captured once and replayed for every run_command call, so
 * that a home with pyenv's or nvm's init does not cost its ~100 ms and ~80 processes on every call.
 *
 * The capture runs the real login shell (`bash -l -x`) and then dumps, from inside it: the exported
 * environment (`env -0`, applied by Node when spawning), and a script for BASH_ENV with the shell
 * state a command can use: functions, aliases, shell options, umask and the non-exported variables the
 * login files set (e.g. nvm's NVM_CD_FLAGS). Functions are loaded lazily: the script defines a one-line
 * stub per function that sources the function's definition on its first call and calls it, because
 * parsing every definition on every call was most of the cost (nvm.sh defines ~150 functions, ~4,000
 * lines: 25 ms per call here). Each command then runs as `bash -c` with that environment
 * and BASH_ENV pointing at the script, which restores the agent's own BASH_ENV (or unsets it) so that
 * scripts the command runs do not load it again.
 *
 * Refresh: the startup files, the folder /etc/profile.d, and every file the login files sourced (from
 * the capture's xtrace: `. FILE` / `source FILE`) are fingerprinted (inode, size, mtime) and compared
 * before each call; any change captures again. When the capture fails (a login file exits, hangs past
 * CAPTURE_TIMEOUT_MS, …) commands fall back to `bash -lc`, the behaviour before snapshots.
 */
const CAPTURE_TIMEOUT_MS = 30_000;
// After a failed capture, commands use `bash -lc` until a startup file changes or this long has passed.
const RETRY_FAILED_CAPTURE_MS = 60_000;

// Bash writes `set -x` traces to this descriptor when BASH_XTRACEFD names it (PS4 from the environment
// is ignored for root, so the trace keeps the default `+ ` prefix).
const TRACE_FD = 3;

/** Runs inside the login shell after the login files: writes state.sh and env into the folder "$1". */
const DUMP_SCRIPT = [
    "set +x",
    "exec 3>&-",
    "{",
    "    umask -p",
    "    shopt -p",
    "    set +o",
    "    alias -p",
    "    __index=0",
    "    while read -r _ __attributes __name; do",
    '        case "$__attributes" in *x*) continue ;; esac',
    "        __index=$((__index + 1))",
    '        declare -f "$__name" > "$1/functions/$__index"',
    '        printf \'%s() { . %q; %s "$@"; }\\n\' "$__name" "$1/functions/$__index" "$__name"',
    "    done < <(declare -F)",
    "    __pristine=\" $(env -i bash --noprofile --norc -c 'compgen -v' | tr '\\n' ' ') \"",
    "    for __name in $(compgen -v); do",
    '        case "$__pristine" in *" $__name "*) continue ;; esac',
    '        case "$__name" in __name | __pristine | __index | __attributes) continue ;; esac',
    '        case "${!__name@a}" in *x* | *r*) continue ;; esac',
    '        declare -p "$__name"',
    "    done",
    "    if [[ -v BASH_ENV ]]; then printf 'export BASH_ENV=%q\\n' \"$BASH_ENV\"; else echo 'unset BASH_ENV'; fi",
    '} > "$1/state.sh"',
    'env -0 > "$1/env"',
].join("\n");

// Exported variables that belong to each shell, not to the snapshot; bash sets them anew.
const PER_SHELL_VARIABLES = new Set(["_", "PWD", "OLDPWD", "SHLVL", "BASH_XTRACEFD", "BASH_ENV"]);

export interface ShellLaunch {
    argv: string[];
    env: NodeJS.ProcessEnv;
}

interface Snapshot {
    env: NodeJS.ProcessEnv;
    script: string;
    fingerprint: string;
    watched: string[];
}

export class LoginSnapshot {
    private snapshot: Snapshot | undefined;
    private failedAt: { fingerprint: string; time: number } | undefined;
    private capturing: Promise<void> | undefined;
    private folder: string | undefined;
    private generation = 0;

    /** `baseEnv`: the environment the login shell starts from (the server's, plus fixed defaults). */
    constructor(
        private readonly baseEnv: NodeJS.ProcessEnv,
        private readonly home: string,
        private readonly cwd: string,
    ) {}

    /**
     * How to run `command`: `bash -c` in the snapshot, or `bash -lc` when there is none. `extra` (the
     * call's own variables) wins over what the login files set. A call that sets HOME or BASH_ENV gets
     * a real login shell, since the snapshot was taken with the server's.
     */
    async launch(command: string, extra: Record<string, string>): Promise<ShellLaunch> {
        if (!("HOME" in extra) && !("BASH_ENV" in extra)) {
            const snapshot = await this.current();
            if (snapshot)
                return { argv: ["bash", "-c", command], env: { ...snapshot.env, ...extra, BASH_ENV: snapshot.script } };
        }
        return { argv: ["bash", "-lc", command], env: { ...this.baseEnv, ...extra } };
    }

    /** Captures ahead of the first call (server startup), so that call does not wait for the login files. */
    warm(): void {
        void this.current();
    }

    private async current(): Promise<Snapshot | undefined> {
        if (this.snapshot && (await this.fingerprint(this.snapshot.watched)) === this.snapshot.fingerprint) {
            return this.snapshot;
        }
        if (this.failedAt) {
            const now = await this.fingerprint([]);
            if (now === this.failedAt.fingerprint && Date.now() - this.failedAt.time < RETRY_FAILED_CAPTURE_MS) {
                return undefined;
            }
        }
        // Concurrent calls share one capture.
        this.capturing ??= this.capture().finally(() => {
            this.capturing = undefined;
        });
        await this.capturing;
        return this.snapshot;
    }

    private startupFiles(): string[] {
        return [
            "/etc/profile",
            "/etc/profile.d",
            path.join(this.home, ".bash_profile"),
            path.join(this.home, ".bash_login"),
            path.join(this.home, ".profile"),
            path.join(this.home, ".bashrc"),
        ];
    }

    private async fingerprint(sourced: string[]): Promise<string> {
        const files = [...new Set([...this.startupFiles(), ...sourced])];
        const parts = await Promise.all(
            files.map((file) =>
                stat(file).then(
                    (info) => `${file}:${info.ino}:${info.size}:${info.mtimeMs}`,
                    () => `${file}:-`,
                ),
            ),
        );
        return parts.join("\n");
    }

    private async capture(): Promise<void> {
        const before = await this.fingerprint([]);
        let folder: string | undefined;
        try {
            // A temporary folder that cannot be made (full or read-only /tmp) is one more failed capture.
            if (!this.folder) {
                const created = await mkdtemp(path.join(os.tmpdir(), "shell-login-snapshot-"));
                this.folder = created;
                // However the server ends (SIGTERM, stdin closed in --stdio mode, a fatal error), not SIGKILL.
                process.once("exit", () => rmSync(created, { recursive: true, force: true }));
            }
            folder = path.join(this.folder, String(++this.generation));
            await rm(folder, { recursive: true, force: true });
            await mkdir(path.join(folder, "functions"), { recursive: true, mode: 0o700 });
            const trace = await runLoginShell(folder, { ...this.baseEnv, BASH_XTRACEFD: String(TRACE_FD) }, this.cwd);
            const env = parseEnvironment(await readFile(path.join(folder, "env")));
            const state = await readFile(path.join(folder, "state.sh"), "utf8");
            const script = path.join(folder, "bash-env.sh");
            await writeFile(script, stateScript(state), { mode: 0o600 });
            const watched = await sourcedFiles(trace);
            const previous = this.snapshot;
            this.snapshot = { env, script, watched, fingerprint: await this.fingerprint(watched) };
            this.failedAt = undefined;
            // The generation before the previous one goes: a command still running from the previous
            // snapshot may yet load one of its functions.
            if (previous)
                await rm(path.join(this.folder, String(this.generation - 2)), { recursive: true, force: true });
            log("info", "login_snapshot", { variables: Object.keys(env).length, watched_files: watched.length });
        } catch (error) {
            this.snapshot = undefined;
            this.failedAt = { fingerprint: before, time: Date.now() };
            if (folder) await rm(folder, { recursive: true, force: true });
            log("warn", "login_snapshot_failed", {
                error: (error as Error).message,
                consequence: "run_command runs the login files on every call (bash -lc)",
            });
        }
    }
}

/** Runs `bash -l -x -c DUMP folder`, returning its xtrace; rejects unless the dump completed. */
function runLoginShell(folder: string, env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["-l", "-x", "-c", DUMP_SCRIPT, "login-snapshot", folder], {
            cwd,
            env,
            detached: true,
            stdio: ["ignore", "ignore", "ignore", "pipe"],
        });
        const chunks: Buffer[] = [];
        child.stdio[TRACE_FD]!.on("data", (chunk: Buffer) => chunks.push(chunk));
        const timer = setTimeout(() => {
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                // gone
            }
        }, CAPTURE_TIMEOUT_MS);
        child.once("error", (error) => {
            clearTimeout(timer);
            reject(error);
        });
        child.once("close", (code, signal) => {
            clearTimeout(timer);
            if (code === 0) resolve(Buffer.concat(chunks).toString("utf8"));
            else
                reject(
                    new Error(`the login shell ended with ${signal ?? `exit code ${code}`} before its state was read`),
                );
        });
    });
}

function parseEnvironment(bytes: Buffer): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const entry of bytes.toString("utf8").split("\0")) {
        const equals = entry.indexOf("=");
        if (equals <= 0) continue;
        const name = entry.slice(0, equals);
        if (!PER_SHELL_VARIABLES.has(name)) env[name] = entry.slice(equals + 1);
    }
    return env;
}

/** The BASH_ENV script: the dumped state, quiet (a line bash refuses must not show in every command's stderr). */
function stateScript(state: string): string {
    const lines = state.split("\n").filter((line) => !/^shopt -[su] login_shell$/.test(line));
    return `{\n${lines.join("\n")}\n} 2>/dev/null\n`;
}

/** Regular files the login files sourced, from `+ . FILE` / `+ source FILE` lines of the xtrace. */
async function sourcedFiles(trace: string): Promise<string[]> {
    const files = new Set<string>();
    for (const match of trace.matchAll(/^\++ (?:\.|source) ('(?:[^']|'\\'')*'|\S+)/gm)) {
        let file = match[1];
        if (file.startsWith("'")) file = file.slice(1, -1).replaceAll("'\\''", "'");
        if (path.isAbsolute(file)) files.add(file);
    }
    const regular = await Promise.all(
        [...files].map((file) =>
            stat(file).then(
                (info) => (info.isFile() && !file.startsWith("/proc/") && !file.startsWith("/dev/") ? file : undefined),
                () => undefined,
            ),
        ),
    );
    return regular.filter((file): file is string => file !== undefined);
}
