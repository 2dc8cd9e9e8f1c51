import { spawn } from "node:child_process";
import type { TokenFile } from "../auth.js";

const REFRESH_MS = 1000;
const SPAWN_TIMEOUT_MS = 5000;

export interface HealthReport {
    healthy: boolean;
    /** Why not healthy, in general terms: never a tool, an argument or a path. */
    reason: string;
}

/** Healthy means the container can still fork and exec (no pid or memory exhaustion). */
function canSpawn(): Promise<boolean> {
    return new Promise((resolve) => {
        const child = spawn("true", { stdio: "ignore" });
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            resolve(false);
        }, SPAWN_TIMEOUT_MS);
        child.on("error", () => {
            clearTimeout(timer);
            resolve(false);
        });
        child.on("exit", (code) => {
            clearTimeout(timer);
            resolve(code === 0);
        });
    });
}

/**
 * What /healthz answers, checked at most once a second however many probes arrive (unauthenticated
 * callers must not be able to make the server fork at will). Concurrent probes share one check.
 */
export class HealthState {
    private report: HealthReport | undefined;
    private checkedAt = 0;
    private checking: Promise<HealthReport> | undefined;

    constructor(private readonly tokenFile: TokenFile | undefined) {}

    async current(): Promise<HealthReport> {
        if (this.report && Date.now() - this.checkedAt < REFRESH_MS) return this.report;
        this.checking ??= this.check().finally(() => {
            this.checking = undefined;
        });
        return this.checking;
    }

    private async check(): Promise<HealthReport> {
        const [spawns, tokenUsable] = await Promise.all([canSpawn(), this.tokenFile ? this.tokenFile.usable() : true]);
        const report = !tokenUsable
            ? { healthy: false, reason: "token file missing or empty" }
            : !spawns
              ? { healthy: false, reason: "cannot spawn processes" }
              : { healthy: true, reason: "" };
        this.report = report;
        this.checkedAt = Date.now();
        return report;
    }
}
