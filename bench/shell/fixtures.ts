import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface Fixtures {
    root: string;
    /** A clean HOME for every server: no dotfiles of this machine in `bash -l`, no peer config leaks. */
    home: string;
    workspace: string;
    small: string;
    large: string;
    folder: string;
}

function textOfSize(bytes: number): string {
    const line = "the quick brown fox jumps over the lazy dog 0123456789 abcdefghij\n"; // 64 bytes
    return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

export async function createFixtures(): Promise<Fixtures> {
    const root = await mkdtemp(path.join(os.tmpdir(), "shell-bench-"));
    const home = path.join(root, "home");
    const workspace = path.join(root, "workspace");
    const folder = path.join(workspace, "thousand");
    await mkdir(folder, { recursive: true });
    await mkdir(home, { recursive: true });
    const small = path.join(workspace, "small-4k.txt");
    const large = path.join(workspace, "large-1m.txt");
    await writeFile(small, textOfSize(4 * 1024));
    await writeFile(large, textOfSize(1024 * 1024));
    for (let i = 0; i < 1000; i++) {
        await writeFile(path.join(folder, `entry-${String(i).padStart(4, "0")}.txt`), "x");
    }
    // desktop-commander reads its config from ~/.claude-server-commander: telemetry off, no network.
    await mkdir(path.join(home, ".claude-server-commander"), { recursive: true });
    await writeFile(
        path.join(home, ".claude-server-commander", "config.json"),
        JSON.stringify({ telemetryEnabled: false, allowedDirectories: [], blockedCommands: [] }),
    );
    return { root, home, workspace, small, large, folder };
}
