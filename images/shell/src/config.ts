import path from "node:path";

export interface Config {
    host: string;
    port: number;
    /** Port of the separate metrics listener (only `GET /metrics`, no auth; see docs/pod-contract.md). */
    metricsPort: number;
    workspaceDir: string;
    authTokenFile: string | undefined;
    allowUnauthenticated: boolean;
    transport: "http" | "stdio";
    /** Upper bound an agent may ask for in run_command's timeout_seconds. */
    maxCommandTimeoutSeconds: number;
    /** Bytes kept per output stream of run_command (half head, half tail). */
    outputCapBytes: number;
    /** Most time edit_file's worker thread may take before it is terminated and the call fails. */
    editTimeoutMs: number;
    audit: {
        /** Empty string: no audit file (AUDIT_DIR=""); events still go to the log. */
        dir: string;
        agent: string | undefined;
        maxFileBytes: number;
        maxRotatedFiles: number;
        maxAgeMs: number;
        /** Names of environment variables whose values are redacted wherever they appear. */
        redactEnv: string[];
    };
}

export class ConfigError extends Error {}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) {
        throw new ConfigError(`${name} must be a positive integer, got '${raw}'`);
    }
    return value;
}

/** A TCP port; 0 lets the kernel pick a free one (tests, benchmarks), and the "listening" log line says which. */
function portNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
    if (env[name] === "0") return 0;
    const port = positiveInteger(env, name, fallback);
    if (port > 65535) throw new ConfigError(`${name} must be at most 65535, got ${port}`);
    return port;
}

export function readConfig(env: NodeJS.ProcessEnv, argv: string[]): Config {
    const transport = argv.includes("--stdio") || env.MCP_TRANSPORT === "stdio" ? "stdio" : "http";
    const port = portNumber(env, "PORT", 8081);
    const metricsPort = portNumber(env, "METRICS_PORT", 9101);
    if (metricsPort === port && port !== 0)
        throw new ConfigError(`METRICS_PORT must differ from PORT (both are ${port})`);
    return {
        host: env.HOST || "0.0.0.0",
        port,
        metricsPort,
        workspaceDir: path.resolve(env.WORKSPACE_DIR || "/home/agent/workspace"),
        authTokenFile: env.MCP_AUTH_TOKEN_FILE || undefined,
        allowUnauthenticated: env.MCP_ALLOW_UNAUTHENTICATED === "1",
        transport,
        maxCommandTimeoutSeconds: positiveInteger(env, "MAX_COMMAND_TIMEOUT_SECONDS", 3600),
        outputCapBytes: positiveInteger(env, "OUTPUT_CAP_BYTES", 1024 * 1024),
        editTimeoutMs: positiveInteger(env, "EDIT_FILE_TIMEOUT_MS", 30_000),
        audit: {
            // The agent's config volume (/home/agent/.config); the replay page reads the same folder.
            dir: env.AUDIT_DIR ?? path.join(env.HOME || "/home/agent", ".config/persistent-agents/audit"),
            agent: env.AGENT_NAME || undefined,
            maxFileBytes: positiveInteger(env, "AUDIT_MAX_FILE_BYTES", 16 * 1024 * 1024),
            maxRotatedFiles: positiveInteger(env, "AUDIT_MAX_FILES", 8),
            maxAgeMs: positiveInteger(env, "AUDIT_MAX_AGE_DAYS", 30) * 86_400_000,
            redactEnv: (env.AUDIT_REDACT_ENV ?? "")
                .split(",")
                .map((name) => name.trim())
                .filter(Boolean),
        },
    };
}
