// Runs the egress proxy's programs as processes, as the image runs them: images/egress-proxy/squid.conf
// with the rules components/render/squidRules.ts renders, started by the image's own
// start-egress-proxy.sh, and mtail with the image's program and the stack's arguments. Only what a
// process on a shared machine must change is changed: ports (ephemeral), folders (the test's), the
// error template folder (the image installs ERR_EGRESS_DENIED beside Debian's templates), and a
// hosts_file resolving the origin's names to 127.0.0.1. Each substitution must match, or the test fails.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { mtailArgs, PATHS } from "../../components/contract/egressProxy.ts";
import { BROKER_GIT_FILE } from "../../components/contract/egressProxy.ts";
import { type SquidRulesOptions, squidRules } from "../../components/render/squidRules.ts";

const IMAGE = new URL("../../images/egress-proxy/", import.meta.url).pathname;
const DEBIAN_TEMPLATES = "/usr/share/squid/errors/templates";
/** squid and mtail run as the pods' UID when the tests run as root (squid would switch to `proxy`). */
const RUN_AS = process.getuid?.() === 0 ? 1000 : undefined;

export interface RunningProxy {
    port: number;
    metricsPort: number;
    dir: string;
    rulesDir: string;
    brokerDir: string;
    /** Everything squid and the start script printed (access log lines included). */
    output(): string;
    /** Re-renders the rules (the kubelet's in-place update of the ConfigMap). */
    writeRules(options: SquidRulesOptions): void;
    writeBrokerLine(line: string): void;
    metrics(): Promise<string>;
    stop(): Promise<void>;
}

async function freeTcpPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

function substitute(text: string, from: string, to: string, count: "once" | "all" = "once"): string {
    const found = text.split(from).length - 1;
    if (found === 0 || (count === "once" && found !== 1)) {
        throw new Error(
            `images/egress-proxy/squid.conf: expected ${count === "once" ? "one" : "some"} "${from}", found ${found}`,
        );
    }
    return text.split(from).join(to);
}

export async function startProxy(
    dir: string,
    rules: SquidRulesOptions,
    options: { names: string[]; brokerLine?: string; pollSeconds?: number; logMaxBytes?: number },
): Promise<RunningProxy> {
    const port = await freeTcpPort();
    const metricsPort = await freeTcpPort();
    const runDir = join(dir, "run");
    const rulesDir = join(dir, "rules");
    const brokerDir = join(dir, "broker");
    const errorsDir = join(dir, "errors");
    const progsDir = join(dir, "mtail");
    const logDir = join(dir, "log");
    for (const folder of [runDir, rulesDir, brokerDir, errorsDir, progsDir, logDir])
        mkdirSync(folder, { recursive: true });

    for (const name of readdirSync(DEBIAN_TEMPLATES)) copyFileSync(join(DEBIAN_TEMPLATES, name), join(errorsDir, name));
    copyFileSync(join(IMAGE, "ERR_EGRESS_DENIED"), join(errorsDir, "ERR_EGRESS_DENIED"));
    copyFileSync(join(IMAGE, "egress.mtail"), join(progsDir, "egress.mtail"));
    writeFileSync(join(dir, "hosts"), `127.0.0.1 ${options.names.join(" ")}\n`);

    let config = readFileSync(join(IMAGE, "squid.conf"), "utf8");
    config = substitute(config, "http_port 3128 ", `http_port 127.0.0.1:${port} `);
    config = substitute(config, PATHS.runDir, runDir, "all");
    config = substitute(config, `${PATHS.rulesDir}/${PATHS.rulesFile}`, join(rulesDir, PATHS.rulesFile));
    config = substitute(config, `stdio:${PATHS.logDir}/`, `stdio:${logDir}/`);
    config = substitute(config, `error_directory ${DEBIAN_TEMPLATES}`, `error_directory ${errorsDir}`);
    config += `\n# test only: the origin's names\nhosts_file ${join(dir, "hosts")}\n`;
    writeFileSync(join(dir, "squid.conf"), config);

    const writeRules = (next: SquidRulesOptions) =>
        writeFileSync(join(rulesDir, PATHS.rulesFile), squidRules({ ...next, brokerSecretDir: brokerDir }));
    const writeBrokerLine = (line: string) => writeFileSync(join(brokerDir, BROKER_GIT_FILE), line);
    writeRules(rules);
    writeBrokerLine(options.brokerLine ?? "");
    if (RUN_AS !== undefined) {
        for (const path of execFileSync("find", [dir], { encoding: "utf8" }).trim().split("\n")) {
            chownSync(path, RUN_AS, RUN_AS);
        }
        chmodSync(dir, 0o755);
    }

    let output = "";
    const launch = (command: string[], env: Record<string, string>): ChildProcess => {
        // Through a shell of the same user, so that squid's stdio are pipes it may reopen as /dev/stdout.
        const shell = ["sh", "-c", `exec "$@" 2>&1 | cat`, "sh", ...command];
        const argv =
            RUN_AS === undefined
                ? shell
                : ["setpriv", `--reuid=${RUN_AS}`, `--regid=${RUN_AS}`, "--clear-groups", ...shell];
        const child = spawn(argv[0], argv.slice(1), {
            env: { ...process.env, ...env },
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
        });
        child.stdout?.on("data", (chunk) => (output += chunk));
        child.stderr?.on("data", (chunk) => (output += chunk));
        return child;
    };
    const squid = launch([join(IMAGE, "start-egress-proxy.sh")], {
        EGRESS_PROXY_CONFIG: join(dir, "squid.conf"),
        EGRESS_PROXY_WATCH: `${rulesDir} ${brokerDir}`,
        EGRESS_PROXY_POLL_SECONDS: String(options.pollSeconds ?? 1),
        EGRESS_PROXY_RUN_DIR: runDir,
        EGRESS_PROXY_LOG: join(logDir, PATHS.logFile),
        EGRESS_PROXY_LOG_MAX_BYTES: String(options.logMaxBytes ?? 8 << 20),
    });
    const mtail = launch(
        [
            "mtail",
            ...mtailArgs({ progs: progsDir, log: join(logDir, PATHS.logFile), port: metricsPort }),
            "--address",
            "127.0.0.1",
        ],
        {},
    );

    const stop = async () => {
        for (const child of [squid, mtail]) {
            if (child.exitCode === null && child.pid) {
                const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
                process.kill(-child.pid, "SIGTERM");
                await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
                if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
            }
        }
    };
    const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();

    const deadline = Date.now() + 20_000;
    for (;;) {
        const up = await Promise.all([
            fetch(`http://127.0.0.1:${port}/`).then(
                () => true,
                () => false,
            ),
            metrics().then(
                () => true,
                () => false,
            ),
        ]);
        if (up.every(Boolean)) break;
        if (Date.now() > deadline || squid.exitCode !== null || mtail.exitCode !== null) {
            await stop();
            throw new Error(`the egress proxy did not start:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
        port,
        metricsPort,
        dir,
        rulesDir,
        brokerDir,
        output: () => output,
        writeRules,
        writeBrokerLine,
        metrics,
        stop,
    };
}
