import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";

/**
 * A git smart-HTTP server for tests: `git http-backend` (CGI) behind a Node HTTP server that
 * demands HTTP basic auth, like the Gitea instance the agents clone from.
 */
export async function startGitHttpServer(
    projectRoot: string,
    user: string,
    password: string,
): Promise<{ server: Server; port: number }> {
    const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    const server = createServer((req, res) => {
        if (req.headers.authorization !== expected) {
            res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end("authentication required\n");
            return;
        }
        const url = new URL(req.url ?? "/", "http://localhost");
        const backend = spawn("git", ["http-backend"], {
            env: {
                PATH: process.env.PATH,
                GIT_PROJECT_ROOT: projectRoot,
                GIT_HTTP_EXPORT_ALL: "1",
                REQUEST_METHOD: req.method,
                PATH_INFO: decodeURIComponent(url.pathname),
                QUERY_STRING: url.search.slice(1),
                CONTENT_TYPE: req.headers["content-type"] ?? "",
                HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
                HTTP_GIT_PROTOCOL: (req.headers["git-protocol"] as string | undefined) ?? "",
                REMOTE_USER: user,
                REMOTE_ADDR: "127.0.0.1",
            },
            stdio: ["pipe", "pipe", "inherit"],
        });
        req.pipe(backend.stdin);
        // CGI output: headers, a blank line, then the body.
        let buffered = Buffer.alloc(0);
        let headersDone = false;
        backend.stdout.on("data", (chunk: Buffer) => {
            if (headersDone) {
                res.write(chunk);
                return;
            }
            buffered = Buffer.concat([buffered, chunk]);
            const end = buffered.indexOf("\r\n\r\n");
            if (end === -1) return;
            headersDone = true;
            let status = 200;
            for (const line of buffered.subarray(0, end).toString("latin1").split("\r\n")) {
                const colon = line.indexOf(":");
                const name = line.slice(0, colon).trim();
                const value = line.slice(colon + 1).trim();
                if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
                else res.setHeader(name, value);
            }
            res.writeHead(status);
            res.write(buffered.subarray(end + 4));
        });
        backend.on("close", () => res.end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, port: (server.address() as { port: number }).port };
}
