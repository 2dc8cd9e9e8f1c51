/**
 * One agent's computer: when it is idle (no call in flight or for idleAfter, no running job, no viewer) it sleeps (replicas 0), and the next request wakes it (replicas 1)
 * and waits until it is ready. Every transition of one computer runs after the previous one (a queue of
 * one), so concurrent calls during a wake wait for that same wake, and a call that arrives while the
 * computer is going to sleep wakes it right after. Nothing here is kept that the cluster does not also
 * have: a restarted waker reads the replicas back, and waking an awake computer does nothing.
 */
import type { ComputerApi, ComputerStatus } from "./cluster.js";

export interface ComputerPolicy {
    agent: string;
    idleAfterMs: number;
    wakeTimeoutMs: number;
}

/** What the computer itself says about work in progress (probed only while it runs). */
export interface Activity {
    /** Background jobs of the shell server running now; throws when the server cannot be asked. */
    jobsRunning(): Promise<number>;
    /** Viewers connected to the browser view (0 without one); throws when it cannot be asked. */
    viewersConnected(): Promise<number>;
    /** True once the server answers through its Service (after the pod is Ready, kube-proxy may lag). */
    serving(): Promise<boolean>;
}

export interface WakeEvents {
    woke(agent: string, seconds: number): void;
    wakeFailed(agent: string, reason: "timeout" | "error"): void;
    slept(agent: string): void;
    sleeping(agent: string, asleep: boolean): void;
}

export class SuspendedByOperator extends Error {
    constructor(agent: string) {
        super(
            `agent ${agent} is suspended by its operator (agents[].suspended: true in the stack's config); ` +
                "set it to false and run pulumi up to bring its computer back",
        );
    }
}

export class WakeTimeout extends Error {}

const POLL_MS = 250;

export class Computer {
    private lastActivity: number;
    private inFlight = 0;
    private viewers = 0;
    private transitions: Promise<unknown> = Promise.resolve();
    private pendingWake: Promise<void> | undefined;
    /** As last seen or made by this waker (refresh() reads it back); discovery is answered from memory while true. */
    private sleepingNow = false;
    /**
     * The servers have answered through the Service since the pod last started, as far as this waker knows.
     * False until checked: a pod made Ready by someone else (a person's `kubectl scale`, a restarted pod,
     * this waker's own restart) may not be routed to yet, and its first call would meet a 502.
     */
    private servingSeen = false;

    constructor(
        readonly policy: ComputerPolicy,
        private readonly api: ComputerApi,
        private readonly activity: Activity,
        private readonly events: WakeEvents,
        private readonly now: () => number = Date.now,
        private readonly sleepMs: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    ) {
        // After a restart of the waker nothing is known of the last call: count from now (never a sleep
        // that the restart alone caused).
        this.lastActivity = now();
    }

    get asleep(): boolean {
        return this.sleepingNow;
    }

    /** A request is being served: the computer is busy until `done` is called. */
    begin(): () => void {
        this.inFlight++;
        this.lastActivity = this.now();
        let ended = false;
        return () => {
            if (!ended) {
                ended = true;
                this.inFlight--;
                this.lastActivity = this.now();
            }
        };
    }

    /** A browser viewer connected (through the waker); the returned function on its disconnect. */
    viewerConnected(): () => void {
        this.viewers++;
        const done = this.begin();
        let ended = false;
        return () => {
            if (!ended) {
                ended = true;
                this.viewers--;
                done();
            }
        };
    }

    /** Resolves once the computer is ready; every caller during one wake shares it. */
    awake(): Promise<void> {
        this.pendingWake ??= this.enqueue(() => this.wake()).finally(() => {
            this.pendingWake = undefined;
        });
        return this.pendingWake;
    }

