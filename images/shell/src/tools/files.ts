import type { Stats } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Config } from "../config.js";
import { writeFileAtomically } from "../files/atomic-write.js";
import { listDirectory } from "../files/list-directory.js";
import { openExisting, resolveAgentPath, specialFileKind, statExisting } from "../files/paths.js";
import { MAX_TEXT_BYTES, readTextSlice } from "../files/read-text.js";
import { EditTimeoutError, planEditSafely } from "../files/text-edit.js";
import type { ToolRegistry } from "../tool-registry.js";
import { textResult, ToolInputError } from "../tool-result.js";

const IMAGE_TYPES: Record<string, string> = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
};
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Largest file edit_file takes: it holds the file twice in memory (before and after) plus the diff. */
const MAX_EDIT_FILE_BYTES = 16 * 1024 * 1024;
const pathSchema = z.string().min(1).describe("File path; relative paths resolve against the workspace");

/** Reading a pipe, socket or device could wait forever or never end: those go through run_command. */
function refuseSpecialFile(filePath: string, info: Stats): void {
    const kind = specialFileKind(info);
    if (kind) {
        throw new ToolInputError(
            `path '${filePath}' is ${kind}, not a regular file; read or write it with run_command (e.g. timeout 5 cat)`,
        );
    }
}

export function registerFileTools(registry: ToolRegistry, config: Config): void {
    const resolve = (input: string) => resolveAgentPath(config.workspaceDir, input);

    registry.define({
        name: "read_file",
        description:
            "Read a text file, whole or a range of lines (offset is the first line, 1-based; limit the number of " +
            "lines). Images (png, jpeg, gif, webp) come back as image content. At most 4 MiB of text per call; " +
            "a single line longer than that is cut, and the result says how to read the rest.",
        inputSchema: {
            path: pathSchema,
            offset: z.number().int().min(1).optional().describe("First line to return, 1-based (default 1)"),
            limit: z.number().int().positive().optional().describe("Number of lines to return (default: to the end)"),
        },
        annotations: { readOnlyHint: true },
        handler: async ({ path: input, offset, limit }) => {
            const filePath = resolve(input);
            const file = await openExisting("path", filePath, "check the name with list_directory");
            let slice: Awaited<ReturnType<typeof readTextSlice>>;
            try {
                const info = await file.stat();
                if (info.isDirectory())
                    throw new ToolInputError(`path '${filePath}' is a directory; use list_directory`);
                refuseSpecialFile(filePath, info);
                const mimeType = IMAGE_TYPES[path.extname(filePath).toLowerCase()];
                if (mimeType) {
                    if (info.size > MAX_IMAGE_BYTES) {
                        throw new ToolInputError(
                            `path '${filePath}' is an image of ${info.size} bytes, over the ${MAX_IMAGE_BYTES}-byte limit`,
                        );
                    }
                    return { content: [{ type: "image", data: (await file.readFile()).toString("base64"), mimeType }] };
                }
                slice = await readTextSlice(file, filePath, info.size, offset ?? 1, limit);
            } finally {
                await file.close();
            }
            const result = textResult(slice.text);
            if (slice.cutLine) {
                const { line, bytes, shownBytes } = slice.cutLine;
                result.content.push({
                    type: "text",
                    text:
                        `[line ${line} is ${bytes} bytes; the first ${shownBytes} are shown (read_file returns at most ${MAX_TEXT_BYTES} bytes). ` +
                        `Read the rest of it with run_command (e.g. sed -n '${line}p' FILE | cut -c${shownBytes + 1}-${shownBytes + MAX_TEXT_BYTES})` +
                        (slice.more ? `; call read_file with offset=${line + 1} for the lines after it]` : "]"),
                });
            } else if (slice.more) {
                result.content.push({
                    type: "text",
                    text: `[lines ${slice.firstLine}-${slice.lastLine} shown; the file continues: call read_file with offset=${slice.lastLine + 1}]`,
                });
            }
            return result;
        },
    });

    registry.define({
        name: "write_file",
        description:
            "Write text to a file atomically (temporary file + rename), creating parent folders. With append=true " +
            "the text is added to the end of the existing file.",
        inputSchema: {
            path: pathSchema,
            content: z.string().describe("The text to write"),
            append: z.boolean().optional().describe("Append instead of replacing (default false)"),
        },
        annotations: { destructiveHint: true },
        handler: async ({ path: input, content, append }) => {
            const filePath = resolve(input);
            const bytes = await writeFileAtomically(filePath, content, append ?? false).catch(
                (error: NodeJS.ErrnoException) => {
                    if (error.code === "ENOTDIR" || error.code === "EEXIST") {
                        throw new ToolInputError(
                            `path '${filePath}' cannot be created: one of its parent folders is a file`,
                        );
                    }
                    if (error.code === "EISDIR")
                        throw new ToolInputError(`path '${filePath}' is a directory; pass a file path`);
                    throw error;
                },
            );
            return textResult(`${append ? "appended" : "wrote"} ${bytes} bytes to ${filePath}`);
        },
    });

    registry.define({
        name: "edit_file",
        description:
            "Replace one exact occurrence of old_text with new_text in a file and return a unified diff. old_text " +
            "must match exactly once (whitespace and line endings included); add surrounding lines to make it unique.",
        inputSchema: {
            path: pathSchema,
            old_text: z.string().min(1).describe("Text to replace; must occur exactly once in the file"),
            new_text: z.string().describe("Replacement text"),
        },
        annotations: { destructiveHint: true },
        handler: async ({ path: input, old_text, new_text }) => {
            const filePath = resolve(input);
            const info = await statExisting("path", filePath, "create it with write_file");
            if (info.isDirectory()) throw new ToolInputError(`path '${filePath}' is a directory, not a file`);
            if (info.size > MAX_EDIT_FILE_BYTES) {
                throw new ToolInputError(
                    `path '${filePath}' is ${info.size} bytes, over the ${MAX_EDIT_FILE_BYTES}-byte limit of edit_file; ` +
                        "edit it with run_command (sed, python) instead",
                );
            }
            refuseSpecialFile(filePath, info);
            const file = await openExisting("path", filePath, "create it with write_file");
            let before: string;
            try {
                // Checked again on the open file: the path may have been swapped for a pipe since the stat.
                refuseSpecialFile(filePath, await file.stat());
                before = await file.readFile("utf8");
            } finally {
                await file.close();
            }
            const plan = await planEditSafely(
                before,
                old_text,
                new_text,
                path.relative(config.workspaceDir, filePath) || filePath,
                config.editTimeoutMs,
            ).catch((error: unknown) => {
                if (!(error instanceof EditTimeoutError)) throw error;
                throw new ToolInputError(
                    `${error.message}, so it was stopped and '${filePath}' was left unchanged; ` +
                        "make the edit with run_command (sed, python) instead",
                );
            });
            if (plan.kind === "not_found") {
                throw new ToolInputError(
                    `old_text was not found in '${filePath}'; read_file it and copy the text exactly (whitespace and line endings count)`,
                );
            }
            if (plan.kind === "ambiguous") {
                throw new ToolInputError(
                    `old_text occurs ${plan.matches} times in '${filePath}' (lines ${plan.lines.join(", ")}); ` +
                        "include more surrounding text so that it matches exactly once",
                );
            }
            await writeFileAtomically(filePath, plan.after, false);
            return textResult(plan.diff ?? "");
        },
    });

    registry.define({
        name: "list_directory",
        description:
            "List a folder's entries sorted by name; folders end with '/', symlinks with '@'. recursive=true lists " +
            "the whole tree (paths relative to the folder, symlinks not followed).",
        inputSchema: {
            path: z
                .string()
                .min(1)
                .describe("Folder path; relative paths resolve against the workspace ('.' is the workspace)"),
            recursive: z.boolean().optional().describe("Descend into subfolders (default false)"),
            max_entries: z
                .number()
                .int()
                .positive()
                .max(100000)
                .optional()
                .describe("Most entries to return (default 2000)"),
        },
        annotations: { readOnlyHint: true },
        handler: async ({ path: input, recursive, max_entries }) => {
            const folder = resolve(input);
            const info = await statExisting("path", folder, "check the parent folder with list_directory");
            if (!info.isDirectory())
                throw new ToolInputError(`path '${folder}' is a file, not a directory; use read_file`);
            const maxEntries = max_entries ?? 2000;
            const listing = await listDirectory(folder, recursive ?? false, maxEntries);
            const lines = listing.entries;
            if (listing.truncated) {
                lines.push(`[truncated at ${maxEntries} entries; raise max_entries or list a subfolder]`);
            }
            return textResult(lines.length ? lines.join("\n") : "[empty directory]");
        },
    });
}
