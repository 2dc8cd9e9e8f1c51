// Plays recorded RFB with noVNC: each segment is fed to a fresh noVNC client through a channel object
// that looks like a WebSocket to it (noVNC accepts such a "raw channel"), as if the bytes came from a
// VNC server. Seeking loads the segment that holds the moment and feeds it from its start up to there
// at once (a segment decodes only from its start: its updates share zlib streams).
//
// Every server message goes to noVNC as a message event of its own, as a VNC server's WebSocket would
// deliver it (and as noVNC's own tests/playback.js replays recorded sessions): noVNC's handshake reads
// one server message per event (after the ProtocolVersion it waits for the next event whatever its
// receive queue holds), and once the ServerInit has connected it, bytes that came in the same event
// wait for the next one. Fed as one block, the handshake stopped at "Security" with the rest queued.
import RFB from "../novnc/core/rfb.js";
import { parseSegment } from "./segment.js";

// What a VNC server says before its ServerInit (RFB 3.8: its version, one security type: None, then
// the security result OK), one message each; the recorded ServerInit and updates follow.
const HANDSHAKE = [[..."RFB 003.008\n"].map((c) => c.charCodeAt(0)), [1, 1], [0, 0, 0, 0]];
// Unread bytes noVNC may hold before the feed waits for it: its receive queue grows to 40 MiB at most
// (core/websock.js) and fills while it waits for the display (a JPEG rectangle decodes asynchronously).
const QUEUE_LIMIT = 4 * 1024 * 1024;

class ReplayChannel {
    constructor() {
        this.binaryType = "arraybuffer";
        this.protocol = "";
        this.readyState = "connecting";
        this.onopen = null;
        this.onmessage = null;
        this.onclose = null;
        this.onerror = null;
    }
    send() {} // the client's requests have no one to reach: the replay is view-only by nature
    close() {
        this.readyState = "closed";
        setTimeout(() => this.onclose?.({ code: 1000, reason: "", wasClean: true }));
    }
    open() {
        this.readyState = "open";
        this.onopen?.();
    }
    feed(data) {
        this.onmessage?.({ data });
    }
}

export class Player {
    constructor(screen, segments, fetchSegment) {
        this.screen = screen;
        this.segments = segments;
        this.fetchSegment = fetchSegment;
        this.loaded = new Map(); // segment name → parsed
        this.current = undefined; // { segment, parsed, rfb, channel, next (index of the next record) }
        this.position = segments.length ? segments[0].startMs : 0;
        this.playing = false;
        this.speed = 1;
        this.listeners = [];
        this.queue = Promise.resolve();
    }

    onChange(listener) {
        this.listeners.push(listener);
    }

    changed() {
        for (const listener of this.listeners) listener(this);
    }

    /**
     * Runs `work` once what was asked before it has finished: a seek and the play loop both feed the
     * current noVNC client and may replace it, and feeding waits for noVNC, so they must not interleave.
     */
    serially(work) {
        const run = this.queue.then(work);
        this.queue = run.catch(() => {});
        return run;
    }

    /** The segment holding `ms`, or the first one after it (a moment not recorded shows what came next). */
    segmentAt(ms) {
        return this.segments.find((s) => s.startMs <= ms && ms <= s.endMs) ?? this.segments.find((s) => s.startMs > ms);
    }

    async load(segment) {
        if (!this.loaded.has(segment.name) || !segment.closed) {
            this.loaded.set(segment.name, parseSegment(await this.fetchSegment(segment.name)));
        }
        return this.loaded.get(segment.name);
    }

    /** Shows the screen as it was at `ms`; resolves once noVNC has drawn it. */
    seek(ms) {
        return this.serially(() => this.seekNow(ms));
    }

    async seekNow(ms) {
        const segment = this.segmentAt(ms);
        if (!segment) return;
        const parsed = await this.load(segment);
        if (this.current?.segment.name !== segment.name || ms < this.position) this.restart(segment, parsed);
        this.position = Math.max(ms, segment.startMs);
        await this.feedUntil(this.position);
        await this.drawn();
        this.changed();
    }

    restart(segment, parsed) {
        this.current?.rfb.disconnect();
        const channel = new ReplayChannel();
        const rfb = new RFB(this.screen, channel, { shared: true });
        rfb.viewOnly = true;
        rfb.scaleViewport = true;
        channel.open();
        for (const message of HANDSHAKE) channel.feed(new Uint8Array(message).buffer);
        // The segment's first record is its ServerInit: it connects noVNC; the updates follow.
        if (parsed.records.length) channel.feed(parsed.records[0].data);
        this.current = { segment, parsed, rfb, channel, next: 1 };
    }

    /** Feeds the current segment's updates up to `ms`, one message event each. */
    async feedUntil(ms) {
        const current = this.current;
        const { records } = current.parsed;
        const offset = ms - current.segment.startMs;
        while (current.next < records.length && records[current.next].offsetMs <= offset) {
            if (current.rfb._sock.rQlen() > QUEUE_LIMIT) await this.drawn();
            current.channel.feed(records[current.next].data);
            current.next++;
        }
    }

    /**
     * Resolves when noVNC has read everything fed and drawn it. noVNC exposes no such event: this asks
     * its receive queue and display (private fields of the pinned noVNC 1.7.0). noVNC reads a fed message
     * at once unless it waits for its display to finish drawing (`_flushing`, then it resumes by itself);
     * unread bytes with nothing to wait for mean it stopped for good, which would otherwise hang the page.
     */
    async drawn() {
        const rfb = this.current.rfb;
        for (;;) {
            const unread = rfb._sock.rQlen();
            const waiting = rfb._flushing || rfb._display.pending();
            if (!unread && !waiting) return;
            if (rfb._rfbConnectionState === "disconnected" || (unread && !waiting)) {
                throw new Error(
                    `noVNC stopped reading the recording (${rfb._rfbConnectionState}, ${rfb._rfbInitState || "no handshake state"}, ${unread} bytes unread)`,
                );
            }
            await new Promise((resolve) => requestAnimationFrame(resolve));
        }
    }

    play() {
        if (this.playing || !this.segments.length) return;
        this.playing = true;
        let last = performance.now();
        // One frame's worth of replay; false when playing has stopped.
        const step = async (now) => {
            if (!this.playing) return false;
            const target = this.position + (now - last) * this.speed;
            last = now;
            const segment = this.current?.segment;
            if (segment && target <= segment.endMs) {
                this.position = target;
                await this.feedUntil(target);
                this.changed();
                return true;
            }
            const next = this.segmentAt(target);
            if (!next) {
                this.pause();
                return false;
            }
            // Into the next segment (across a stretch not recorded, at once).
            await this.seekNow(Math.max(target, next.startMs));
            last = performance.now();
            return true;
        };
        const tick = (now) =>
            this.serially(() => step(now)).then(
                (more) => more && requestAnimationFrame(tick),
                (error) => {
                    this.pause();
                    this.failed(error);
                },
            );
        requestAnimationFrame(tick);
        this.changed();
    }

    pause() {
        this.playing = false;
        this.changed();
    }

    /** Replaced by the page: says what stopped the replay. */
    failed(error) {
        console.error(error);
    }
}
