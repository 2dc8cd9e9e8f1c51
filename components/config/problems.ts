/**
 * Collects every configuration problem before anything is registered, so that one `pulumi preview`
 * shows the operator all of them at once, each with its path and the fix.
 */
import type { z } from "zod";

/**
 * Stands for the issue's own path in a message (a refinement does not know where its value sits);
 * problems.ts puts the path in, e.g. for "pulumi config set --path '<the path>' …".
 */
export const OWN_PATH = "\u0000path\u0000";

export class Problems {
    private readonly found: string[] = [];

    add(path: string, message: string): void {
        this.found.push(`${path}: ${message.split(OWN_PATH).join(path)}`);
    }

    /** zod's issues, each under its path (e.g. `agents[0].storage.workspace`). */
    addIssues(issues: readonly z.core.$ZodIssue[], root: readonly PropertyKey[] = []): void {
        for (const issue of issues) {
            const path = [...root, ...issue.path];
            if (issue.code === "unrecognized_keys") {
                // One issue per object; fields.strictObject wrote one line per key, in the same order.
                const lines = issue.message.split("\n");
                issue.keys.forEach((key, index) => {
                    this.add(formatPath([...path, key]), lines[index] ?? "unknown key");
                });
            } else if (issue.code === "invalid_key" || issue.code === "invalid_element") {
                this.addIssues(issue.issues, path);
            } else {
                this.add(formatPath(path), issue.message);
            }
        }
    }

    get list(): readonly string[] {
        return this.found;
    }

    get any(): boolean {
        return this.found.length > 0;
    }
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `The stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** `["agents", 0, "storage"]` → `agents[0].storage`; the empty path is the config's top level. */
export function formatPath(path: readonly PropertyKey[]): string {
    let text = "";
    for (const segment of path) {
        text += typeof segment === "number" ? `[${segment}]` : `${text === "" ? "" : "."}${String(segment)}`;
    }
    return text === "" ? "(stack config)" : text;
}

/** A value as it appears in a message: strings quoted, absence spelt out. */
export function describe(value: unknown): string {
    return value === undefined ? "missing" : JSON.stringify(value);
}
