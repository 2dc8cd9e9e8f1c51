/**
 * The browser view through the waker: `/agents/<agent>/view/<path>` is the agent's browser view (its
 * container's `/<path>`; the view's pages use relative URLs only), so a person's visit to a sleeping
 * computer's view wakes it, and the page loads once it is up. The view authenticates its visitors itself
 * (its token and session cookie, which say nothing to the waker); the waker adds the wake and nothing else.
 * A visit is activity while it lasts: a page load until its answer ends, a viewer's WebSocket until it closes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { createProxyServer } from "http-proxy-3";
import { type Computer, wakeOrExplain } from "./computer.js";
import type { AgentRoute } from "./routes.js";

export interface ViewAgent {
    route: AgentRoute;
    computer: Computer;
}

export function createViewProxy(log: (line: string) => void) {
    const proxy = createProxyServer({ xfwd: false, proxyTimeout: 0 });

    /** Marks the visit as activity, wakes the computer; false (the visitor told why) when it cannot. */
    async function wake(agent: ViewAgent, fail: (status: number, message: string) => void, done: () => void) {
        const why = await wakeOrExplain(agent.computer, log, `${agent.route.name} for its browser view`);
        if (why === undefined) {
            return true;
        }
        done();
        fail(503, why);
        return false;
    }

    return {
        /** A page, an asset, the login form: held while the computer wakes, then proxied. */
        async web(agent: ViewAgent, request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
            const view = agent.route.view;
            if (view === undefined) {
                plain(response, 404, `agent ${agent.route.name} has no browser view`);
                return;
            }
            if (path === "" || path.startsWith("?")) {
                // The pages' relative URLs resolve against the folder: /agents/<agent>/view/, not …/view.
                response.writeHead(308, { location: `/agents/${agent.route.name}/view/${path}` }).end();
                return;
            }
            const done = agent.computer.begin();
            response.once("close", done);
            if (!(await wake(agent, (status, message) => plain(response, status, message), done))) {
                return;
            }
            request.url = path;
            proxy.web(request, response, { target: view.url }, (error) =>
                plain(response, 502, `agent ${agent.route.name}'s browser view did not answer: ${error.message}`),
            );
        },
        /** A viewer's WebSocket: the computer stays awake until it closes. */
        async upgrade(agent: ViewAgent, request: IncomingMessage, socket: Duplex, head: Buffer, path: string) {
            socket.on("error", () => socket.destroy());
            const view = agent.route.view;
            if (view === undefined) {
                rawStatus(socket, 404, "Not Found");
                return;
            }
            const done = agent.computer.viewerConnected();
            socket.once("close", done);
            if (!(await wake(agent, (status) => rawStatus(socket, status, "Service Unavailable"), done))) {
                return;
            }
            request.url = path;
            proxy.ws(request, socket, head, { target: view.url }, (error) => {
                log(`waker: ${agent.route.name}'s browser view: ${error.message}`);
                socket.destroy();
            });
        },
        close: () => proxy.close(),
    };
}

function plain(response: ServerResponse, status: number, message: string): void {
    if (response.headersSent) {
        response.end();
        return;
    }
    response.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${message}\n`);
}

function rawStatus(socket: Duplex, status: number, reason: string): void {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
