import { randomBytes } from "node:crypto";
import { copyFile, mkdir, rename, stat, unlink, writeFile, chmod } from "node:fs/promises";
import path from "node:path";
import { ToolInputError } from "../tool-result.js";
import { specialFileKind } from "./paths.js";

/**
 * Writes through a temporary file in the same folder and renames it over the target, so readers
 * (and a crash halfway) see either the old or the new file, never a mix. Keeps the old file's mode.
 */
export async function writeFileAtomically(target: string, content: string, append: boolean): Promise<number> {
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = path.join(
        path.dirname(target),
        `.${path.basename(target)}.${randomBytes(4).toString("hex")}.tmp`,
    );
    const existing = await stat(target).catch(() => undefined);
    const existingMode = existing && existing.mode & 0o7777;
    const kind = existing && specialFileKind(existing);
    // Appending copies the old content first: copying from a pipe or device could wait or run forever.
    if (append && kind) {
        throw new ToolInputError(`path '${target}' is ${kind}, not a regular file; append to it with run_command`);
    }
    try {
        if (append && existingMode !== undefined) await copyFile(target, temporary);
        await writeFile(temporary, content, { flag: append ? "a" : "w" });
        if (existingMode !== undefined) await chmod(temporary, existingMode);
        await rename(temporary, target);
    } catch (error) {
        await unlink(temporary).catch(() => undefined);
        throw error;
    }
    return Buffer.byteLength(content);
}
