import type { MountedFile } from "./mountedFile.js";
import type { ViewMode } from "./rfbClientFilter.js";

const VIEW_MODES: readonly ViewMode[] = ["view-only", "interactive"];

/**
 * The viewing mode, read from a file mounted from a ConfigMap so that it switches without a restart.
 * Anything but the exact word `interactive` (a missing file, a typo) means view-only: the safe side.
 */
export class ModeFile {
    private mode: ViewMode = "view-only";
    private problem: string | undefined;
    private timer: NodeJS.Timeout | undefined;
    private readonly listeners = new Set<(mode: ViewMode) => void>();

    constructor(
        private readonly file: MountedFile | undefined,
        private readonly log: (event: object) => void,
    ) {}

    /** The mode as of the last refresh; synchronous because the RFB filter asks it once per message. */
    current(): ViewMode {
        return this.mode;
    }

    /** Called on every switch, after it applies; returns the unsubscribe function. */
    onChange(listener: (mode: ViewMode) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    async refresh(): Promise<ViewMode> {
        if (!this.file) return this.mode;
        let next: ViewMode = "view-only";
        let problem: string | undefined;
        try {
            const content = await this.file.read();
            if ((VIEW_MODES as readonly string[]).includes(content)) next = content as ViewMode;
            else
                problem = `mode file ${this.file.path} holds ${JSON.stringify(content.slice(0, 40))}; expected one of ${VIEW_MODES.join(", ")}; using view-only`;
        } catch (error) {
            problem = `cannot read mode file ${this.file.path} (${(error as Error).message}); using view-only`;
        }
        const changed = next !== this.mode;
        if (changed) this.log({ event: "mode", mode: next });
        if (problem && problem !== this.problem) this.log({ event: "mode-file-problem", problem });
        this.mode = next;
        this.problem = problem;
        if (changed) for (const listener of [...this.listeners]) listener(next);
        return next;
    }

    /** Polls the file; a ConfigMap update reaches the pod within the kubelet's sync period anyway. */
    watch(intervalMs: number): void {
        this.timer = setInterval(() => void this.refresh(), intervalMs);
        this.timer.unref();
    }

    stop(): void {
        clearInterval(this.timer);
    }
}
