// Two agents' builds on the build service's setup, for real (issue 21's proof where no node runs): two
// buildkitd processes from the Go module proxy, each started with the arguments the stack gives its daemon
// and the certificates the stack's specs describe (a CA per agent), each as root of a user namespace of
// its own mapped to distinct host IDs (what `hostUsers: false` gives the daemon's pod), and the agents'
// buildctl clients with their own certificate folders, laid out as the Secret volumes are.
//   tests/build-isolation/run.sh    (builds buildkitd and buildctl once, then runs this file as root)
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildDaemonHost } from "../../components/contract/buildService.ts";
import { type AgentTls, BUILD_NAMESPACE, type Daemon, issueAgentTls, run, startDaemon, tlsDir } from "./daemons.mts";

const BUILDKITD = process.env.BUILD_ISOLATION_BUILDKITD ?? "";
const BUILDCTL = process.env.BUILD_ISOLATION_BUILDCTL ?? "";
const BUSYBOX = "/bin/busybox";
/** The shell image's `buildctl`, which adds --tlsdir "$BUILDKIT_TLS_DIR". */
const BUILDCTL_WRAPPER = new URL("../../images/shell/buildctl/buildctl-agent", import.meta.url).pathname;
const AGENTS = ["alpha", "beta"] as const;
type Agent = (typeof AGENTS)[number];

