import assert from "node:assert/strict";
import { test } from "node:test";
import { activityOf, gaugeValue } from "../src/activity.js";
import { statusOf } from "../src/cluster.js";
import type { AgentRoute } from "../src/routes.js";

const EXPOSITION = `# HELP shell_jobs_running Background jobs running now.
# TYPE shell_jobs_running gauge
shell_jobs_running 2
shell_job_oldest_running_seconds 31.5
mcp_tool_calls_in_flight{server="shell"} 0
`;

test("one gauge is read from Prometheus' text format; absent or not a number is undefined", () => {
    assert.equal(gaugeValue(EXPOSITION, "shell_jobs_running"), 2);
    assert.equal(gaugeValue(EXPOSITION, "shell_job_oldest_running_seconds"), 31.5);
    assert.equal(gaugeValue(EXPOSITION, "shell_jobs"), undefined);
    assert.equal(gaugeValue("shell_jobs_running NaN\n", "shell_jobs_running"), undefined);
});

const route: AgentRoute = {
    name: "devbot",
    namespace: "agent-devbot",
    deployment: "devbot-computer",
    idleAfterSeconds: 60,
    wakeTimeoutSeconds: 60,
    token: { secret: "s", key: "k" },
    servers: {
        shell: { url: "http://computer:8081", health: "/healthz" },
        "computer-control": { url: "http://computer:8080", health: "/healthz" },
    },
    jobsMetricsUrl: "http://computer:9101/metrics",
};

function fakeFetch(answers: Record<string, number | string>): typeof fetch {
    return (async (url: string) => {
        const answer = answers[url];
        if (answer === undefined) throw new TypeError("fetch failed: connection refused");
        return typeof answer === "number" ? new Response("", { status: answer }) : new Response(answer);
    }) as typeof fetch;
}

test("jobs come from the shell's metrics; a server that cannot say is an error, not zero", async () => {
    assert.equal(await activityOf(route, fakeFetch({ [route.jobsMetricsUrl]: EXPOSITION })).jobsRunning(), 2);
    await assert.rejects(activityOf(route, fakeFetch({})).jobsRunning(), /connection refused/);
    await assert.rejects(activityOf(route, fakeFetch({ [route.jobsMetricsUrl]: 503 })).jobsRunning(), /answered 503/);
    await assert.rejects(
        activityOf(route, fakeFetch({ [route.jobsMetricsUrl]: "up 1\n" })).jobsRunning(),
        /has no shell_jobs_running/,
    );
});

test("viewers come from the browser view's /activity; none without a browser view", async () => {
    const viewersUrl = "http://computer:6080/activity";
    const withView = { ...route, view: { url: "http://computer:6080" } };
    assert.equal(await activityOf(withView, fakeFetch({ [viewersUrl]: '{"viewers":2}' })).viewersConnected(), 2);
    assert.equal(await activityOf(route, fakeFetch({})).viewersConnected(), 0);
    await assert.rejects(
        activityOf(withView, fakeFetch({ [viewersUrl]: "{}" })).viewersConnected(),
        /no viewers count/,
    );
    await assert.rejects(activityOf(withView, fakeFetch({ [viewersUrl]: 503 })).viewersConnected(), /answered 503/);
});

test("serving means every server answers its health through the Service", async () => {
    const both = { "http://computer:8081/healthz": "ok", "http://computer:8080/healthz": "ok" };
    assert.equal(await activityOf(route, fakeFetch(both)).serving(), true);
    assert.equal(await activityOf(route, fakeFetch({ ...both, "http://computer:8080/healthz": 503 })).serving(), false);
    assert.equal(await activityOf(route, fakeFetch({ "http://computer:8081/healthz": "ok" })).serving(), false);
});

test("a Deployment's status: replicas, Ready only for the observed generation, the operator's suspend", () => {
    const deployment = (generation: number, observed: number, ready: number | undefined, annotations = {}) => ({
        metadata: { generation, annotations },
        spec: { replicas: 1, selector: { matchLabels: {} }, template: {} },
        status: { observedGeneration: observed, readyReplicas: ready },
    });
    assert.deepEqual(statusOf(deployment(3, 3, 1)), { replicas: 1, ready: 1, suspendedByOperator: false });
    assert.equal(statusOf(deployment(4, 3, 1)).ready, 0, "the controller has not seen the scale yet");
    assert.equal(statusOf(deployment(3, 3, undefined)).ready, 0);
    assert.equal(
        statusOf(deployment(3, 3, 0, { "persistent-agents.dev/suspended": "true" })).suspendedByOperator,
        true,
    );
    assert.equal(
        statusOf({ metadata: {}, spec: { selector: {}, template: {} } }).replicas,
        1,
        "absent: the API's default",
    );
});
