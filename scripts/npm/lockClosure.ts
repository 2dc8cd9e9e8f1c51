/**
 * The packages an npm project installs, read from a lockfile (v3 `packages`) by Node's resolution:
 * `name@version` of every package its dependencies reach, from a workspace of a root lockfile or from a
 * lockfile of its own. scripts/npm/image-locks.ts compares the two for the images' standalone lockfiles.
 */
import * as fs from "node:fs";

interface LockEntry {
    version?: string;
    link?: boolean;
    resolved?: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface Lockfile {
    lockfileVersion: number;
    packages: Record<string, LockEntry>;
}

export function readLockfile(file: string): Lockfile {
    const lock = JSON.parse(fs.readFileSync(file, "utf8")) as Lockfile;
    if (lock.lockfileVersion !== 3) {
        throw new Error(`${file}: lockfileVersion ${lock.lockfileVersion}; npm 9+ writes 3`);
    }
    return lock;
}

/** Where Node finds `name` from the package at `from` (a lockfile key; "" is the root). */
function resolve(lock: Lockfile, from: string, name: string): string | undefined {
    let dir = from;
    for (;;) {
        const candidate = `${dir === "" ? "" : `${dir}/`}node_modules/${name}`;
        if (candidate in lock.packages) {
            return candidate;
        }
        if (dir === "") {
            return undefined;
        }
        const nested = dir.lastIndexOf("/node_modules/");
        dir = nested >= 0 ? dir.slice(0, nested) : "";
    }
}

/**
 * `name@version` of everything the project at `start` installs: its dependencies (and its own dev
 * dependencies: an image's build needs them), and theirs, peers included, as the lockfile resolves them.
 */
export function closure(lock: Lockfile, start: string): Set<string> {
    const found = new Set<string>();
    const seen = new Set<string>();
    const root = lock.packages[start];
    if (root === undefined) {
        throw new Error(`the lockfile has no package at "${start}"`);
    }
    const visit = (from: string, entry: LockEntry, withDev: boolean) => {
        const optionalPeers = new Set(
            Object.entries(entry.peerDependenciesMeta ?? {})
                .filter(([, meta]) => meta.optional)
                .map(([name]) => name),
        );
        const names = new Set([
            ...Object.keys(entry.dependencies ?? {}),
            ...Object.keys(entry.optionalDependencies ?? {}),
            ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
            ...(withDev ? Object.keys(entry.devDependencies ?? {}) : []),
        ]);
        for (const name of names) {
            const location = resolve(lock, from, name);
            const target = location === undefined ? undefined : lock.packages[location];
            if (location === undefined || target === undefined || target.link) {
                // Not installed (an optional dependency of another platform), or a workspace link.
                continue;
            }
            found.add(`${name}@${target.version}`);
            if (!seen.has(location)) {
                seen.add(location);
                visit(location, target, false);
            }
        }
    };
    visit(start, root, true);
    return found;
}
