import assert from "node:assert/strict";
import { test } from "node:test";
import { Computer, SuspendedByOperator, WakeTimeout } from "../src/computer.js";
import { FakeActivity, FakeDeployment, pause, RecordedEvents } from "./fakes.js";

function setup(deployment: FakeDeployment, options: { idleAfterMs?: number; wakeTimeoutMs?: number } = {}) {
    const activity = new FakeActivity();
    const events = new RecordedEvents();
    const policy = {
        agent: "devbot",
        idleAfterMs: options.idleAfterMs ?? 40,
        wakeTimeoutMs: options.wakeTimeoutMs ?? 2000,
    };
    return { computer: new Computer(policy, deployment, activity, events), activity, events };
}

test("concurrent calls during one wake share it: one scale to 1, all answered once Ready", async () => {
    const deployment = new FakeDeployment(false);
    const { computer, events } = setup(deployment);
    const started = Date.now();
    await Promise.all([computer.awake(), computer.awake(), computer.awake()]);
    assert.deepEqual(deployment.scaleCalls, [1]);
    assert.equal(deployment.ready, 1);
    assert.ok(Date.now() - started >= deployment.startMs, "answered before the pod was Ready");
    assert.deepEqual(deployment.marks, ["awake"]);
    assert.deepEqual(events.lines, ["asleep devbot false", "woke devbot"]);
});

test("an awake computer is not scaled again (a restarted waker meets it awake)", async () => {
    const deployment = new FakeDeployment(true);
    const { computer } = setup(deployment);
    await computer.awake();
    assert.deepEqual(deployment.scaleCalls, []);
    assert.equal(await computer.sleepIfIdle(), false, "a new waker counts idleness from its start");
});

test("idle for idleAfter with no call, job or viewer: asleep, and not before", async () => {
    const deployment = new FakeDeployment(true);
    const { computer, events } = setup(deployment, { idleAfterMs: 60 });
    assert.equal(await computer.sleepIfIdle(), false);
    await pause(70);
    assert.equal(await computer.sleepIfIdle(), true);
    assert.deepEqual(deployment.scaleCalls, [0]);
    assert.deepEqual(deployment.marks, ["asleep"]);
    assert.deepEqual(events.lines, ["slept devbot", "asleep devbot true"]);
    assert.equal(await computer.sleepIfIdle(), false, "asleep already: nothing more");
});

test("a call in flight, a viewer (through the waker or the browser view), a running job each keep it awake", async () => {
    const deployment = new FakeDeployment(true);
    const { computer, activity } = setup(deployment);
    const done = computer.begin();
    await pause(60);
    assert.equal(await computer.sleepIfIdle(), false, "a long call in flight");
    done();
    const disconnected = computer.viewerConnected();
    await pause(60);
    assert.equal(await computer.sleepIfIdle(), false, "a viewer connected");
    disconnected();
    activity.jobs = 1;
    await pause(60);
    assert.equal(await computer.sleepIfIdle(), false, "a job running");
    activity.jobs = new Error("connection refused");
    await pause(60);
    assert.equal(await computer.sleepIfIdle(), false, "a shell that cannot be asked");
    activity.jobs = 0;
    activity.viewers = 1;
    await pause(60);
    assert.equal(await computer.sleepIfIdle(), false, "a viewer on the browser view directly");
    activity.viewers = new Error("browser view not answering");
    await pause(60);
    assert.equal(await computer.sleepIfIdle(), false, "a browser view that cannot be asked");
    activity.viewers = 0;
    await pause(60);
    assert.equal(await computer.sleepIfIdle(), true);
    assert.deepEqual(deployment.scaleCalls, [0]);
});

test("the operator's suspend wins: a call does not wake it and says how to", async () => {
    const deployment = new FakeDeployment(false);
    deployment.suspendedByOperator = true;
    const { computer } = setup(deployment);
    await assert.rejects(computer.awake(), (error: Error) => {
        assert.ok(error instanceof SuspendedByOperator);
        assert.match(error.message, /suspended: true.*pulumi up/);
        return true;
    });
    assert.deepEqual(deployment.scaleCalls, []);
});