/** What a build step prints, from buildctl's plain progress (`#7 0.123 text`). */
function stepOutput(progress: string): string[] {
    return [...progress.matchAll(/^#\d+ \d+\.\d+ (.*)$/gm)].map((m) => m[1]);
}

describe("build isolation: a BuildKit daemon per agent, mutual TLS with a CA per agent, process sandbox", () => {
    let work: string;
    const tls = {} as Record<Agent, AgentTls>;
    const clientDir = {} as Record<Agent, string>;
    const daemons = {} as Record<Agent, Daemon>;
    let unsandboxed: Daemon;
    // Distinct host ID ranges per daemon, as the kubelet gives each pod with hostUsers: false.
    const hostBase = 1_000_000 + (process.pid % 1000) * 4 * 65536;

    before(async () => {
        assert.ok(BUILDKITD && BUILDCTL, "BUILD_ISOLATION_BUILDKITD and _BUILDCTL are set by run.sh");
        assert.strictEqual(process.getuid?.(), 0, "runs as root (user namespaces with mapped ranges)");
        work = mkdtempSync(join(process.env.BUILD_ISOLATION_TMPDIR ?? tmpdir(), "build-isolation-"));
        // The daemons run as unprivileged host IDs: they must reach the binary and their folders.
        chmodSync(work, 0o755);
        const buildkitd = join(work, "buildkitd");
        copyFileSync(BUILDKITD, buildkitd);
        chmodSync(buildkitd, 0o755);
        for (const [index, agent] of AGENTS.entries()) {
            tls[agent] = await issueAgentTls(join(work, `pki-${agent}`), agent);
            clientDir[agent] = tlsDir(join(work, `client-${agent}`), {
                ca: tls[agent].caCert,
                cert: tls[agent].clientCert,
                key: tls[agent].clientKey,
            });
            daemons[agent] = await startDaemon({
                work,
                buildkitd,
                agent,
                tls: tls[agent],
                hostId: hostBase + index * 65536,
                processSandbox: true,
            });
        }
        unsandboxed = await startDaemon({
            work,
            buildkitd,
            agent: "alpha",
            name: "alpha-no-sandbox",
            tls: tls.alpha,
            hostId: hostBase + 2 * 65536,
            processSandbox: false,
        });
    });

    after(async () => {
        await Promise.all([...Object.values(daemons), unsandboxed].filter(Boolean).map((d) => d.stop()));
        if (work) rmSync(work, { recursive: true, force: true });
    });

    /**
     * buildctl against `daemon` as the holder of `credentials`: a certificate folder, given as the pod gives
     * it (BUILDKIT_TLS_DIR, read by the shell image's buildctl wrapper), or explicit files, or none.
     */
    function buildctl(
        daemon: Daemon,
        credentials: { dir: string } | { ca?: string; cert?: string; key?: string },
        args: string[],
        extraEnv: Record<string, string> = {},
    ) {
        const viaWrapper = "dir" in credentials;
        const flags = viaWrapper
            ? []
            : [
                  ...(credentials.ca ? ["--tlscacert", credentials.ca] : []),
                  ...(credentials.cert ? ["--tlscert", credentials.cert] : []),
                  ...(credentials.key ? ["--tlskey", credentials.key] : []),
              ];
        const env = viaWrapper
            ? { PATH: process.env.PATH, BUILDKIT_TLS_DIR: credentials.dir, BUILDCTL_REAL: BUILDCTL, ...extraEnv }
            : { PATH: process.env.PATH, ...extraEnv };
        return run(
            viaWrapper ? BUILDCTL_WRAPPER : BUILDCTL,
            [
                "--addr",
                `tcp://127.0.0.1:${daemon.port}`,
                // The certificate names the daemon's Service; the test reaches it on loopback.
                "--tlsservername",
                buildDaemonHost(daemon.agent, BUILD_NAMESPACE),
                "--timeout",
                "10",
                ...flags,
                ...args,
            ],
            { env },
        );
    }

    /** A build of `run` (a shell line, in a busybox rootfs) with the agent's own certificate folder. */
    async function build(
        daemon: Daemon,
        agent: Agent,
        step: string,
        options: { secret?: string; mounts?: string; env?: Record<string, string>; args?: string[] } = {},
    ) {
        const context = mkdtempSync(join(work, `context-${agent}-`));
        copyFileSync(BUSYBOX, join(context, "busybox"));
        writeFileSync(
            join(context, "Dockerfile"),
            [
                "FROM scratch",
                "COPY busybox /bin/busybox",
                'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
                "ARG NONCE",
                `RUN ${options.mounts ?? ""} sh -c 'echo "nonce $NONCE" >/dev/null; ${step.replaceAll("'", "'\\''")}'`,
                "",
            ].join("\n"),
        );
        const args = [
            "build",
            "--frontend",
            "dockerfile.v0",
            "--local",
            `context=${context}`,
            "--local",
            `dockerfile=${context}`,
        ];
        args.push("--opt", `build-arg:NONCE=${Math.random()}`, "--progress", "plain", ...(options.args ?? []));
        if (options.secret !== undefined) {
            const file = join(context, "secret");
            writeFileSync(file, options.secret);
            args.push("--secret", `id=token,src=${file}`);
        }
        const result = await buildctl(daemon, { dir: clientDir[agent] }, args, options.env);
        return { ...result, output: stepOutput(result.stderr) };
    }

    it("admits each agent's own client certificate: builds with a secret and a cache mount", async () => {
        for (const agent of AGENTS) {
            const result = await build(
                daemons[agent],
                agent,
                `wc -c < /run/secrets/token; echo ${agent} > /cache/${agent}; ls /cache`,
                {
                    secret: `${agent}-registry-token-0123456789`,
                    mounts: "--mount=type=secret,id=token --mount=type=cache,id=shared,target=/cache",
                },
            );
            assert.strictEqual(result.code, 0, result.stderr.slice(-3000));
            assert.deepStrictEqual(result.output, [String(`${agent}-registry-token-0123456789`.length), agent]);
        }
    });

    it("gives a build's steps the agent's proxy settings, and a build argument of the command line wins", async () => {
        // The wrapper's part: an agent behind its egress proxy builds through it (its daemon has no other way
        // out), and RUN steps see neither the client's environment nor the daemon's.
        const env = { HTTPS_PROXY: "http://alpha-egress.agents.svc:3128", NO_PROXY: "registry.local,10.0.0.0/8" };
        const step = 'echo "https=$HTTPS_PROXY"; echo "no=$NO_PROXY"';
        const viaEnvironment = await build(daemons.alpha, "alpha", step, { env });
        assert.strictEqual(viaEnvironment.code, 0, viaEnvironment.stderr.slice(-3000));
        assert.deepStrictEqual(viaEnvironment.output, [`https=${env.HTTPS_PROXY}`, `no=${env.NO_PROXY}`]);
        const given = await build(daemons.alpha, "alpha", step, {
            env,
            args: ["--opt", "build-arg:HTTPS_PROXY=http://chosen:3128"],
        });
        assert.strictEqual(given.code, 0, given.stderr.slice(-3000));
        assert.deepStrictEqual(given.output, ["https=http://chosen:3128", `no=${env.NO_PROXY}`]);
        const none = await build(daemons.alpha, "alpha", step);
        assert.deepStrictEqual(none.output, ["https=", "no="]);
    });

    it("refuses a client without a certificate, and a client speaking plaintext", async () => {
        const noCert = await buildctl(daemons.alpha, { ca: tls.alpha.caCert }, ["du"]);
        assert.notStrictEqual(noCert.code, 0, "a client without a certificate listed the cache");
        // TLS 1.3: the refusal comes after the client's half of the handshake (an alert, a reset or a broken
        // pipe, by timing); the daemon was there all along (the last test's control case reaches it).
        assert.doesNotMatch(noCert.stderr, /connection refused/, noCert.stderr);
        const plain = await run(BUILDCTL, ["--addr", `tcp://127.0.0.1:${daemons.alpha.port}`, "--timeout", "5", "du"]);
        assert.notStrictEqual(plain.code, 0, "a plaintext client listed the cache");
    });

    it("refuses another agent's certificate, whichever CA the client trusts", async () => {
        // beta's own folder against alpha's daemon: beta does not trust alpha's server, alpha not beta's client.
        const folder = await buildctl(daemons.alpha, { dir: clientDir.beta }, ["du"]);
        assert.notStrictEqual(folder.code, 0, "beta's certificate folder opened alpha's daemon");
        // Even trusting alpha's (public) CA certificate, beta's client certificate is not alpha's CA's.
        const mixed = await buildctl(
            daemons.alpha,
            { ca: tls.alpha.caCert, cert: tls.beta.clientCert, key: tls.beta.clientKey },
            ["du"],
        );
        assert.notStrictEqual(mixed.code, 0, "beta's client certificate opened alpha's daemon");
        // A server certificate of the agent's own CA cannot stand in for the client's (its usage is server_auth).
        const serverAsClient = await buildctl(
            daemons.alpha,
            { ca: tls.alpha.caCert, cert: tls.alpha.serverCert, key: tls.alpha.serverKey },
            ["du"],
        );
        assert.notStrictEqual(serverAsClient.code, 0, "the daemon's server certificate was accepted as a client's");
        // The control: alpha's own files, given one by one, work (the refusals above were the certificates').
        const own = await buildctl(
            daemons.alpha,
            { ca: tls.alpha.caCert, cert: tls.alpha.clientCert, key: tls.alpha.clientKey },
            ["du"],
        );
        assert.strictEqual(own.code, 0, own.stderr);
    });

    it("keeps cache mounts, cache records and build history per agent; one agent's prune leaves the other's", async () => {
        // beta's cache mount `shared` holds only beta's file: alpha's write to the same id went to alpha's daemon.
        const cache = await build(daemons.beta, "beta", "ls /cache", {
            mounts: "--mount=type=cache,id=shared,target=/cache",
        });
        assert.strictEqual(cache.code, 0, cache.stderr.slice(-2000));
        assert.deepStrictEqual(cache.output, ["beta"]);

        const histories = async (agent: Agent) => {
            const listed = await buildctl(daemons[agent], { dir: clientDir[agent] }, [
                "debug",
                "histories",
                "--format",
                "json",
            ]);
            assert.strictEqual(listed.code, 0, listed.stderr);
            // One event per line: {"type": …, "record": {"Ref": …, …}}.
            return listed.stdout
                .split("\n")
                .filter((line) => line.trim() !== "")
                .map((line) => JSON.parse(line).record.Ref as string);
        };
        const usage = async (agent: Agent) => {
            const du = await buildctl(daemons[agent], { dir: clientDir[agent] }, ["du", "--format", "json"]);
            assert.strictEqual(du.code, 0, du.stderr);
            return (JSON.parse(du.stdout) ?? []) as { ID: string }[]; // null when empty
        };
        const alphaRefs = await histories("alpha");
        const betaRefs = await histories("beta");
        assert.ok(
            alphaRefs.length >= 1 && betaRefs.length >= 2,
            `alpha ${alphaRefs.length}, beta ${betaRefs.length} records`,
        );
        assert.deepStrictEqual(
            alphaRefs.filter((ref) => betaRefs.includes(ref)),
            [],
            "a build record on both daemons",
        );
        // alpha cannot fetch beta's build logs by reference: its daemon has no such record.
        const logs = await buildctl(daemons.alpha, { dir: clientDir.alpha }, ["debug", "logs", betaRefs[0] as string]);
        assert.notStrictEqual(logs.code, 0, "alpha read the logs of beta's build");

        const betaBefore = (await usage("beta")).map((r) => r.ID).sort();
        assert.ok(betaBefore.length > 0);
        const prune = await buildctl(daemons.alpha, { dir: clientDir.alpha }, ["prune", "--all"]);
        assert.strictEqual(prune.code, 0, prune.stderr);
        assert.deepStrictEqual(await usage("alpha"), [], "alpha's prune emptied alpha's cache");
        assert.deepStrictEqual(
            (await usage("beta")).map((r) => r.ID).sort(),
            betaBefore,
            "alpha's prune touched beta's cache",
        );
        assert.deepStrictEqual(await histories("beta"), betaRefs);
    });

    it("runs each build step in a PID namespace of its own: it sees neither daemon, nor the other agent's running build", async () => {
        // beta's build holds its secret mounted for a while; alpha's step looks for any other process meanwhile.
        const secret = "beta-secret-while-running-7f3e";
        const betaBuild = build(daemons.beta, "beta", "sleep 6; wc -c < /run/secrets/token", {
            secret,
            mounts: "--mount=type=secret,id=token",
        });
        await new Promise((resolve) => setTimeout(resolve, 2500));
        const look =
            'for p in /proc/[0-9]*; do echo "pid ${p#/proc/} $(tr "\\0" " " < $p/cmdline)"; done; ' +
            `grep -rls "${secret}" /proc/[0-9]*/root/run 2>/dev/null | wc -l`;
        const alpha = await build(daemons.alpha, "alpha", look);
        assert.strictEqual(alpha.code, 0, alpha.stderr.slice(-2000));
        const pids = alpha.output.filter((line) => line.startsWith("pid "));
        assert.ok(
            pids.some((line) => line.startsWith("pid 1 sh -c")),
            `PID 1 is the step itself:\n${pids.join("\n")}`,
        );
        assert.ok(
            !pids.some((line) => /buildkitd|sleep/.test(line)),
            `the step saw other processes:\n${pids.join("\n")}`,
        );
        assert.ok(pids.length <= 4, `only the step's own processes:\n${pids.join("\n")}`);
        assert.strictEqual(alpha.output.at(-1), "0", "the step found beta's secret");
        const beta = await betaBuild;
        assert.strictEqual(beta.code, 0, beta.stderr.slice(-2000));
        assert.deepStrictEqual(beta.output, [String(secret.length)]);
    });

    it("runs each daemon as root of its own user namespace only: host IDs of its own, state the other cannot read", async () => {
        for (const agent of AGENTS) {
            const pid = (await run("pgrep", ["-f", "--", `--root ${daemons[agent].root}`])).stdout
                .trim()
                .split("\n")
                .at(-1);
            const status = readFileSync(`/proc/${pid}/status`, "utf8");
            const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
            assert.strictEqual(Number(uid), daemons[agent].hostId, `${agent}'s daemon runs as host UID ${uid}`);
        }
        // What alpha's daemon's user is on the host cannot list beta's daemon state (cache, history, secrets).
        const peek = await run("setpriv", [
            `--reuid=${daemons.alpha.hostId}`,
            `--regid=${daemons.alpha.hostId}`,
            "--clear-groups",
            "ls",
            daemons.beta.root,
        ]);
        assert.notStrictEqual(peek.code, 0, `alpha's host user listed beta's daemon state: ${peek.stdout}`);
        assert.match(peek.stderr, /Permission denied/);
    });

    it("without the process sandbox (the documented fallback), a step sees its own daemon, never the other agent's", async () => {
        const look = 'for p in /proc/[0-9]*; do echo "pid ${p#/proc/} $(tr "\\0" " " < $p/cmdline)"; done';
        const result = await build(unsandboxed, "alpha", look);
        assert.strictEqual(result.code, 0, result.stderr.slice(-2000));
        const seen = result.output.filter((line) => line.startsWith("pid ")).join("\n");
        assert.match(seen, /buildkitd .*daemon-alpha-no-sandbox/, "the fallback's risk: the step sees its own daemon");
        assert.doesNotMatch(seen, /daemon-beta\/|daemon-alpha\//, "the step saw another daemon");
    });
});