    /** Puts the computer to sleep when it has been idle long enough; true when it did. */
    sleepIfIdle(): Promise<boolean> {
        if (!this.idleLongEnough()) {
            return Promise.resolve(false);
        }
        return this.enqueue(async () => {
            const status = await this.api.status();
            if (status.replicas === 0 || !this.idleLongEnough()) {
                return false;
            }
            let jobs: number;
            let watchers: number;
            try {
                [jobs, watchers] = await Promise.all([this.activity.jobsRunning(), this.activity.viewersConnected()]);
            } catch {
                // A shell that cannot say whether a build runs keeps its computer awake: asleep it could
                // lose the build, awake it only costs its requests. So does a browser view that cannot say.
                return false;
            }
            if (jobs > 0 || watchers > 0) {
                this.lastActivity = this.now();
                return false;
            }
            if (!this.idleLongEnough()) {
                return false; // a request arrived while the jobs were asked
            }
            await this.api.scale(0);
            this.sleepingNow = true;
            this.servingSeen = false;
            await this.api.markSleepState("asleep", new Date(this.now()));
            this.events.slept(this.policy.agent);
            this.events.sleeping(this.policy.agent, true);
            return true;
        });
    }

    /** Reads the computer's state back (at start and after a restart): the sleeping gauge follows it. */
    async refresh(): Promise<ComputerStatus> {
        const status = await this.api.status();
        this.sleepingNow = status.replicas === 0;
        this.servingSeen &&= !this.sleepingNow && status.ready >= 1;
        this.events.sleeping(this.policy.agent, this.sleepingNow);
        return status;
    }

    /** A request could not reach the servers: the next one checks they answer before it is sent on. */
    unreachable(): void {
        this.servingSeen = false;
    }

    private idleLongEnough(): boolean {
        return this.inFlight === 0 && this.viewers === 0 && this.now() - this.lastActivity >= this.policy.idleAfterMs;
    }

    private async wake(): Promise<void> {
        const started = this.now();
        const deadline = started + this.policy.wakeTimeoutMs;
        const status = await this.api.status();
        if (status.suspendedByOperator) {
            throw new SuspendedByOperator(this.policy.agent);
        }
        if (status.replicas >= 1 && status.sleepState === "asleep") {
            // Scaled up by a waker that died before marking it (or by a person's kubectl scale): say it runs.
            await this.api.markSleepState("awake", new Date(started));
        }
        if (status.replicas >= 1 && status.ready >= 1 && this.servingSeen) {
            this.sleepingNow = false;
            return; // awake: the common case, one GET
        }
        const alreadyUp = status.replicas >= 1 && status.ready >= 1;
        try {
            if (status.replicas === 0) {
                await this.api.scale(1);
                await this.api.markSleepState("awake", new Date(started));
                this.events.sleeping(this.policy.agent, false);
            }
            await this.until(deadline, async () => (await this.api.status()).ready >= 1, "its pod to be Ready");
            await this.until(deadline, () => this.activity.serving(), "its servers to answer through the Service");
        } catch (error) {
            this.events.wakeFailed(this.policy.agent, error instanceof WakeTimeout ? "timeout" : "error");
            throw error;
        }
        this.servingSeen = true;
        this.sleepingNow = false;
        if (alreadyUp) {
            return; // up already: only checked, not a wake of this waker's (no wake counted)
        }
        this.lastActivity = this.now();
        this.events.woke(this.policy.agent, (this.now() - started) / 1000);
    }

    private async until(deadline: number, check: () => Promise<boolean>, what: string): Promise<void> {
        for (;;) {
            if (await check().catch(() => false)) {
                return;
            }
            if (this.now() >= deadline) {
                throw new WakeTimeout(
                    `agent ${this.policy.agent}'s computer did not wake within ${this.policy.wakeTimeoutMs / 1000} s ` +
                        `(waiting for ${what}); see kubectl -n <its namespace> describe deployment and its pod's events`,
                );
            }
            await this.sleepMs(POLL_MS);
        }
    }

    private enqueue<T>(transition: () => Promise<T>): Promise<T> {
        // The chain itself never rejects (a failed wake fails its callers, not the next transition).
        const next = this.transitions.then(transition);
        this.transitions = next.catch(() => undefined);
        return next;
    }
}

/**
 * Wakes the computer for a request: undefined once it is ready, else what to tell the caller (an operator's
 * suspend and a timeout say it themselves; any other failure is logged too, as `waking <what> failed`).
 */
export async function wakeOrExplain(
    computer: Computer,
    log: (line: string) => void,
    what: string,
): Promise<string | undefined> {
    try {
        await computer.awake();
        return undefined;
    } catch (error) {
        if (!(error instanceof SuspendedByOperator || error instanceof WakeTimeout)) {
            log(`waker: waking ${what} failed: ${(error as Error).message}`);
        }
        return (error as Error).message;
    }
}
