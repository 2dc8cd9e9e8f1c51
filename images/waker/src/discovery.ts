/**
 * Discovery is not work. Kagent's controller lists every RemoteMCPServer's tools about once a minute, and
 * a runtime initialises its pooled session and lists the tools before the model calls one: none of that
 * needs the computer. So such requests never count as activity, and while the computer sleeps they are
 * answered from the last answers the servers gave (both servers are stateless: an answer depends on the
 * request, not on a session). Only a request with real work (a tool call) wakes the computer; so does a
 * discovery request the waker has no answer for yet, once. The answers are also kept on the computer's
 * Deployment (an annotation, which the waker may patch already): a restarted waker starts from them, so
 * kagent's controller listing the tools right after a restart wakes no sleeping computer (a restart
 * would otherwise wake every agent at once, which a cluster sized for sleeping agents cannot hold).
 */

/** Methods that ask about the server and change nothing on the computer. */
const DISCOVERY_METHODS = new Set([
    "initialize",
    "ping",
    "tools/list",
    "resources/list",
    "resources/templates/list",
    "prompts/list",
]);

export interface DiscoveryRequest {
    id: unknown;
    /** The cache key (method, protocol version, cursor); undefined for a notification. */
    key: string | undefined;
}

interface JsonRpcMessage {
    jsonrpc?: unknown;
    id?: unknown;
    method?: unknown;
    params?: { protocolVersion?: unknown; cursor?: unknown } & Record<string, unknown>;
}

export type Classified =
    /** Only discovery requests and notifications: `key` per request (in order), undefined for notifications. */
    | { kind: "discovery"; batch: boolean; requests: DiscoveryRequest[] }
    /** Anything else, a body that is not JSON-RPC included (the server answers it as it would). */
    | { kind: "work" };

/** What a POST body asks for; the protocol version (header) is part of the key: answers differ by version. */
export function classify(body: Buffer, protocolHeader: string | undefined): Classified {
    let parsed: unknown;
    try {
        parsed = JSON.parse(body.toString("utf8"));
    } catch {
        return { kind: "work" };
    }
    const messages = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcMessage[];
    if (
        messages.length === 0 ||
        messages.some((m) => typeof m !== "object" || m === null || typeof m.method !== "string")
    ) {
        return { kind: "work" };
    }
    const requests: DiscoveryRequest[] = [];
    for (const message of messages) {
        const method = message.method as string;
        const notification = message.id === undefined;
        if (notification && method.startsWith("notifications/") && method !== "notifications/cancelled") {
            requests.push({ id: undefined, key: undefined });
            continue;
        }
        if (notification || !DISCOVERY_METHODS.has(method)) {
            return { kind: "work" };
        }
        const version = message.params?.protocolVersion ?? protocolHeader ?? "";
        const cursor = message.params?.cursor ?? "";
        requests.push({ id: message.id, key: `${method}|${String(version)}|${String(cursor)}` });
    }
    return { kind: "discovery", batch: Array.isArray(parsed), requests };
}

/** The JSON-RPC result inside a server's answer (plain JSON, or one `data:` event of an event stream). */
export function resultOf(contentType: string | undefined, text: string): unknown {
    let json = text;
    if (contentType?.startsWith("text/event-stream")) {
        const data = text
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trim());
        if (data.length !== 1) {
            return undefined;
        }
        json = data[0];
    }
    try {
        const message = JSON.parse(json) as { result?: unknown; error?: unknown };
        return message.error === undefined ? message.result : undefined;
    } catch {
        return undefined;
    }
}

/** The last result per discovery request of one server. */
export class DiscoveryCache {
    private readonly results: Map<string, unknown>;

    constructor(entries: Iterable<[string, unknown]> = []) {
        this.results = new Map(entries);
    }

    /** True when the result is new or differs from the one remembered. */
    remember(key: string, result: unknown): boolean {
        const changed = !this.results.has(key) || JSON.stringify(this.results.get(key)) !== JSON.stringify(result);
        this.results.set(key, result);
        return changed;
    }

    entries(): [string, unknown][] {
        return [...this.results];
    }

    /**
     * The answer to a whole discovery body ("" when it held only notifications), or undefined when some
     * request has no remembered result.
     */
    answer({ batch, requests }: { batch: boolean; requests: DiscoveryRequest[] }): string | undefined {
        const answers: unknown[] = [];
        for (const request of requests) {
            if (request.key === undefined) {
                continue; // a notification gets no answer
            }
            if (!this.results.has(request.key)) {
                return undefined;
            }
            answers.push({ jsonrpc: "2.0", id: request.id, result: this.results.get(request.key) });
        }
        if (answers.length === 0) {
            return "";
        }
        return JSON.stringify(batch ? answers : answers[0]);
    }
}

/** Above this the answers are not saved (annotations of one object share 256 KiB); kept in memory still. */
const MAX_SAVED_CHARS = 128 * 1024;

/**
 * One agent's remembered answers, per server, saved on its Deployment after each change (one save at a
 * time, the latest state wins) and read back from it at start.
 */
export class AgentDiscovery {
    private readonly caches = new Map<string, DiscoveryCache>();
    private saving: Promise<void> = Promise.resolve();
    private dirty = false;

    constructor(
        private readonly save: (text: string) => Promise<void>,
        private readonly log: (line: string) => void,
        saved?: string,
    ) {
        if (saved) {
            try {
                const servers = JSON.parse(saved) as Record<string, Record<string, unknown>>;
                for (const [server, results] of Object.entries(servers)) {
                    this.caches.set(server, new DiscoveryCache(Object.entries(results)));
                }
            } catch {
                this.log("waker: the saved discovery answers are not JSON: starting without them");
            }
        }
    }

    cache(server: string): DiscoveryCache {
        let cache = this.caches.get(server);
        if (!cache) {
            cache = new DiscoveryCache();
            this.caches.set(server, cache);
        }
        return cache;
    }

    remember(server: string, key: string, result: unknown): void {
        if (this.cache(server).remember(key, result) && !this.dirty) {
            this.dirty = true;
            this.saving = this.saving.then(() => this.saveNow());
        }
    }

    /** Resolves once every change so far is saved (or its save failed, which is logged). */
    saved(): Promise<void> {
        return this.saving;
    }

    private async saveNow(): Promise<void> {
        this.dirty = false;
        const text = JSON.stringify(
            Object.fromEntries(
                [...this.caches].map(([server, cache]) => [server, Object.fromEntries(cache.entries())]),
            ),
        );
        if (text.length > MAX_SAVED_CHARS) {
            this.log(`waker: discovery answers of ${text.length} characters not saved (over ${MAX_SAVED_CHARS})`);
            return;
        }
        try {
            await this.save(text);
        } catch (error) {
            this.log(`waker: saving the discovery answers failed: ${(error as Error).message}`);
        }
    }
}