test("a computer that does not become Ready within wakeTimeout fails the call with the reason", async () => {
    const deployment = new FakeDeployment(false);
    deployment.startMs = Number.POSITIVE_INFINITY;
    const { computer, events } = setup(deployment, { wakeTimeoutMs: 300 });
    await assert.rejects(computer.awake(), (error: Error) => {
        assert.ok(error instanceof WakeTimeout);
        assert.match(error.message, /did not wake within 0.3 s \(waiting for its pod to be Ready\)/);
        return true;
    });
    assert.ok(events.lines.includes("failed devbot timeout"));
    deployment.startMs = 10;
    deployment.ready = 1;
    await computer.awake();
    assert.deepEqual(deployment.scaleCalls, [1], "the next call finds the scale done and only waits");
});

test("Ready but not yet served through the Service: the wake waits for the servers to answer", async () => {
    const deployment = new FakeDeployment(false);
    const { computer, activity } = setup(deployment);
    activity.servingAnswer = false;
    setTimeout(() => {
        activity.servingAnswer = true;
    }, 400);
    const started = Date.now();
    await computer.awake();
    assert.ok(Date.now() - started >= 400, "answered before the servers did");
});

test("a call that arrives while the computer goes to sleep wakes it right after", async () => {
    const deployment = new FakeDeployment(true);
    const { computer } = setup(deployment);
    await pause(60);
    const sleeping = computer.sleepIfIdle();
    const done = computer.begin();
    const waking = computer.awake();
    assert.equal(await sleeping, false, "the call arrived before the sleep decided: no sleep");
    await waking;
    done();
    assert.deepEqual(deployment.scaleCalls, []);

    await pause(60);
    // A wake requested while the sleep is under way (its API calls not yet answered) runs after it.
    const decided = computer.sleepIfIdle();
    const woken = computer.awake();
    assert.equal(await decided, true);
    await woken;
    assert.deepEqual(deployment.scaleCalls, [0, 1], "asleep, then woken by the call that came during the sleep");
    assert.equal(deployment.ready, 1);
});

test("a waker that died between scaling up and marking: the next one's wake marks it awake, without scaling", async () => {
    const deployment = new FakeDeployment(false);
    deployment.sleepState = "asleep";
    await deployment.scale(1); // the last waker's scale; it died before the mark
    deployment.scaleCalls = [];
    const { computer } = setup(deployment);
    await computer.refresh();
    await computer.awake();
    assert.deepEqual(deployment.scaleCalls, []);
    assert.equal(deployment.sleepState, "awake");
});

test("Ready by someone else's hand: the first call waits for the servers to answer, later ones do not ask", async () => {
    const deployment = new FakeDeployment(true); // a person's kubectl scale --replicas=1, or a restarted waker
    const { computer, activity, events } = setup(deployment);
    activity.servingAnswer = false;
    setTimeout(() => {
        activity.servingAnswer = true;
    }, 300);
    const started = Date.now();
    await computer.awake();
    assert.ok(Date.now() - started >= 300, "sent on before the Service routed to the pod");
    assert.deepEqual(deployment.scaleCalls, []);
    assert.deepEqual(events.lines, [], "only checked: not counted as a wake");

    activity.servingAnswer = false; // from here on, asking would hold the call until the timeout
    const again = Date.now();
    await computer.awake();
    assert.ok(Date.now() - again < 200, "the servers were asked again although they had answered");

    computer.unreachable(); // a call met a connection error: the next one checks first
    setTimeout(() => {
        activity.servingAnswer = true;
    }, 300);
    const afterError = Date.now();
    await computer.awake();
    assert.ok(Date.now() - afterError >= 300, "sent on without checking after a failed call");
});
