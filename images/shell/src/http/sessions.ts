import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

export interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  /** Requests of this session being answered now; a busy session is never evicted. */
  inFlight: number;
}

/**
 * The MCP sessions held in memory (~100 kB each). Bounded two ways: a session idle for `idleMs` is
 * closed (clients that vanish without DELETE, e.g. kagent's controller reconnecting every minute),
 * and at `maxSessions` the least recently used idle session makes room for a new one. A closed
 * session's client gets 404 on its next request and re-initialises, as the MCP spec prescribes.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly maxSessions: number,
    private readonly idleMs: number,
  ) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(60_000, Math.max(250, idleMs / 2)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The live session with this id; one past its idle limit is closed here rather than served. */
  get(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (session && this.isIdle(session, Date.now())) {
      this.close(id, session);
      return undefined;
    }
    return session;
  }

  add(id: string, session: Session): void {
    this.sessions.set(id, session);
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Closes idle sessions and, at the cap, the least recently used idle one; false when all are busy. */
  makeRoom(): boolean {
    this.closeIdle();
    while (this.sessions.size >= this.maxSessions) {
      let oldest: [string, Session] | undefined;
      for (const entry of this.sessions) {
        if (entry[1].inFlight === 0 && (!oldest || entry[1].lastSeen < oldest[1].lastSeen)) oldest = entry;
      }
      if (!oldest) return false;
      this.close(...oldest);
    }
    return true;
  }

  /** Marks a request of the session as running until `done` fires. */
  track(session: Session, done: (listener: () => void) => void): void {
    session.inFlight++;
    session.lastSeen = Date.now();
    done(() => {
      session.inFlight--;
      session.lastSeen = Date.now();
    });
  }

  private isIdle(session: Session, now: number): boolean {
    return session.inFlight === 0 && now - session.lastSeen > this.idleMs;
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) if (this.isIdle(session, now)) this.close(id, session);
  }

  private close(id: string, session: Session): void {
    this.sessions.delete(id);
    void session.server.close().catch(() => undefined);
  }
}
