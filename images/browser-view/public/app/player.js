// Plays recorded RFB with noVNC: each segment is fed to a fresh noVNC client through a channel object
// that looks like a WebSocket to it (noVNC accepts such a "raw channel"), as if the bytes came from a
// VNC server. Seeking loads the segment that holds the moment and feeds it from its start up to there
// at once (a segment decodes only from its start: its updates share zlib streams).
import RFB from "/novnc/core/rfb.js";
import { parseSegment } from "/app/segment.js";

// What a VNC server says before its ServerInit (RFB 3.8, one security type: None, then OK); the
// recorded ServerInit and updates follow.
const PRELUDE = new Uint8Array([...new TextEncoder().encode("RFB 003.008\n"), 1, 1, 0, 0, 0, 0]);

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
    }

    onChange(listener) {
        this.listeners.push(listener);
    }

    changed() {
        for (const listener of this.listeners) listener(this);
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
    async seek(ms) {
        const segment = this.segmentAt(ms);
        if (!segment) return;
        const parsed = await this.load(segment);
        if (this.current?.segment.name !== segment.name || ms < this.position) this.restart(segment, parsed);
        this.position = Math.max(ms, segment.startMs);
        this.feedUntil(this.position);
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
        // The handshake and the ServerInit (noVNC leaves its init state after it), then the updates.
        const init = parsed.records[0]?.data ?? new ArrayBuffer(0);
        const prelude = new Uint8Array(PRELUDE.length + init.byteLength);
        prelude.set(PRELUDE);
        prelude.set(new Uint8Array(init), PRELUDE.length);
        channel.feed(prelude.buffer);
        this.current = { segment, parsed, rfb, channel, next: 1 };
    }

    feedUntil(ms) {
        const { segment, parsed, channel } = this.current;
        const offset = ms - segment.startMs;
        const batch = [];
        while (this.current.next < parsed.records.length && parsed.records[this.current.next].offsetMs <= offset) {
            batch.push(new Uint8Array(parsed.records[this.current.next].data));
            this.current.next++;
        }
        if (!batch.length) return;
        const size = batch.reduce((sum, part) => sum + part.length, 0);
        const joined = new Uint8Array(size);
        let at = 0;
        for (const part of batch) {
            joined.set(part, at);
            at += part.length;
        }
        channel.feed(joined.buffer);
    }

    /**
     * Resolves when noVNC has read everything fed and drawn it. noVNC exposes no such event: this asks
     * its receive queue and display (private fields of the pinned noVNC 1.7.0).
     */
    async drawn() {
        const rfb = this.current.rfb;
        for (;;) {
            const idle = rfb._sock.rQlen() === 0 && !rfb._flushing && !rfb._display.pending();
            if (idle) return;
            await new Promise((resolve) => requestAnimationFrame(resolve));
        }
    }

    play() {
        if (this.playing || !this.segments.length) return;
        this.playing = true;
        let last = performance.now();
        const tick = async (now) => {
            if (!this.playing) return;
            const target = this.position + (now - last) * this.speed;
            last = now;
            const segment = this.current?.segment;
            if (segment && target <= segment.endMs) {
                this.position = target;
                this.feedUntil(target);
                this.changed();
            } else {
                const next = this.segmentAt(target);
                if (!next) {
                    this.pause();
                    return;
                }
                // Into the next segment (across a stretch not recorded, at once).
                await this.seek(Math.max(target, next.startMs));
                last = performance.now();
            }
            requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
        this.changed();
    }

    pause() {
        this.playing = false;
        this.changed();
    }
}
