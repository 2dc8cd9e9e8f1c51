import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkSession, issueSession, tokenMatches } from "../src/session.js";
import { vncAuthResponse } from "../src/vncClient.js";

const TOKEN = "f3b1c0ffee";

describe("session cookies", () => {
    it("accepts a cookie it issued until it expires", () => {
        const now = Date.UTC(2026, 10, 30, 12);
        const { value, expiresAt } = issueSession(TOKEN, 60, now);
        assert.deepEqual(checkSession(TOKEN, value, now + 59_000), { ok: true, expiresAt });
        assert.deepEqual(checkSession(TOKEN, value, now + 60_000), { ok: false, reason: "expired" });
    });

    it("refuses a cookie after the token was rotated", () => {
        const { value } = issueSession(TOKEN, 60);
        assert.deepEqual(checkSession("a-new-token", value), { ok: false, reason: "bad-signature" });
    });

    it("refuses a cookie whose expiry was pushed forward by hand", () => {
        const now = Date.now();
        const { value, expiresAt } = issueSession(TOKEN, 60, now - 120_000);
        const forged = value.replace(`.${expiresAt}.`, `.${expiresAt + 3600}.`);
        assert.deepEqual(checkSession(TOKEN, forged, now), { ok: false, reason: "bad-signature" });
    });

    it("refuses missing and malformed cookies", () => {
        assert.equal(checkSession(TOKEN, undefined).ok, false);
        for (const junk of ["", "v1", "v1.123", "v2.1.AAAA", "v1.99999999999.short", `v1.1.${"A".repeat(43)}x`]) {
            assert.equal(checkSession(TOKEN, junk).ok, false, junk);
        }
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
