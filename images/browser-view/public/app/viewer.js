// The noVNC viewer. Whether input is sent is decided by the server (it drops input in view-only
// mode); `viewOnly` here only keeps the page from trying, and follows the mode the server reports.
import RFB from "../novnc/core/rfb.js";

const status = document.getElementById("status");
const modeLabel = document.getElementById("mode");
const SESSION_POLL_MS = 3000;
const RECONNECT_MS = 2000;
let rfb;
let mode = "view-only";
// How often a person's activity is reported (the server ends sessions idle for idleTimeoutSeconds).
let reportEveryMs = 60_000;
let personActive = true;
let lastReport = 0;

/** Back to the login form, saying why the session ended (logout elsewhere, rotation, expiry, idleness). */
function ended(reason) {
    location.replace(`./?ended=${encodeURIComponent(reason ?? "unknown")}`);
}

async function refreshSession() {
    const response = await fetch("session", { cache: "no-store" });
    if (response.status === 401) {
        ended((await response.json().catch(() => ({}))).error);
        return false;
    }
    if (!response.ok) return true;
    const session = await response.json();
    mode = session.mode;
    document.getElementById("replay-link").hidden = !session.recording;
    reportEveryMs = Math.min(60_000, Math.max(500, (session.idleTimeoutSeconds * 1000) / 4));
    modeLabel.textContent =
        mode === "interactive" ? "interactive: your mouse and keyboard reach the desktop" : "view-only";
    if (rfb) rfb.viewOnly = mode !== "interactive";
    return true;
}

// A person at the page: pointer, keys, wheel or touch, whatever the mode (noVNC sends no input in
// view-only mode, so the server cannot see a viewer who is only watching).
for (const type of ["pointermove", "pointerdown", "keydown", "wheel", "touchstart"]) {
    document.addEventListener(type, () => (personActive = true), { capture: true, passive: true });
}
async function reportActivity() {
    if (!personActive || Date.now() - lastReport < reportEveryMs) return;
    personActive = false;
    lastReport = Date.now();
    const response = await fetch("activity", { method: "POST", cache: "no-store" });
    if (response.status === 401) ended((await response.json().catch(() => ({}))).error);
}

function connect() {
    // Relative to the page (http→ws, https→wss): the waker serves the view under /agents/<agent>/view/.
    const url = new URL("websockify", location.href.replace(/^http/, "ws"));
    rfb = new RFB(document.getElementById("screen"), url.href, { shared: true });
    rfb.scaleViewport = true;
    rfb.viewOnly = mode !== "interactive";
    rfb.addEventListener("connect", () => {
        status.textContent = "connected";
        document.body.dataset.state = "connected";
    });
    rfb.addEventListener("disconnect", async () => {
        status.textContent = "disconnected, retrying…";
        document.body.dataset.state = "disconnected";
        // The server closes a viewer whose session ended: find out at once rather than retry into a 401.
        if (await refreshSession().catch(() => true)) setTimeout(connect, RECONNECT_MS);
    });
}

await refreshSession().catch(() => undefined);
connect();
setInterval(() => refreshSession().catch(() => undefined), SESSION_POLL_MS);
setInterval(() => reportActivity().catch(() => undefined), 250);
