/** The waker's Prometheus metrics (names are a contract with monitoring/rules: AgentWakeTimeouts). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { WakeEvents } from "./computer.js";

export class WakerMetrics implements WakeEvents {
    readonly registry = new Registry();
    private readonly asleep: Gauge<"agent">;
    private readonly wakes: Counter<"agent">;
    private readonly failures: Counter<"agent" | "reason">;
    private readonly wakeSeconds: Histogram<"agent">;
    private readonly sleeps: Counter<"agent">;

    constructor(agents: string[]) {
        const registers = [this.registry];
        this.asleep = new Gauge({
            name: "waker_computer_asleep",
            help: "1 while the agent's computer sleeps (scaled to zero by the waker), 0 while it runs.",
            labelNames: ["agent"],
            registers,
        });
        this.wakes = new Counter({
            name: "waker_wakes_total",
            help: "Computers woken by a request.",
            labelNames: ["agent"],
            registers,
        });
        this.failures = new Counter({
            name: "waker_wake_failures_total",
            help: "Wakes that failed: timeout (not ready within wakeTimeout) or error (the API server refused).",
            labelNames: ["agent", "reason"],
            registers,
        });
        this.wakeSeconds = new Histogram({
            name: "waker_wake_duration_seconds",
            help: "From the request that found the computer asleep to its servers answering.",
            labelNames: ["agent"],
            buckets: [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120],
            registers,
        });
        this.sleeps = new Counter({
            name: "waker_sleeps_total",
            help: "Computers put to sleep after idling.",
            labelNames: ["agent"],
            registers,
        });
        for (const agent of agents) {
            this.wakes.inc({ agent }, 0);
            this.sleeps.inc({ agent }, 0);
            for (const reason of ["timeout", "error"]) {
                this.failures.inc({ agent, reason }, 0);
            }
        }
        collectDefaultMetrics({ register: this.registry });
    }

    woke(agent: string, seconds: number): void {
        this.wakes.inc({ agent });
        this.wakeSeconds.observe({ agent }, seconds);
    }

    wakeFailed(agent: string, reason: "timeout" | "error"): void {
        this.failures.inc({ agent, reason });
    }

    slept(agent: string): void {
        this.sleeps.inc({ agent });
    }

    sleeping(agent: string, asleep: boolean): void {
        this.asleep.set({ agent }, asleep ? 1 : 0);
    }
}
