import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

// Names and labels are a contract with the alert rules and dashboards (docs/pod-contract.md).
const SERVER = "shell";
const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];

export interface JobsGauge {
    /** Start times (ms since the epoch) of the jobs running now. */
    runningStartTimes(): number[];
}

/** The server's Prometheus metrics. Labels carry tool names and outcomes only, never arguments. */
export class Metrics {
    readonly registry = new Registry();
    private readonly calls: Counter<"server" | "tool" | "outcome">;
    private readonly durations: Histogram<"server" | "tool">;
    private readonly inFlight: Gauge<"server">;
    private readonly authFailures: Counter<"server">;

    constructor(jobs: JobsGauge) {
        const registers = [this.registry];
        this.calls = new Counter({
            name: "mcp_tool_calls_total",
            help: "Tool calls finished, by tool and outcome (ok or error).",
            labelNames: ["server", "tool", "outcome"],
            registers,
        });
        this.durations = new Histogram({
            name: "mcp_tool_call_duration_seconds",
            help: "Tool call duration in seconds.",
            labelNames: ["server", "tool"],
            buckets: DURATION_BUCKETS_SECONDS,
            registers,
        });
        this.inFlight = new Gauge({
            name: "mcp_tool_calls_in_flight",
            help: "Tool calls running now.",
            labelNames: ["server"],
            registers,
        });
        this.inFlight.set({ server: SERVER }, 0);
        this.authFailures = new Counter({
            name: "mcp_auth_failures_total",
            help: "Requests refused with 401.",
            labelNames: ["server"],
            registers,
        });
        this.authFailures.inc({ server: SERVER }, 0);
        new Gauge({
            name: "shell_jobs_running",
            help: "Background jobs running now.",
            registers,
            collect() {
                this.set(jobs.runningStartTimes().length);
            },
        });
        new Gauge({
            name: "shell_job_oldest_running_seconds",
            help: "Age in seconds of the oldest running background job (0 when none runs).",
            registers,
            collect() {
                const starts = jobs.runningStartTimes();
                this.set(starts.length ? (Date.now() - starts.reduce((a, b) => Math.min(a, b))) / 1000 : 0);
            },
        });
        // Process metrics (memory, CPU, event loop lag) from the same maintained client.
        collectDefaultMetrics({ register: this.registry });
    }

    toolCallStarted(): void {
        this.inFlight.inc({ server: SERVER });
    }

    toolCallFinished(tool: string, outcome: "ok" | "error", seconds: number): void {
        this.inFlight.dec({ server: SERVER });
        this.calls.inc({ server: SERVER, tool, outcome });
        this.durations.observe({ server: SERVER, tool }, seconds);
    }

    authFailed(): void {
        this.authFailures.inc({ server: SERVER });
    }
}
