/**
 * What the running computer says about its own work, asked over the pod network: the shell server's
 * `shell_jobs_running` gauge (its metrics port, docs/pod-contract.md), the browser view's connected viewers
 * (`/activity`), and each server's health path
 * through the Service (the first request after a wake must not meet a Service that has no endpoint yet).
 */
import type { Activity } from "./computer.js";
import type { AgentRoute } from "./routes.js";

const PROBE_TIMEOUT_MS = 2000;

/** The value of one unlabelled gauge in Prometheus' text format, or undefined when absent. */
export function gaugeValue(exposition: string, name: string): number | undefined {
    for (const line of exposition.split("\n")) {
        const [metric, value] = line.trim().split(/\s+/);
        if (metric === name && value !== undefined) {
            const number = Number(value);
            return Number.isFinite(number) ? number : undefined;
        }
    }
    return undefined;
}

export function activityOf(route: AgentRoute, fetcher: typeof fetch = fetch): Activity {
    const get = (url: string) => fetcher(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return {
        async jobsRunning() {
            const response = await get(route.jobsMetricsUrl);
            if (!response.ok) {
                throw new Error(`${route.jobsMetricsUrl} answered ${response.status}`);
            }
            const jobs = gaugeValue(await response.text(), "shell_jobs_running");
            if (jobs === undefined) {
                throw new Error(`${route.jobsMetricsUrl} has no shell_jobs_running`);
            }
            return jobs;
        },
        async viewersConnected() {
            if (route.view === undefined) {
                return 0;
            }
            const viewersUrl = `${route.view.url}/activity`;
            const response = await get(viewersUrl);
            if (!response.ok) {
                throw new Error(`${viewersUrl} answered ${response.status}`);
            }
            const { viewers } = (await response.json()) as { viewers?: unknown };
            if (typeof viewers !== "number") {
                throw new Error(`${viewersUrl} has no viewers count`);
            }
            return viewers;
        },
        async serving() {
            const servers = Object.values(route.servers);
            const answers = await Promise.all(
                servers.map((server) =>
                    get(`${server.url}${server.health}`).then(
                        (response) => response.ok,
                        () => false,
                    ),
                ),
            );
            return answers.every(Boolean);
        },
    };
}
