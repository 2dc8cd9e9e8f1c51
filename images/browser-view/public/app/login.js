// Login with the browser-view token: typed into the form, or passed in the URL fragment
// (#token=...), which never reaches a server log; it is removed from the address bar at once.
const ENDED = {
    logout: "You logged out (here or in another tab).",
    "token-rotated": "The token was rotated: log in with the new one.",
    expired: "Your session expired.",
    idle: "Your session ended after a while without activity.",
    evicted: "Your session ended to make room for newer ones.",
};
// Shown for the replay page (…/replay): back there once logged in. Every URL of these pages is relative:
// the view is served at / by its container and at /agents/<agent>/view/ by the waker (sleep on idle).
if (location.pathname.endsWith("/replay")) document.getElementById("next").value = "/replay";
const query = new URLSearchParams(location.search);
const reason = query.get("ended");
if (reason) {
    const notice = document.getElementById("ended");
    notice.textContent = ENDED[reason] ?? "Your session ended.";
    notice.dataset.reason = reason;
    notice.hidden = false;
}
const fragment = new URLSearchParams(location.hash.slice(1));
const fromFragment = fragment.get("token");
// A link to a moment of the replay (/replay#at=2026-12-05T03:10:00Z) keeps its moment through the login, which
// goes back to /replay without the fragment (replay.js reads it once).
if (location.pathname.endsWith("/replay") && fragment.get("at"))
    sessionStorage.setItem("replay-at", fragment.get("at"));
if (fromFragment || reason) history.replaceState(null, "", location.pathname);
if (fromFragment) {
    document.getElementById("token").value = fromFragment;
    // (A control named or with the id "submit" would shadow form.submit; requestSubmit has no such trap.)
    document.getElementById("login").requestSubmit();
}
const navigation = performance.getEntriesByType("navigation")[0];
if (navigation && navigation.responseStatus === 401) document.getElementById("error").hidden = false;
