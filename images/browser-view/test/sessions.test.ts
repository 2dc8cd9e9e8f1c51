import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Sessions, tokenDigest, tokenMatches } from "../src/sessions.js";
import { vncAuthResponse } from "../src/vncClient.js";

const TOKEN = "f3b1c0ffee";

function store(now: { t: number }, settings: Partial<ConstructorParameters<typeof Sessions>[0]> = {}) {
    return new Sessions({
        ttlMs: 60_000,
        idleMs: 10_000,
        maxSessions: 3,
        now: () => now.t,
        log: () => undefined,
        ...settings,
    });
}

describe("sessions", () => {
    it("issues random ids and knows only what it issued", () => {
        const sessions = store({ t: 0 });
        const a = sessions.issue(tokenDigest(TOKEN)).value;
        const b = sessions.issue(tokenDigest(TOKEN)).value;
        assert.notEqual(a, b);
        assert.match(a, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(sessions.check(a, tokenDigest(TOKEN)).ok, true);
        assert.deepEqual(sessions.check(`${a}x`, tokenDigest(TOKEN)), { ok: false, reason: "unknown" });
        assert.deepEqual(sessions.check(undefined), { ok: false, reason: "missing" });
    });

    it("ends a session at its expiry and after idleness, closing its connections, and says why", () => {
        const now = { t: 0 };
        const sessions = store(now);
        const { value, session } = sessions.issue(tokenDigest(TOKEN));
        const closed: string[] = [];
        session.connections.add((reason) => closed.push(reason));
        for (let t = 0; t < 60_000; t += 5_000) {
            now.t = t;
            sessions.touch(session);
            sessions.sweep();
        }
        assert.equal(sessions.check(value).ok, true);
        now.t = 60_000;
        sessions.sweep();
        assert.deepEqual(closed, ["expired"]);
        assert.deepEqual(sessions.check(value), { ok: false, reason: "expired" });
        const idle = sessions.issue(tokenDigest(TOKEN));
        now.t += 10_000;
        assert.equal(sessions.alive(idle.session), false);
        assert.deepEqual(sessions.check(idle.value), { ok: false, reason: "idle" });
    });

    it("ends the sessions of a rotated token, and a rotation back does not revive them", () => {
        const sessions = store({ t: 0 });
        const old = sessions.issue(tokenDigest(TOKEN)).value;
        assert.equal(sessions.endOthers(tokenDigest("new-token")), 1);
        assert.deepEqual(sessions.check(old, tokenDigest(TOKEN)), { ok: false, reason: "token-rotated" });
        const other = sessions.issue(tokenDigest(TOKEN)).value;
        assert.deepEqual(sessions.check(other, tokenDigest("new-token")), { ok: false, reason: "token-rotated" });
    });

    it("makes room by ending the least recently active session", () => {
        const now = { t: 0 };
        const sessions = store(now);
        const issued = [0, 1, 2].map((i) => {
            now.t = i;
            return sessions.issue(tokenDigest(TOKEN));
        });
        now.t = 5;
        sessions.touch(issued[0].session);
        sessions.issue(tokenDigest(TOKEN));
        assert.equal(sessions.size, 3);
        assert.deepEqual(sessions.check(issued[1].value), { ok: false, reason: "evicted" });
        assert.equal(sessions.check(issued[0].value).ok, true);
    });

    it("compares tokens exactly", () => {
        assert.equal(tokenMatches(TOKEN, TOKEN), true);
        assert.equal(tokenMatches(`${TOKEN} `, TOKEN), false);
        assert.equal(tokenMatches(TOKEN.slice(0, -1), TOKEN), false);
        assert.equal(tokenMatches("", TOKEN), false);
    });
});

describe("VNC authentication response", () => {
    it("matches DES with the bit-reversed password key (vector computed with PyCryptodome)", () => {
        const challenge = Buffer.from([...Array(16).keys()]);
        assert.equal(vncAuthResponse("password", challenge).toString("hex"), VECTOR_PASSWORD);
        // Passwords longer than 8 characters are cut, shorter ones zero-padded, like TigerVNC's vncpasswd.
        assert.equal(vncAuthResponse("password-and-more", challenge).toString("hex"), VECTOR_PASSWORD);
        assert.equal(vncAuthResponse("ab", challenge).toString("hex"), VECTOR_AB);
    });
});

// DES.new(reversed_key, DES.MODE_ECB).encrypt(bytes(range(16))), the same computation as tests/desktop-e2e/rfb.py.
const VECTOR_PASSWORD = "b866924125c8eebb9debc1db61c538e2";
const VECTOR_AB = "fe01155de95da3e28adf6cc730f06f08";
