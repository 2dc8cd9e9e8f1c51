/** Settings from the environment (docs/pod-contract.md); every problem names the variable and the fix. */
export interface Config {
    host: string;
    port: number;
    vncHost: string;
    vncPort: number;
    vncPasswordFile: string;
    tokenFile: string;
    modeFile: string | undefined;
    sessionTtlSeconds: number;
    maxViewers: number;
}

export class ConfigError extends Error {}

export function configFromEnv(env: NodeJS.ProcessEnv): Config {
    return {
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
        maxViewers: integer(env, "MAX_VIEWERS", 8, 1, 1000),
    };
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
    const value = env[name];
    if (!value) throw new ConfigError(`${name} is not set; point it at ${what}`);
    return value;
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
