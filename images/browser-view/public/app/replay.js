// The replay page: the recorded desktop on a timeline, with the audit trail's tool calls marked on it.
// Click the timeline or a tool call to see the screen as it was then; play, pause, speed up.
import { Player } from "./player.js";

const status = document.getElementById("status");
const clock = document.getElementById("clock");
const playButton = document.getElementById("play");
const timeline = document.getElementById("timeline");
const cursor = document.getElementById("cursor");
const callsBody = document.querySelector("#calls tbody");

async function getJson(path) {
    const response = await fetch(path, { cache: "no-store" });
    if (response.status === 401) location.replace(`./?ended=${(await response.json().catch(() => ({}))).error}`);
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
}

async function fetchSegment(name) {
    const response = await fetch(`replay/segments/${name}`, { cache: "no-store" });
    if (!response.ok) throw new Error(`segment ${name}: ${response.status}`);
    return response.arrayBuffer();
}

const time = (ms) => {
    const date = new Date(ms);
    const pad = (n, width = 2) => String(n).padStart(width, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
};

const index = await getJson("replay/index");
const { segments, calls } = index;
if (!segments.length) {
    status.textContent = "nothing recorded yet";
} else {
    const from = segments[0].startMs;
    const to = Math.max(segments.at(-1).endMs, ...calls.map((call) => call.time + call.durationMs));
    const span = Math.max(1, to - from);
    const at = (ms) => `${(100 * (ms - from)) / span}%`;

    for (const segment of segments) {
        const bar = document.createElement("div");
        bar.className = "segment";
        bar.style.left = at(segment.startMs);
        bar.style.width = `${(100 * (segment.endMs - segment.startMs)) / span}%`;
        timeline.append(bar);
    }
    const player = new Player(document.getElementById("screen"), segments, fetchSegment);
    // A replay that cannot go on says so (state "failed") rather than stay "seeking" for ever.
    const failed = (error) => {
        status.textContent = `replay failed: ${error.message}`;
        document.body.dataset.state = "failed";
    };
    player.failed = failed;
    // The moment a tool call is shown at: when it returned (a screenshot's capture, a click's effect).
    const shown = (call) => call.time + call.durationMs;
    const seek = async (ms, label) => {
        player.pause();
        document.body.dataset.state = "seeking";
        status.textContent = `going to ${label ?? time(ms)}…`;
        const started = performance.now();
        try {
            await player.seek(ms);
        } catch (error) {
            failed(error);
            return;
        }
        const inGap = !segments.some((s) => s.startMs <= ms && ms <= s.endMs);
        status.textContent = `${inGap ? "not recorded then; showing what came next. " : ""}drawn in ${Math.round(performance.now() - started)} ms`;
        document.body.dataset.seekMs = String(Math.round(performance.now() - started));
        document.body.dataset.position = String(Math.round(player.position));
        document.body.dataset.state = "ready";
    };

    calls.forEach((call, i) => {
        const mark = document.createElement("button");
        mark.type = "button";
        mark.className = `mark ${call.outcome === "ok" ? "" : "failed"}`;
        mark.style.left = at(shown(call));
        mark.title = `${time(call.time)} ${call.server}: ${call.summary} (${call.outcome})`;
        mark.dataset.call = String(i);
        mark.addEventListener("click", (event) => {
            event.stopPropagation();
            void seek(shown(call), call.summary);
        });
        timeline.append(mark);
        const row = document.createElement("tr");
        row.dataset.call = String(i);
        row.dataset.time = String(call.time); // the audit event's start (Unix ms): names the call for tests
        for (const text of [time(call.time), call.server, call.summary, call.outcome, Math.round(call.durationMs)]) {
            const cell = document.createElement("td");
            cell.textContent = String(text);
            row.append(cell);
        }
        row.addEventListener("click", () => void seek(shown(call), call.summary));
        callsBody.append(row);
    });

    timeline.addEventListener("click", (event) => {
        const box = timeline.getBoundingClientRect();
        void seek(from + ((event.clientX - box.left) / box.width) * span);
    });
    playButton.addEventListener("click", () => (player.playing ? player.pause() : player.play()));
    document.getElementById("speed").addEventListener("change", (event) => {
        player.speed = Number(event.target.value);
    });
    player.onChange(() => {
        cursor.style.left = at(player.position);
        clock.textContent = time(player.position);
        playButton.textContent = player.playing ? "Pause" : "Play";
        document.body.dataset.playing = String(player.playing);
        document.body.dataset.position = String(Math.round(player.position));
    });
    playButton.disabled = false;
    // A link to a moment: /replay#at=<RFC 3339 time, e.g. an audit event's, or Unix ms>; otherwise the start.
    const asked = new URLSearchParams(location.hash.slice(1)).get("at") ?? sessionStorage.getItem("replay-at");
    sessionStorage.removeItem("replay-at");
    const wanted = asked === null ? Number.NaN : /^\d+$/.test(asked) ? Number(asked) : Date.parse(asked);
    await seek(Number.isFinite(wanted) ? wanted : from);
}
