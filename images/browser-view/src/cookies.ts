import type { IncomingMessage } from "node:http";
import { stringifySetCookie } from "cookie";

/**
 * The session cookie, one per agent: its name carries the agent (`browser_view_<agent>`), so that
 * two agents' views on one host (port-forwards to 127.0.0.1 on two ports share one cookie jar: cookies
 * ignore ports) keep one session each, and logging out of one never logs the person out of another.
 *
 * Behind TLS the name gets the `__Host-` prefix: browsers accept such a cookie only from this exact
 * host, Secure, with `Path=/` and no `Domain`, so a sibling host (another agent's view at
 * `<other>.<host>`, or anything else under the parent domain) cannot set one that shadows ours. The path
 * is `/` for that reason: the view is served from its own origin's root. Should a same-named cookie still
 * arrive twice (a plain-HTTP sibling's `Domain=` cookie), every value is tried, so a planted cookie
 * sent first cannot log the person out either.
 */
const PREFIX = "browser_view_";
const HOST_ONLY = "__Host-";

function cookieName(agent: string, tls: boolean): string {
    return `${tls ? HOST_ONLY : ""}${PREFIX}${agent}`;
}

/** Every value sent under this agent's cookie names, in the order the browser sent them. */
export function sessionCookieValues(req: IncomingMessage, agent: string): string[] {
    const names = new Set([cookieName(agent, true), cookieName(agent, false)]);
    const values: string[] = [];
    for (const pair of String(req.headers.cookie ?? "").split(";")) {
        const equals = pair.indexOf("=");
        if (equals < 0) continue;
        if (names.has(pair.slice(0, equals).trim())) values.push(pair.slice(equals + 1).trim());
    }
    return values;
}

export function setSessionCookie(req: IncomingMessage, agent: string, value: string, maxAgeSeconds: number): string {
    const tls = overTls(req);
    return stringifySetCookie({
        name: cookieName(agent, tls),
        value,
        httpOnly: true,
        secure: tls,
        sameSite: "strict",
        path: "/",
        maxAge: maxAgeSeconds,
    });
}

/** Expires both of this agent's names (the one a TLS login set and the one a plain-HTTP login set). */
export function clearSessionCookies(req: IncomingMessage, agent: string): string[] {
    return [true, false]
        .filter((tls) => tls === false || overTls(req))
        .map((tls) =>
            stringifySetCookie({
                name: cookieName(agent, tls),
                value: "",
                httpOnly: true,
                secure: tls,
                sameSite: "strict",
                path: "/",
                maxAge: 0,
            }),
        );
}

/** Secure when the browser reached us over TLS, directly or through the ingress (X-Forwarded-Proto). */
function overTls(req: IncomingMessage): boolean {
    const forwardedProto = String(req.headers["x-forwarded-proto"] ?? "")
        .split(",")[0]
        .trim();
    return (req.socket as { encrypted?: boolean }).encrypted === true || forwardedProto === "https";
}
