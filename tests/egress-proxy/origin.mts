// The "internet" of the egress proxy tests: one HTTPS server on loopback, with a certificate of a test
// CA for several names (allowed.test, denied.test, a.wild.test, git.test); the proxy resolves every
// name to 127.0.0.1 (a hosts_file of the test), so which name a client asks for decides what the proxy
// allows. It serves:
//   GET  /hello                     text naming the Host header and whether an Authorization came along
//   GET  /bytes/<n>                 n bytes (downloads for the benchmark)
//   GET  /simple/tinypkg/ + wheel   a PEP 503 index with one wheel, for pip
//   /git/<repo>.git/...             git smart HTTP behind basic auth (images/shell/test/git-http-server.ts)
// Requests for git-upload-pack can be held for a while (holdUploadPackMs), so that a test can look into
// the git client's memory while the clone is under way.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { startGitHttpServer } from "../../images/shell/test/git-http-server.ts";

export const NAMES = ["allowed.test", "denied.test", "a.wild.test", "git.test"];

export interface Origin {
    port: number;
    caFile: string;
    /** Every request the origin saw: host, path and the Authorization header. */
    seen: { host: string; path: string; authorization?: string }[];
    holdUploadPackMs: number;
    /** Resolves when the next upload-pack request arrives and is being held (the clone is mid-way). */
    nextHold(): Promise<void>;
    close(): Promise<void>;
}

/** A CA and a server certificate for NAMES, made with the openssl CLI (as the image makes its peek key). */
function makeCertificates(dir: string): { caFile: string; key: Buffer; cert: Buffer } {
    const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    const at = (name: string) => join(dir, name);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        "req",
        "-x509",
        ...ec,
        "-subj",
        "/CN=egress test CA",
        "-days",
        "2",
        "-keyout",
        at("ca.key"),
        "-out",
        at("ca.pem"),
    );
    openssl("req", "-new", ...ec, "-subj", "/CN=allowed.test", "-keyout", at("server.key"), "-out", at("server.csr"));
    writeFileSync(at("san.ext"), `subjectAltName=${NAMES.map((name) => `DNS:${name}`).join(",")}\n`);
    openssl(
        "x509",
        "-req",
        "-in",
        at("server.csr"),
        "-CA",
        at("ca.pem"),
        "-CAkey",
        at("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        at("san.ext"),
        "-out",
        at("server.pem"),
    );
    return { caFile: at("ca.pem"), key: readFileSync(at("server.key")), cert: readFileSync(at("server.pem")) };
}

/** A minimal wheel (a zip with the dist-info files pip checks), stored uncompressed where that is simpler. */
function tinyWheel(): { name: string; bytes: Buffer } {
    const dist = "tinypkg-0.1.dist-info";
    const files: [string, string][] = [
        ["tinypkg/__init__.py", 'GREETING = "installed through the egress proxy"\n'],
        [`${dist}/METADATA`, "Metadata-Version: 2.1\nName: tinypkg\nVersion: 0.1\n"],
        [
            `${dist}/WHEEL`,
            "Wheel-Version: 1.0\nGenerator: egress-proxy-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ],
    ];
    const record = `${files.map(([name]) => `${name},,`).join("\n")}\n${dist}/RECORD,,\n`;
    files.push([`${dist}/RECORD`, record]);
    return { name: "tinypkg-0.1-py3-none-any.whl", bytes: zip(files) };
}

/** A zip archive (deflate) of text files: enough of APPNOTE.TXT for pip's zipfile reader. */
function zip(files: [string, string][]): Buffer {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const [name, text] of files) {
        const data = Buffer.from(text);
        const packed = deflateRawSync(data);
        const nameBytes = Buffer.from(name);
        const crc = crc32(data);
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt16LE(20, 4);
        local.writeUInt16LE(8, 8);
        local.writeUInt32LE(crc, 14);
        local.writeUInt32LE(packed.length, 18);
        local.writeUInt32LE(data.length, 22);
        local.writeUInt16LE(nameBytes.length, 26);
        const central = Buffer.alloc(46);
        central.writeUInt32LE(0x02014b50, 0);
        central.writeUInt16LE(20, 4);
        central.writeUInt16LE(20, 6);
        central.writeUInt16LE(8, 10);
        central.writeUInt32LE(crc, 16);
        central.writeUInt32LE(packed.length, 20);
        central.writeUInt32LE(data.length, 24);
        central.writeUInt16LE(nameBytes.length, 28);
        central.writeUInt32LE(offset, 42);
        locals.push(local, nameBytes, packed);
        centrals.push(central, nameBytes);
        offset += local.length + nameBytes.length + packed.length;
    }
    const centralBytes = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(files.length, 8);
    end.writeUInt16LE(files.length, 10);
    end.writeUInt32LE(centralBytes.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, centralBytes, end]);
}

