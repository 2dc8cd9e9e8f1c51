import os from "node:os";
import path from "node:path";
import { constants } from "node:fs";
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

/**
 * open() for reading, with the same "missing" message as statExisting. Non-blocking: opening a FIFO
 * for reading otherwise waits for a writer, holding one of libuv's four file-system threads; four such
 * calls would hang every later file operation, the token check of each request and /healthz included.
 * Callers refuse what is not a regular file (fstat) before reading from it.
 */
export async function openExisting(argument: string, resolved: string, hint: string): Promise<FileHandle> {
    try {
        return await open(resolved, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") {
            throw new ToolInputError(`${argument} '${resolved}' does not exist; ${hint}`);
        }
        throw error;
    }
}

/** What a path is when it is neither a regular file nor a directory: tools only read regular files. */
export function specialFileKind(info: Stats): string | undefined {
    if (info.isFile() || info.isDirectory()) return undefined;
    if (info.isFIFO()) return "a named pipe (FIFO)";
    if (info.isSocket()) return "a socket";
    if (info.isCharacterDevice()) return "a character device";
    if (info.isBlockDevice()) return "a block device";
    return "not a regular file";
}
