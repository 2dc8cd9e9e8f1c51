// Renders an ESO template (engine v2: Go text/template + sprig) as ESO does, with the shell tests' renderer
// (images/shell/test/eso-template, built once from the Go module proxy).
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";

const BUILD = new URL("../../images/shell/test/eso-template/build.sh", import.meta.url).pathname;

export async function renderLikeEso(template: string, data: Record<string, string>): Promise<string> {
    const { stdout: renderer } = await promisify(execFile)(BUILD, { timeout: 300_000 });
    return new Promise((resolve, reject) => {
        const child = spawn(renderer.trim(), [], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("close", (code) =>
            code === 0 ? resolve(stdout) : reject(new Error(`ESO template render failed: ${stderr}`)),
        );
        child.stdin.end(JSON.stringify({ template, data }));
    });
}
