import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Session cookies for viewers who logged in with the agent's browser-view token.
 *
 * The cookie is `v1.<expiry in Unix seconds>.<HMAC-SHA256>`, signed with a key derived from the token
 * itself: rotating the token (bumping the stack's rotation counter) ends every session at once, and the
 * server keeps no session state.
 */
export const SESSION_COOKIE = "browser_view_session";
const VERSION = "v1";

export type SessionCheck =
    | { ok: true; expiresAt: number }
    | { ok: false; reason: "missing" | "malformed" | "bad-signature" | "expired" };

function signingKey(token: string): Buffer {
    return createHmac("sha256", token).update("persistent-agents browser-view session key").digest();
}

function signature(token: string, expiresAt: number): Buffer {
    return createHmac("sha256", signingKey(token)).update(`${VERSION}.${expiresAt}`).digest();
}

export function issueSession(
    token: string,
    ttlSeconds: number,
    nowMs = Date.now(),
): { value: string; expiresAt: number } {
    const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
    return { value: `${VERSION}.${expiresAt}.${signature(token, expiresAt).toString("base64url")}`, expiresAt };
}

export function checkSession(token: string, cookieValue: string | undefined, nowMs = Date.now()): SessionCheck {
    if (!cookieValue) return { ok: false, reason: "missing" };
    const match = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(cookieValue);
    if (!match) return { ok: false, reason: "malformed" };
    const expiresAt = Number(match[1]);
    const given = Buffer.from(match[2], "base64url");
    if (given.length !== 32 || !timingSafeEqual(given, signature(token, expiresAt)))
        return { ok: false, reason: "bad-signature" };
    if (expiresAt * 1000 <= nowMs) return { ok: false, reason: "expired" };
    return { ok: true, expiresAt };
}

/** Constant-time comparison of a submitted token with the mounted one (digests have a fixed length). */
export function tokenMatches(submitted: string, token: string): boolean {
    const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
    return timingSafeEqual(digest(submitted), digest(token));
}
