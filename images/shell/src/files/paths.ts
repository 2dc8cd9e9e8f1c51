import os from "node:os";
import path from "node:path";
import { open, stat, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import { ToolInputError } from "../tool-result.js";

/** Relative paths are the workspace's; `~` is the agent's home, as in the shell. */
export function resolveAgentPath(workspaceDir: string, input: string): string {
    if (input === "~") return os.homedir();
    if (input.startsWith("~/")) return path.join(os.homedir(), input.slice(2));
    return path.resolve(workspaceDir, input);
}

/** stat() that turns "missing" into an error naming the argument and what to do about it. */
export async function statExisting(argument: string, resolved: string, hint: string): Promise<Stats> {
    try {
        return await stat(resolved);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") {
            throw new ToolInputError(`${argument} '${resolved}' does not exist; ${hint}`);
        }
        throw error;
    }
}

/** open() for reading, with the same "missing" message as statExisting. */
export async function openExisting(argument: string, resolved: string, hint: string): Promise<FileHandle> {
    try {
        return await open(resolved, "r");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") {
            throw new ToolInputError(`${argument} '${resolved}' does not exist; ${hint}`);
        }
        throw error;
    }
}
