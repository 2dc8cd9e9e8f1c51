/**
 * Discovery is not work. Kagent's controller lists every RemoteMCPServer's tools about once a minute, and
 * a runtime initialises its pooled session and lists the tools before the model calls one: none of that
 * needs the computer. So such requests never count as activity, and while the computer sleeps they are
 * answered from the last answers the servers gave (both servers are stateless: an answer depends on the
 * request, not on a session). Only a request with real work (a tool call) wakes the computer; so does a
 * discovery request the waker has no answer for yet (after its own restart), once.
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
    private readonly results = new Map<string, unknown>();

    remember(key: string, result: unknown): void {
        this.results.set(key, result);
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
