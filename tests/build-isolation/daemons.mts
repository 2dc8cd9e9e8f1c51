// Real BuildKit daemons and clients for tests/build-isolation: certificates issued from the stack's
// certificate specs (components/plan/buildService.ts), each daemon started with the arguments the stack
// gives it, as root of a user namespace of its own (as a pod with `hostUsers: false`), and buildctl.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { SANDBOX_CAPABILITIES, TLS_FILES } from "../../components/contract/buildService.ts";
import { type CertificateSpec, buildCertificates, buildDaemonArgs } from "../../components/plan/buildService.ts";

export const BUILD_NAMESPACE = "agent-builds";
const USERNS_RUN = new URL("./userns-run.py", import.meta.url).pathname;

export interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

export function run(
    command: string,
    args: string[],
    options: { timeout?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
    return new Promise((resolve) => {
        execFile(
            command,
            args,
            { timeout: options.timeout ?? 120_000, maxBuffer: 64 << 20, env: options.env },
            (error, stdout, stderr) => {
                const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
                resolve({ code, stdout: String(stdout), stderr: String(stderr) });
            },
        );
    });
}

async function must(command: string, args: string[]): Promise<string> {
    const result = await run(command, args);
    if (result.code !== 0) {
        throw new Error(`${command} ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
    }
    return result.stdout;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
        });
    });
}

/** @pulumi/tls usage names as openssl extension values. */
const KEY_USAGES: Record<string, string> = {
    digital_signature: "digitalSignature",
    key_encipherment: "keyEncipherment",
    cert_signing: "keyCertSign",
    crl_signing: "cRLSign",
};
const EXTENDED_USAGES: Record<string, string> = { server_auth: "serverAuth", client_auth: "clientAuth" };

function extensions(spec: CertificateSpec, ca: boolean): string {
    const unknown = spec.usages.filter((u) => !(u in KEY_USAGES) && !(u in EXTENDED_USAGES));
    if (unknown.length > 0) {
        throw new Error(`no openssl equivalent for usages ${unknown.join(", ")}`);
    }
    const lines = [`basicConstraints=critical,CA:${ca ? "TRUE" : "FALSE"}`];
    const keyUsage = spec.usages.filter((u) => u in KEY_USAGES).map((u) => KEY_USAGES[u]);
    const extended = spec.usages.filter((u) => u in EXTENDED_USAGES).map((u) => EXTENDED_USAGES[u]);
    if (keyUsage.length > 0) lines.push(`keyUsage=critical,${keyUsage.join(",")}`);
    if (extended.length > 0) lines.push(`extendedKeyUsage=${extended.join(",")}`);
    if (spec.dnsNames.length > 0) lines.push(`subjectAltName=${spec.dnsNames.map((n) => `DNS:${n}`).join(",")}`);
    return `${lines.join("\n")}\n`;
}

/** PEM files of one agent's CA, server and client, issued as the stack's specs say (ECDSA P-256). */
export interface AgentTls {
    caCert: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
}

async function issue(dir: string, name: string, spec: CertificateSpec, signer?: { cert: string; key: string }) {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.pem`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, extensions(spec, signer === undefined));
    await must("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
    const days = String(Math.floor(spec.validityHours / 24));
    const subject = `/CN=${spec.commonName}`;
    if (signer === undefined) {
        await must("openssl", [
            "req",
            "-x509",
            "-new",
            "-key",
            key,
            "-subj",
            subject,
            "-days",
            days,
            "-out",
            cert,
            "-extensions",
            "v3",
            "-config",
            await section(dir, name, ext),
        ]);
    } else {
        const csr = join(dir, `${name}.csr`);
        await must("openssl", ["req", "-new", "-key", key, "-subj", subject, "-out", csr]);
        await must("openssl", [
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            signer.cert,
            "-CAkey",
            signer.key,
            "-CAcreateserial",
            "-days",
            days,
            "-out",
            cert,
            "-extfile",
            ext,
        ]);
    }
    return { cert, key };
}

/** openssl req -x509 takes extensions from a config section. */
async function section(dir: string, name: string, ext: string): Promise<string> {
    const config = join(dir, `${name}.cnf`);
    writeFileSync(config, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${readFileSync(ext, "utf8")}`);
    return config;
}

export async function issueAgentTls(dir: string, agent: string): Promise<AgentTls> {
    mkdirSync(dir, { recursive: true });
    const specs = buildCertificates(agent, BUILD_NAMESPACE);
    const ca = await issue(dir, "ca", specs.ca);
    const server = await issue(dir, "server", specs.server, ca);
    const client = await issue(dir, "client", specs.client, ca);
    return {
        caCert: ca.cert,
        serverCert: server.cert,
        serverKey: server.key,
        clientCert: client.cert,
        clientKey: client.key,
    };
}

/** A folder laid out as the Secret volume would be (ca.pem, cert.pem, key.pem), owned by `uid`. */
export function tlsDir(dir: string, files: { ca: string; cert: string; key: string }, uid = 0): string {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    copyFileSync(files.ca, join(dir, TLS_FILES.ca));
    copyFileSync(files.cert, join(dir, TLS_FILES.cert));
    copyFileSync(files.key, join(dir, TLS_FILES.key));
    for (const file of [dir, ...Object.values(TLS_FILES).map((f) => join(dir, f))]) {
        chownSync(file, uid, uid);
    }
    return dir;
}

export interface Daemon {
    agent: string;
    port: number;
    hostId: number;
    root: string;
    process: ChildProcess;
    log: string;
    stop(): Promise<void>;
}

/**
 * One agent's daemon: the stack's arguments (its TLS folder and a loopback address instead of the pod's),
 * run as root of a user namespace mapped to host IDs hostId..hostId+65535, with a state folder only that
 * range owns.
 */
export async function startDaemon(options: {
    work: string;
    buildkitd: string;
    agent: string;
    tls: AgentTls;
    hostId: number;
    processSandbox: boolean;
    name?: string;
}): Promise<Daemon> {
    const name = options.name ?? options.agent;
    const base = join(options.work, `daemon-${name}`);
    mkdirSync(base, { recursive: true });
    chmodSync(base, 0o755);
    const root = join(base, "state");
    mkdirSync(root, { mode: 0o700 });
    chownSync(root, options.hostId, options.hostId);
    const tls = tlsDir(
        join(base, "tls"),
        { ca: options.tls.caCert, cert: options.tls.serverCert, key: options.tls.serverKey },
        options.hostId,
    );
    // Its own temporary folder, as a container's /tmp (the test's TMPDIR is root's).
    const tmp = join(base, "tmp");
    mkdirSync(tmp, { mode: 0o700 });
    chownSync(tmp, options.hostId, options.hostId);
    const config = join(base, "buildkitd.toml");
    writeFileSync(
        config,
        '[worker.oci]\n  enabled = true\n  snapshotter = "native"\n[worker.containerd]\n  enabled = false\n',
    );
    const port = await freePort();
    const args = [
        ...buildDaemonArgs({ processSandbox: options.processSandbox, tlsDir: tls, addr: `tcp://127.0.0.1:${port}` }),
        "--config",
        config,
        "--root",
        root,
    ];
    const log = join(base, "buildkitd.log");
    const out = openSync(log, "w");
    // The container's limits inside its user namespace: only the capabilities the stack grants, and
    // no_new_privs (allowPrivilegeEscalation: false).
    const limits = [
        "setpriv",
        "--no-new-privs",
        `--bounding-set=-all,${SANDBOX_CAPABILITIES.map((c) => `+${c.toLowerCase()}`).join(",")}`,
    ];
    const child = spawn("python3", [USERNS_RUN, String(options.hostId), "--", ...limits, options.buildkitd, ...args], {
        stdio: ["ignore", out, out],
        env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", TMPDIR: tmp },
    });
    const daemon: Daemon = {
        agent: options.agent,
        port,
        hostId: options.hostId,
        root,
        process: child,
        log,
        stop: () =>
            new Promise((resolve) => {
                if (child.exitCode !== null || child.signalCode !== null) return resolve();
                const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
                child.once("exit", () => {
                    clearTimeout(timer);
                    resolve();
                });
                child.kill("SIGTERM");
            }),
    };
    const deadline = Date.now() + 30_000;
    while (!readFileSync(log, "utf8").includes("running server on")) {
        if (child.exitCode !== null || Date.now() > deadline) {
            await daemon.stop();
            throw new Error(`buildkitd for ${name} did not start:\n${readFileSync(log, "utf8").slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    return daemon;
}
