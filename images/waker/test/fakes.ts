/** A computer's Deployment as the API server would keep it, and a recorder of the waker's events. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ComputerApi, ComputerStatus } from "../src/cluster.js";
import type { Activity, WakeEvents } from "../src/computer.js";

export class FakeDeployment implements ComputerApi {
    replicas: number;
    ready: number;
    suspendedByOperator = false;
    tokenValue = "token-1";
    scaleCalls: number[] = [];
    marks: string[] = [];
    /** The sleep-state annotation, as the last mark left it. */
    sleepState: string | undefined;
    /** The discovery annotation, as the waker saved it. */
    discovery: string | undefined;
    /** How long a pod takes to become Ready after a scale to 1 (never: Infinity). */
    startMs = 30;

    constructor(awake: boolean) {
        this.replicas = awake ? 1 : 0;
        this.ready = awake ? 1 : 0;
    }

    async status(): Promise<ComputerStatus> {
        return {
            replicas: this.replicas,
            ready: this.ready,
            suspendedByOperator: this.suspendedByOperator,
            ...(this.sleepState === undefined ? {} : { sleepState: this.sleepState }),
            ...(this.discovery === undefined ? {} : { discovery: this.discovery }),
        };
    }

    async scale(replicas: 0 | 1): Promise<void> {
        this.scaleCalls.push(replicas);
        this.replicas = replicas;
        if (replicas === 0) {
            this.ready = 0;
        } else if (Number.isFinite(this.startMs)) {
            setTimeout(() => {
                if (this.replicas === 1) this.ready = 1;
            }, this.startMs);
        }
    }

    async markSleepState(state: "awake" | "asleep"): Promise<void> {
        this.marks.push(state);
        this.sleepState = state;
    }

    async saveDiscovery(text: string): Promise<void> {
        this.discovery = text;
    }

    async token(): Promise<string> {
        return this.tokenValue;
    }
}

export class FakeActivity implements Activity {
    jobs: number | Error = 0;
    viewers: number | Error = 0;
    async viewersConnected(): Promise<number> {
        if (this.viewers instanceof Error) throw this.viewers;
        return this.viewers;
    }
    servingAnswer = true;
    async jobsRunning(): Promise<number> {
        if (this.jobs instanceof Error) throw this.jobs;
        return this.jobs;
    }
    async serving(): Promise<boolean> {
        return this.servingAnswer;
    }
}

export class RecordedEvents implements WakeEvents {
    lines: string[] = [];
    woke(agent: string): void {
        this.lines.push(`woke ${agent}`);
    }
    wakeFailed(agent: string, reason: string): void {
        this.lines.push(`failed ${agent} ${reason}`);
    }
    slept(agent: string): void {
        this.lines.push(`slept ${agent}`);
    }
    sleeping(agent: string, asleep: boolean): void {
        this.lines.push(`asleep ${agent} ${asleep}`);
    }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a test server on an ephemeral loopback port; its base URL. */
export function listen(server: Server): Promise<string> {
    return new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
    );
}
