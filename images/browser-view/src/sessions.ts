import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Sessions of the viewers who logged in with the agent's browser-view token, kept in this process.
 *
 * The cookie holds only a random session id. Server state is what lets revocation reach sessions that
 * are already open: logout ends its session everywhere (a copy of the cookie included), a rotated token
 * ends every session issued under the old one, and expiry or idleness ends a session at its time; each
 * end closes the session's live connections at once and refuses their next frame. The price: a restart
 * of the container logs everyone out (the token logs in again).
 */

export type EndReason = "logout" | "token-rotated" | "expired" | "idle" | "evicted";

export type SessionCheck = { ok: true; session: Session } | { ok: false; reason: "missing" | "unknown" | EndReason };

export interface SessionSettings {
    /** Absolute lifetime of a session. */
    ttlMs: number;
    /** A session without activity (input, or the page reporting a person at it) for this long ends. */
    idleMs: number;
    /** Sessions kept at most; the least recently active one is ended to make room. */
    maxSessions: number;
    now?: () => number;
    log: (event: object) => void;
}

export interface Session {
    /** The key it is kept under (a digest of the cookie value). */
    readonly id: string;
    /** Digest of the token the session was issued under (never the token). */
    readonly tokenDigest: string;
    readonly expiresAt: number;
    lastActiveAt: number;
    ended: boolean;
    /** Closes one live connection of the session, saying why. */
    readonly connections: Set<(reason: EndReason) => void>;
}

export class Sessions {
    /** By the SHA-256 of the cookie value, so that a lookup never compares secrets directly. */
    private readonly sessions = new Map<string, Session>();
    /** Why recently ended sessions ended, for the page's message (bounded like the sessions). */
    private readonly ended = new Map<string, EndReason>();
    private readonly now: () => number;
    private timer: NodeJS.Timeout | undefined;

    constructor(private readonly settings: SessionSettings) {
        this.now = settings.now ?? Date.now;
    }

    /** A new session under the token with this digest; returns the cookie value. */
    issue(tokenDigest: string): { value: string; session: Session } {
        while (this.sessions.size >= this.settings.maxSessions) {
            let oldest: [string, Session] | undefined;
            for (const entry of this.sessions)
                if (!oldest || entry[1].lastActiveAt < oldest[1].lastActiveAt) oldest = entry;
            this.end(oldest![0], "evicted");
        }
        const value = randomBytes(32).toString("base64url");
        const now = this.now();
        const session: Session = {
            id: key(value),
            tokenDigest,
            expiresAt: now + this.settings.ttlMs,
            lastActiveAt: now,
            ended: false,
            connections: new Set(),
        };
        this.sessions.set(session.id, session);
        return { value, session };
    }

    /**
     * The session a cookie value names, if it is still valid under the current token. A session found
     * expired, idle or issued under another token is ended here (its connections closed).
     */
    check(value: string | undefined, tokenDigest?: string): SessionCheck {
        if (!value) return { ok: false, reason: "missing" };
        const id = key(value);
        const session = this.sessions.get(id);
        if (!session) return { ok: false, reason: this.ended.get(id) ?? "unknown" };
        const reason = this.problem(session, tokenDigest);
        if (reason) {
            this.end(id, reason);
            return { ok: false, reason };
        }
        return { ok: true, session };
    }

    /** Whether a session still holds (asked per frame of its live connections); ends it when it no longer does. */
    alive(session: Session): boolean {
        if (session.ended) return false;
        const reason = this.problem(session);
        if (!reason) return true;
        this.end(session.id, reason);
        return false;
    }

    /** The person is at the page (input, or the page's activity report): the idle clock restarts. */
    touch(session: Session): void {
        session.lastActiveAt = this.now();
    }

    /** Ends the session a cookie value names (logout). */
    endByValue(value: string, reason: EndReason): void {
        this.end(key(value), reason);
    }

    /** Ends every session not issued under the token with this digest (the token was rotated). */
    endOthers(tokenDigest: string): number {
        let count = 0;
        for (const [id, session] of this.sessions) {
            if (!equalDigests(session.tokenDigest, tokenDigest)) {
                this.end(id, "token-rotated");
                count++;
            }
        }
        return count;
    }

    /** Ends expired and idle sessions; run every second so that their connections close on time. */
    sweep(): void {
        for (const [id, session] of this.sessions) {
            const reason = this.problem(session);
            if (reason) this.end(id, reason);
        }
    }

    start(intervalMs: number): void {
        this.timer = setInterval(() => this.sweep(), intervalMs);
        this.timer.unref();
    }

    stop(): void {
        clearInterval(this.timer);
    }

    get size(): number {
        return this.sessions.size;
    }

    private problem(session: Session, tokenDigest?: string): EndReason | undefined {
        const now = this.now();
        if (tokenDigest !== undefined && !equalDigests(session.tokenDigest, tokenDigest)) return "token-rotated";
        if (session.expiresAt <= now) return "expired";
        if (session.lastActiveAt + this.settings.idleMs <= now) return "idle";
        return undefined;
    }

    private end(id: string, reason: EndReason): void {
        const session = this.sessions.get(id);
        if (!session) return;
        this.sessions.delete(id);
        session.ended = true;
        this.ended.set(id, reason);
        while (this.ended.size > this.settings.maxSessions) this.ended.delete(this.ended.keys().next().value!);
        this.settings.log({ event: "session-ended", reason, connections: session.connections.size });
        for (const close of [...session.connections]) close(reason);
        session.connections.clear();
    }
}

/** SHA-256 of the token: what a session remembers of it. */
export function tokenDigest(token: string): string {
    return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time comparison of a submitted token with the mounted one (digests have a fixed length). */
export function tokenMatches(submitted: string, token: string): boolean {
    const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
    return timingSafeEqual(digest(submitted), digest(token));
}

function key(value: string): string {
    return createHash("sha256").update(value, "utf8").digest("hex");
}

function equalDigests(a: string, b: string): boolean {
    return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
