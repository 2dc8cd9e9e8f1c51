/** Settings from the environment (docs/pod-contract.md); every problem names the variable and the fix. */
export interface Config {
    /** The agent's name: part of the session cookie's name (one cookie per agent). */
    agentName: string;
    host: string;
    port: number;
    vncHost: string;
    vncPort: number;
    vncPasswordFile: string;
    tokenFile: string;
    modeFile: string | undefined;
    sessionTtlSeconds: number;
    /** A session without a person's activity for this long ends (the page reports activity). */
    sessionIdleSeconds: number;
    maxViewers: number;
    /** A viewer that answers no WebSocket ping for two intervals is closed. */
    viewerPingSeconds: number;
    /** Connections that have not proven a session or the token: how many at most, and for how long. */
    maxUnauthenticated: number;
    unauthenticatedSeconds: number;
    /** The desktop recording (docs/architecture.md, "Desktop recording"); absent: nothing is recorded. */
    recording: RecordingConfig | undefined;
    /** The audit trail's folder (JSON lines of both MCP servers), read by the replay page. */
    auditDir: string | undefined;
}

export interface RecordingConfig {
    dir: string;
    fps: number;
    segmentSeconds: number;
    maxAgeSeconds: number;
    maxBytes: number;
    /** Record while a person has taken over (interactive mode with a viewer connected): off by default. */
    duringTakeover: boolean;
}

export class ConfigError extends Error {}

export function configFromEnv(env: NodeJS.ProcessEnv): Config {
    return {
        agentName: agentName(env),
        host: env.HOST || "0.0.0.0",
        port: integer(env, "PORT", 6080, 0, 65535),
        vncHost: env.VNC_HOST || "127.0.0.1",
        vncPort: integer(env, "VNC_PORT", 5900, 1, 65535),
        vncPasswordFile: required(
            env,
            "VNC_PASSWORD_FILE",
            "the file holding the desktop's VNC password (Secret key vnc-password)",
        ),
        tokenFile: required(
            env,
            "BROWSER_VIEW_TOKEN_FILE",
            "the file holding this agent's browser-view token (Secret key browser-view-token)",
        ),
        modeFile: env.BROWSER_VIEW_MODE_FILE || undefined,
        sessionTtlSeconds: integer(env, "SESSION_TTL_SECONDS", 8 * 3600, 1, 30 * 24 * 3600),
        sessionIdleSeconds: integer(env, "SESSION_IDLE_SECONDS", 30 * 60, 1, 30 * 24 * 3600),
        maxViewers: integer(env, "MAX_VIEWERS", 8, 1, 1000),
        viewerPingSeconds: integer(env, "VIEWER_PING_SECONDS", 15, 1, 3600),
        maxUnauthenticated: integer(env, "MAX_UNAUTHENTICATED_CONNECTIONS", 32, 1, 10_000),
        unauthenticatedSeconds: integer(env, "UNAUTHENTICATED_TIMEOUT_SECONDS", 20, 1, 3600),
        recording: env.RECORDING_DIR
            ? {
                  dir: env.RECORDING_DIR,
                  fps: integer(env, "RECORDING_FPS", 5, 1, 30),
                  segmentSeconds: integer(env, "RECORDING_SEGMENT_SECONDS", 120, 5, 3600),
                  maxAgeSeconds: integer(env, "RECORDING_MAX_AGE_SECONDS", 14 * 86_400, 60, 3650 * 86_400),
                  maxBytes: integer(env, "RECORDING_MAX_BYTES", 1 << 30, 1 << 20, Number.MAX_SAFE_INTEGER),
                  duringTakeover: flag(env, "RECORDING_DURING_TAKEOVER"),
              }
            : undefined,
        auditDir: env.AUDIT_DIR || undefined,
    };
}

/** A DNS label, as the stack's agent names are: safe in a cookie name as it is. */
function agentName(env: NodeJS.ProcessEnv): string {
    const value = required(env, "AGENT_NAME", "the agent's name (the pod sets it)");
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) {
        throw new ConfigError(
            `AGENT_NAME=${JSON.stringify(value)} is not a DNS label (lowercase letters, digits, '-')`,
        );
    }
    return value;
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
    const value = env[name];
    if (!value) throw new ConfigError(`${name} is not set; point it at ${what}`);
    return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
    const raw = env[name];
    if (raw === undefined || raw === "" || raw === "false") return false;
    if (raw === "true") return true;
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not true or false`);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`);
    }
    return value;
}
