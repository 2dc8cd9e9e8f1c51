// Login with the browser-view token: typed into the form, or passed in the URL fragment
// (#token=...), which never reaches a server log; it is removed from the address bar at once.
const fragment = new URLSearchParams(location.hash.slice(1));
const fromFragment = fragment.get("token");
if (fromFragment) {
    history.replaceState(null, "", location.pathname);
    document.getElementById("token").value = fromFragment;
    // (A control named or with the id "submit" would shadow form.submit; requestSubmit has no such trap.)
    document.getElementById("login").requestSubmit();
}
const navigation = performance.getEntriesByType("navigation")[0];
if (navigation && navigation.responseStatus === 401) document.getElementById("error").hidden = false;
