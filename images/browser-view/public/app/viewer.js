// The noVNC viewer. Whether input is sent is decided by the server (it drops input in view-only
// mode); `viewOnly` here only keeps the page from trying, and follows the mode the server reports.
import RFB from "/novnc/core/rfb.js";

const status = document.getElementById("status");
const modeLabel = document.getElementById("mode");
const SESSION_POLL_MS = 3000;
const RECONNECT_MS = 2000;
let rfb;
let mode = "view-only";

async function refreshSession() {
    const response = await fetch("/session", { cache: "no-store" });
    if (response.status === 401) {
        location.reload(); // session expired or token rotated: back to the login form
        return;
    }
    if (!response.ok) return;
    mode = (await response.json()).mode;
    modeLabel.textContent =
        mode === "interactive" ? "interactive: your mouse and keyboard reach the desktop" : "view-only";
    if (rfb) rfb.viewOnly = mode !== "interactive";
}

function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    rfb = new RFB(document.getElementById("screen"), `${scheme}://${location.host}/websockify`, { shared: true });
    rfb.scaleViewport = true;
    rfb.viewOnly = mode !== "interactive";
    rfb.addEventListener("connect", () => {
        status.textContent = "connected";
        document.body.dataset.state = "connected";
    });
    rfb.addEventListener("disconnect", () => {
        status.textContent = "disconnected, retrying…";
        document.body.dataset.state = "disconnected";
        setTimeout(connect, RECONNECT_MS);
    });
}

await refreshSession().catch(() => undefined);
connect();
setInterval(() => refreshSession().catch(() => undefined), SESSION_POLL_MS);
