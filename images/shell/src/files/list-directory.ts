import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

export interface Listing {
    entries: string[];
    truncated: boolean;
}

function describe(entry: Dirent, relative: string): string {
    if (entry.isDirectory()) return `${relative}/`;
    if (entry.isSymbolicLink()) return `${relative}@`;
    return relative;
}

/**
 * Sorted names, directories marked with a trailing `/` and symlinks with `@` (like `ls -F`).
 * Recursive listings go depth-first with paths relative to the listed folder and do not follow
 * symlinks; unreadable subfolders are skipped rather than failing the whole listing.
 */
export async function listDirectory(root: string, recursive: boolean, maxEntries: number): Promise<Listing> {
    const entries: string[] = [];
    const visit = async (folder: string, prefix: string): Promise<boolean> => {
        let children: Dirent[];
        try {
            children = await readdir(folder, { withFileTypes: true });
        } catch (error) {
            if (prefix === "") throw error;
            return true;
        }
        children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const child of children) {
            if (entries.length >= maxEntries) return false;
            const relative = prefix + child.name;
            entries.push(describe(child, relative));
            if (recursive && child.isDirectory()) {
                if (!(await visit(path.join(folder, child.name), `${relative}/`))) return false;
            }
        }
        return true;
    };
    const complete = await visit(root, "");
    return { entries, truncated: !complete };
}
