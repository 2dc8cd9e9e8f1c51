import type { Socket } from "node:net";

/**
 * Connections that have not shown a valid session (or the token) are capped in number and in
 * lifetime, so that nobody without the token can hold the server's sockets and memory: past the cap the
 * oldest unauthenticated connection is closed to admit the new one (an attacker must then outpace every
 * real request, rather than fill the slots once and keep them), and each one is closed when its
 * lifetime ends. A connection leaves the guard once a request on it proves a session or the token.
 *
 * Behind an ingress, the controller's pooled upstream connections carry many people's requests; one of
 * them proven once is exempt from then on. The ingress bounds its own pool.
 */
export class ConnectionGuard {
    /** In arrival order: the first is the oldest. */
    private readonly pending = new Map<Socket, NodeJS.Timeout>();

    constructor(private readonly settings: { max: number; lifetimeMs: number; log: (event: object) => void }) {}

    admit(socket: Socket): void {
        while (this.pending.size >= this.settings.max) {
            const [oldest] = this.pending.keys();
            this.settings.log({ event: "unauthenticated-evicted", from: oldest.remoteAddress });
            this.drop(oldest);
        }
        const timer = setTimeout(() => {
            this.settings.log({ event: "unauthenticated-timeout", from: socket.remoteAddress });
            this.drop(socket);
        }, this.settings.lifetimeMs);
        timer.unref();
        this.pending.set(socket, timer);
        socket.once("close", () => this.authenticated(socket));
    }

    /** The connection proved a session or the token: no cap or lifetime from now on. */
    authenticated(socket: Socket): void {
        clearTimeout(this.pending.get(socket));
        this.pending.delete(socket);
    }

    get unauthenticated(): number {
        return this.pending.size;
    }

    private drop(socket: Socket): void {
        this.authenticated(socket);
        socket.destroy();
    }
}