function crc32(data: Buffer): number {
    let crc = 0xffffffff;
    for (const byte of data) {
        crc ^= byte;
        for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
    }
    return (crc ^ 0xffffffff) >>> 0;
}

/** A bare repository `<root>/projects/repo.git` with one commit. */
function makeRepository(root: string): string {
    const projects = join(root, "projects");
    const seed = join(root, "seed");
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
    const git = (...args: string[]) => execFileSync("git", args, { env, stdio: ["ignore", "ignore", "pipe"] });
    mkdirSync(projects, { recursive: true });
    git("init", "--quiet", "--bare", "-b", "main", join(projects, "repo.git"));
    git("init", "--quiet", "-b", "main", seed);
    writeFileSync(join(seed, "README"), "cloned through the egress proxy\n");
    git("-C", seed, "add", "README");
    git("-C", seed, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "-m", "seed");
    git("-C", seed, "push", "--quiet", join(projects, "repo.git"), "main");
    return projects;
}

/** `host`: the address to listen on (the node tier's pods reach the host's end of the node's link). */
export async function startOrigin(
    dir: string,
    git: { user: string; token: string },
    host = "127.0.0.1",
): Promise<Origin> {
    mkdirSync(dir, { recursive: true });
    const { caFile, key, cert } = makeCertificates(dir);
    const wheel = tinyWheel();
    const backend = await startGitHttpServer(makeRepository(dir), git.user, git.token);
    let holdStarted: (() => void)[] = [];
    const origin: Origin = {
        port: 0,
        caFile,
        seen: [],
        holdUploadPackMs: 0,
        nextHold: () => new Promise<void>((resolve) => holdStarted.push(resolve)),
        close: async () => {},
    };

    const server: Server = createServer({ key, cert }, (req, res) => {
        const host = (req.headers.host ?? "").replace(/:\d+$/, "");
        const path = req.url ?? "/";
        origin.seen.push({ host, path, authorization: req.headers.authorization });
        if (path === "/hello") {
            res.writeHead(200, { "content-type": "text/plain" });
            res.end(`hello from ${host}; authorization ${req.headers.authorization ? "present" : "absent"}\n`);
        } else if (path.startsWith("/bytes/")) {
            const size = Number.parseInt(path.slice("/bytes/".length), 10);
            res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
            const chunk = Buffer.alloc(64 * 1024, 0x61);
            let left = size;
            const pump = () => {
                while (left > 0) {
                    const piece = chunk.subarray(0, Math.min(left, chunk.length));
                    left -= piece.length;
                    if (!res.write(piece)) return void res.once("drain", pump);
                }
                res.end();
            };
            pump();
        } else if (path === "/simple/tinypkg/") {
            res.writeHead(200, { "content-type": "text/html" });
            res.end(`<!DOCTYPE html><html><body><a href="/files/${wheel.name}">${wheel.name}</a></body></html>\n`);
        } else if (path === `/files/${wheel.name}`) {
            res.writeHead(200, { "content-type": "application/octet-stream" });
            res.end(wheel.bytes);
        } else if (path.startsWith("/git/")) {
            const forward = () => {
                const upstream = httpRequest(
                    {
                        host: "127.0.0.1",
                        port: backend.port,
                        method: req.method,
                        path: path.slice("/git".length),
                        headers: req.headers,
                    },
                    (answer) => {
                        res.writeHead(answer.statusCode ?? 502, answer.headers);
                        answer.pipe(res);
                    },
                );
                req.pipe(upstream);
            };
            const hold = path.endsWith("/git-upload-pack") ? origin.holdUploadPackMs : 0;
            if (hold > 0) {
                for (const resolve of holdStarted) resolve();
                holdStarted = [];
            }
            setTimeout(forward, hold);
        } else {
            res.writeHead(404).end("not found\n");
        }
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    origin.port = (server.address() as { port: number }).port;
    origin.close = async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        backend.server.closeAllConnections();
        await new Promise<void>((resolve) => backend.server.close(() => resolve()));
    };
    return origin;
}
