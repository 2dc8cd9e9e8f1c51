import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The page's files, loaded into memory at start: our own page (public/) and noVNC's ES modules
 * (core/, vendor/ of the @novnc/novnc package). Requests are answered by exact URL lookup, so no
 * request path ever reaches the file system. About 0.6 MB.
 */
export interface Asset {
    body: Buffer;
    type: string;
}

const TYPES: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
};

export function loadAssets(): Map<string, Asset> {
    const assets = new Map<string, Asset>();
    const publicDir = join(dirname(fileURLToPath(import.meta.url)), "..", "public");
    addTree(assets, publicDir, "/");
    // The package exports only core/rfb.js; its folders sit next to core/.
    const novnc = dirname(dirname(fileURLToPath(import.meta.resolve("@novnc/novnc"))));
    addTree(assets, join(novnc, "core"), "/novnc/core/");
    addTree(assets, join(novnc, "vendor"), "/novnc/vendor/");
    return assets;
}

function addTree(assets: Map<string, Asset>, root: string, prefix: string): void {
    const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
            const path = join(dir, name);
            if (statSync(path).isDirectory()) walk(path);
            else if (TYPES[extname(name)]) {
                assets.set(prefix + relative(root, path).split(sep).join("/"), {
                    body: readFileSync(path),
                    type: TYPES[extname(name)],
                });
            }
        }
    };
    walk(root);
}
