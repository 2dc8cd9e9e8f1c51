import type { ServerResponse } from "node:http";

export function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
): void {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

export function jsonRpcError(
    res: ServerResponse,
    status: number,
    code: number,
    message: string,
    headers: Record<string, string> = {},
): void {
    sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null }, headers);
}
