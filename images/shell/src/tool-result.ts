import type { CallToolResult } from "@modelcontextprotocol/server";

/** A failure the agent can act on: the message names the argument and how to fix it. */
export class ToolInputError extends Error {}

export function toolError(message: string): CallToolResult {
    return { content: [{ type: "text", text: message }], isError: true };
}

/** Structured result, mirrored as JSON text for clients that only read `content`. */
export function structuredResult(data: Record<string, unknown>): CallToolResult {
    return { content: [{ type: "text", text: JSON.stringify(data, null, 2) }], structuredContent: data };
}

export function textResult(text: string): CallToolResult {
    return { content: [{ type: "text", text }] };
}
