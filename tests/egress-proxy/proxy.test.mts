// The egress proxy as processes (issue 25's proof where no node runs): squid and mtail from Debian with
// the image's configuration and the rules the stack renders, an HTTPS origin with several names, and
// the agent's tools (curl, git, pip) as clients that know nothing but HTTP(S)_PROXY.
//   tests/egress-proxy/run.sh    (installs squid-openssl and mtail from Debian, then runs this file)
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { brokerGitHeaderTemplate } from "../../components/plan/gitCredentials.ts";
import { renderLikeEso } from "./eso.mts";
import { descendants, findInProcess } from "./memory.mts";
import { NAMES, type Origin, startOrigin } from "./origin.mts";
import { type RunningProxy, startProxy } from "./proxy.mts";

const GIT_USER = "devbot";
const TOKEN = "egress-broker-token-5f3a9c1e7d2b";
const AGENT = "devbot";

interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>, timeout = 60_000): Promise<Result> {
    return new Promise((resolve) => {
        execFile(command, args, { env, timeout, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        });
    });
}

describe("egress proxy (squid + mtail as processes, images/egress-proxy)", () => {
    let root: string;
    let home: string;
    let origin: Origin;
    let proxy: RunningProxy;
    let brokerLine: string;
    /** Only what the computer's containers get: the proxy, the CA of the test origin, nothing inherited. */
    let env: Record<string, string>;

    const url = (name: string, path: string) => `https://${name}:${origin.port}${path}`;
    const rules = () => ({
        agent: AGENT,
        allow: [
            { host: "allowed.test", ports: [origin.port] },
            { host: "*.wild.test", ports: [origin.port] },
        ],
        broker: { host: "git.test", port: origin.port, httpPort: origin.port, caFile: origin.caFile },
    });

    before(async () => {
        root = mkdtempSync(join(process.env.EGRESS_TEST_TMPDIR ?? tmpdir(), "egress-proxy-"));
        // squid and mtail run as an unprivileged UID when the test is root: they must reach their folder.
        chmodSync(root, 0o755);
        home = join(root, "home");
        mkdirSync(home);
        origin = await startOrigin(join(root, "origin"), { user: GIT_USER, token: TOKEN });
        brokerLine = await renderLikeEso(brokerGitHeaderTemplate(GIT_USER), { giteaToken: `${TOKEN}\n` });
        mkdirSync(join(root, "proxy"));
        // A small log limit, so that the denial burst below crosses several rotations.
        proxy = await startProxy(join(root, "proxy"), rules(), { names: NAMES, brokerLine, logMaxBytes: 8192 });
        const proxyUrl = `http://127.0.0.1:${proxy.port}`;
        env = {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: home,
            LANG: "C.UTF-8",
            HTTP_PROXY: proxyUrl,
            HTTPS_PROXY: proxyUrl,
            http_proxy: proxyUrl,
            https_proxy: proxyUrl,
            NO_PROXY: "localhost,127.0.0.1,.svc,.cluster.local",
            no_proxy: "localhost,127.0.0.1,.svc,.cluster.local",
            CURL_CA_BUNDLE: origin.caFile,
            GIT_SSL_CAINFO: origin.caFile,
            GIT_CONFIG_NOSYSTEM: "1",
            GIT_CONFIG_GLOBAL: "/dev/null",
            GIT_TERMINAL_PROMPT: "0",
            PIP_CONFIG_FILE: "/dev/null",
            PIP_CERT: origin.caFile,
            PIP_DISABLE_PIP_VERSION_CHECK: "1",
            PIP_NO_CACHE_DIR: "1",
        };
    });

    after(async () => {
        await proxy?.stop();
        await origin?.close();
        if (root) rmSync(root, { recursive: true, force: true });
    });

    describe("allowed names pass, untouched", () => {
        it("curl reaches an allowed host and a host under an allowed wildcard", async () => {
            for (const name of ["allowed.test", "a.wild.test"]) {
                const result = await run("curl", ["-sS", "--fail", url(name, "/hello")], env);
                assert.equal(result.code, 0, result.stderr);
                assert.equal(result.stdout, `hello from ${name}; authorization absent\n`);
            }
        });

        it("the tunnel is spliced, not decrypted: the client sees the origin's own certificate", async () => {
            // Trusting only the origin's CA, the handshake succeeds only with the origin's certificate.
            const result = await run(
                "curl",
                ["-sS", "--fail", "-w", "%{ssl_verify_result}", "-o", "/dev/null", url("allowed.test", "/hello")],
                env,
            );
            assert.equal(result.code, 0, result.stderr);
            assert.equal(result.stdout, "0");
            assert.match(proxy.output(), /squid=TCP_TUNNEL .*host=allowed\.test .*sni=allowed\.test bump=splice/);
        });

        it("git clones from an allowed host", async () => {
            const credentials = join(root, "git-credentials");
            writeFileSync(credentials, `https://${GIT_USER}:${TOKEN}@allowed.test:${origin.port}\n`);
            const target = join(root, "clone-allowed");
            const result = await run(
                "git",
                [
                    "-c",
                    `credential.helper=store --file=${credentials}`,
                    "clone",
                    "--quiet",
                    url("allowed.test", "/git/repo.git"),
                    target,
                ],
                env,
            );
            assert.equal(result.code, 0, result.stderr);
            assert.equal(readFileSync(join(target, "README"), "utf8"), "cloned through the egress proxy\n");
        });

        it("pip downloads from an index on an allowed host", async () => {
            const out = join(root, "pip-out");
            const result = await run(
                "python3",
                [
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--index-url",
                    url("allowed.test", "/simple/"),
                    "-d",
                    out,
                    "tinypkg",
                ],
                env,
                120_000,
            );
            assert.equal(result.code, 0, result.stderr);
            assert.match(result.stdout, /Saved .*tinypkg-0\.1-py3-none-any\.whl/);
        });
    });

    describe("everything else is refused, readably", () => {
        it("a CONNECT to a host not in the list gets 407 with a body naming the host, the agent and the key", async () => {
            const answer = await rawRequest(
                proxy.port,
                `CONNECT denied.test:${origin.port} HTTP/1.1\r\nHost: denied.test:${origin.port}\r\n\r\n`,
            );
            assert.match(answer, /^HTTP\/1\.1 407 /);
            assert.match(
                answer,
                new RegExp(`X-Egress-Denied: denied\\.test:${origin.port} is not in network\\.allowDomains`),
            );
            assert.match(
                answer,
                new RegExp(
                    `egress denied: denied\\.test:${origin.port} is not an allowed destination of agent ${AGENT}\\.`,
                ),
            );
            assert.match(answer, /agents\[\]\.network\.allowDomains of\s+agent devbot/);
            assert.match(answer, /platform\.network\.allowDomains/);
        });

        it("curl and git fail at once and say why (the status, and with -v the header)", async () => {
            const curl = await run("curl", ["-sS", "-v", url("denied.test", "/hello")], env);
            assert.notEqual(curl.code, 0);
            assert.match(curl.stderr, /CONNECT tunnel failed, response 407/);
            assert.match(curl.stderr, /X-Egress-Denied: denied\.test:\d+ is not in network\.allowDomains/);
            const git = await run(
                "git",
                ["clone", "--quiet", url("denied.test", "/git/repo.git"), join(root, "clone-denied")],
                env,
            );
            assert.notEqual(git.code, 0);
            assert.match(git.stderr, /CONNECT tunnel failed, response 407/);
        });

        it("pip fails with the proxy's refusal", async () => {
            const result = await run(
                "python3",
                [
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--retries",
                    "1",
                    "--index-url",
                    url("denied.test", "/simple/"),
                    "-d",
                    join(root, "pip-denied"),
                    "tinypkg",
                ],
                env,
                120_000,
            );
            assert.notEqual(result.code, 0);
            assert.match(result.stdout + result.stderr, /407/);
        });

        it("an allowed host on a port not in its entry, the wildcard's own apex, and plain HTTP are refused", async () => {
            const otherPort = await rawRequest(
                proxy.port,
                "CONNECT allowed.test:8443 HTTP/1.1\r\nHost: allowed.test:8443\r\n\r\n",
            );
            assert.match(otherPort, /^HTTP\/1\.1 407 /);
            assert.match(otherPort, /allowed\.test:8443 is not an allowed destination/);
            const apex = await rawRequest(
                proxy.port,
                `CONNECT wild.test:${origin.port} HTTP/1.1\r\nHost: wild.test\r\n\r\n`,
            );
            assert.match(apex, /^HTTP\/1\.1 407 /);
            const plain = await run("curl", ["-sS", `http://denied.test:${origin.port}/hello`], env);
            assert.match(plain.stdout, /egress denied: denied\.test:\d+ is not an allowed destination of agent devbot/);
        });

        it("a tunnel to an allowed host whose TLS names another host is closed (SNI)", async () => {
            // curl asks the proxy for allowed.test but sends SNI denied.test (domain fronting's first half).
            const result = await run(
                "curl",
                [
                    "-sS",
                    "--connect-to",
                    `denied.test:${origin.port}:allowed.test:${origin.port}`,
                    url("denied.test", "/hello"),
                ],
                env,
            );
            assert.notEqual(result.code, 0);
            assert.doesNotMatch(result.stdout, /hello/);
            // The log line comes when squid has closed the tunnel, maybe after curl has given up.
            await waitFor(
                async () => /method=CONNECT host=allowed\.test .*sni=denied\.test bump=terminate/.test(proxy.output()),
                5,
            );
        });

        it("counts denials per host and reason in mtail's /metrics, and logs them", async () => {
            const text = await waitForMetric(
                proxy,
                `egress_denied_total{host="denied.test",port="${origin.port}",reason="sni"}`,
            );
            const count = (labels: string) =>
                Number(new RegExp(`^egress_denied_total\\{${labels}\\} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
            assert.ok(count(`host="denied.test",port="${origin.port}",reason="host"`) >= 3, text);
            assert.equal(count(`host="allowed.test",port="8443",reason="host"`), 1, text);
            assert.equal(count(`host="denied.test",port="${origin.port}",reason="sni"`), 1, text);
            assert.match(text, /^egress_requests_total\{outcome="allowed"\} [1-9]/m);
            assert.match(proxy.output(), /agent=devbot squid=TCP_DENIED status=407 method=CONNECT host=denied\.test/);
        });

        it("exports every family monitoring/metric-names.json lists for the egress proxy, with its type", async () => {
            const names = JSON.parse(
                readFileSync(new URL("../../monitoring/metric-names.json", import.meta.url), "utf8"),
            );
            const expected: Record<string, string> = names.servers["egress-proxy"].families;
            const declared = new Map(
                [...(await proxy.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1], match[2]]),
            );
            for (const [family, type] of Object.entries(expected)) {
                assert.equal(declared.get(family), type, `${family} in mtail's /metrics`);
            }
        });
    });

    it("counts every denial of a burst, across log rotations", async () => {
        // Three rounds, each past the 8 KiB limit and each followed by the watcher's rotation (it checks
        // the size once per poll, so a round finishing within one poll would otherwise cross none): mtail
        // must count the lines written before each rename as well as after it.
        const rounds = 3;
        const perRound = 100;
        const rotatedLog = join(proxy.dir, "log", "access.log.0");
        let rotations = 0;
        let lastRotated = "";
        for (let round = 0; round < rounds; round++) {
            for (let i = round * perRound; i < (round + 1) * perRound; i++) {
                await rawRequest(
                    proxy.port,
                    `CONNECT burst-${i}.denied.test:443 HTTP/1.1\r\nHost: burst-${i}.denied.test\r\n\r\n`,
                );
            }
            await waitFor(async () => {
                if (!existsSync(rotatedLog)) return false;
                const { ino, mtimeMs } = statSync(rotatedLog);
                return (
                    `${ino}:${mtimeMs}` !== lastRotated &&
                    readFileSync(rotatedLog, "utf8").includes(`burst-${(round + 1) * perRound - 1}.denied.test`)
                );
            }, 15).catch(() => assert.fail(`round ${round + 1}: the access log was not rotated`));
            const { ino, mtimeMs } = statSync(rotatedLog);
            lastRotated = `${ino}:${mtimeMs}`;
            rotations++;
        }
        const burst = rounds * perRound;
        let series = 0;
        await waitFor(async () => {
            const text = await proxy.metrics();
            series = text
                .split("\n")
                .filter((line) => /^egress_denied_total\{host="burst-\d+\.denied\.test"/.test(line)).length;
            return series === burst;
        }, 30).catch(() => assert.fail(`${series} of ${burst} denials counted across ${rotations} rotations`));
        assert.equal(rotations, rounds);
    });

    describe("git credential broker", () => {
        const brokeredEnv = () => ({
            ...env,
            // What the stack sets in the computer: git speaks plain HTTP to the proxy for the git host.
            GIT_CONFIG_COUNT: "1",
            GIT_CONFIG_KEY_0: `url.http://git.test:${origin.port}/.insteadOf`,
            GIT_CONFIG_VALUE_0: `https://git.test:${origin.port}/`,
        });

        it("renders the header line through ESO's template engine with the token trimmed", () => {
            const basic = Buffer.from(`${GIT_USER}:${TOKEN}`).toString("base64");
            assert.equal(brokerLine, `request_header_add Authorization "Basic ${basic}" egress_broker_git\n`);
        });

        it("git clones the https URL with no credential in the client; the proxy adds it", async () => {
            origin.seen.length = 0;
            const target = join(root, "clone-brokered");
            const result = await run(
                "git",
                ["clone", "--quiet", url("git.test", "/git/repo.git"), target],
                brokeredEnv(),
            );
            assert.equal(result.code, 0, result.stderr);
            assert.equal(readFileSync(join(target, "README"), "utf8"), "cloned through the egress proxy\n");
            const expected = `Basic ${Buffer.from(`${GIT_USER}:${TOKEN}`).toString("base64")}`;
            const gitRequests = origin.seen.filter((request) => request.path.startsWith("/git/"));
            assert.ok(gitRequests.length >= 2);
            assert.ok(
                gitRequests.every((request) => request.host === "git.test" && request.authorization === expected),
            );
        });

        it("replaces an Authorization header the agent sends", async () => {
            origin.seen.length = 0;
            const result = await run(
                "curl",
                ["-sS", "-H", "Authorization: Basic c29tZW9uZTplbHNl", `http://git.test:${origin.port}/hello`],
                env,
            );
            assert.equal(result.stdout, "hello from git.test; authorization present\n");
            assert.equal(
                origin.seen[0].authorization,
                `Basic ${Buffer.from(`${GIT_USER}:${TOKEN}`).toString("base64")}`,
            );
        });

        it("opens no tunnel to the git host: only the brokered plain-HTTP path reaches it", async () => {
            const answer = await rawRequest(
                proxy.port,
                `CONNECT git.test:${origin.port} HTTP/1.1\r\nHost: git.test\r\n\r\n`,
            );
            assert.match(answer, /^HTTP\/1\.1 407 /);
        });

        it("the token is in none of the clone's processes: environment, command lines, memory; nor in its files", async () => {
            const secrets = [TOKEN, Buffer.from(`${GIT_USER}:${TOKEN}`).toString("base64")];
            origin.holdUploadPackMs = 3000;
            try {
                const target = join(root, "clone-scanned");
                const held = origin.nextHold();
                const clone = execFile("git", ["clone", "--quiet", url("git.test", "/git/repo.git"), target], {
                    env: brokeredEnv(),
                });
                const exited = new Promise<number>((resolve) => clone.on("exit", (code) => resolve(code ?? 1)));
                await held;
                const pids = [clone.pid!, ...descendants(clone.pid!)];
                assert.ok(pids.length >= 2, `git and its remote helper: ${pids}`);
                for (const pid of pids) {
                    for (const secret of secrets) {
                        assert.deepEqual(findInProcess(pid, secret), [], `pid ${pid}`);
                    }
                }
                assert.equal(await exited, 0);
                const files = await run("grep", ["-rlF", "-e", secrets[0], "-e", secrets[1], home, target], env);
                assert.equal(files.stdout, "", "files holding the token");
            } finally {
                origin.holdUploadPackMs = 0;
            }
        });

        it("the same scan finds the token in a clone that holds it (the scan can fail)", async () => {
            const credentials = join(root, "git-credentials-scan");
            writeFileSync(credentials, `https://${GIT_USER}:${TOKEN}@allowed.test:${origin.port}\n`);
            origin.holdUploadPackMs = 3000;
            try {
                const held = origin.nextHold();
                const clone = execFile(
                    "git",
                    [
                        "-c",
                        `credential.helper=store --file=${credentials}`,
                        "clone",
                        "--quiet",
                        url("allowed.test", "/git/repo.git"),
                        join(root, "clone-control"),
                    ],
                    { env },
                );
                const exited = new Promise<number>((resolve) => clone.on("exit", (code) => resolve(code ?? 1)));
                await held;
                const pids = [clone.pid!, ...descendants(clone.pid!)];
                const found = pids.flatMap((pid) => findInProcess(pid, TOKEN));
                assert.ok(
                    found.some((where) => where.startsWith("memory")),
                    `found: ${found}`,
                );
                assert.equal(await exited, 0);
            } finally {
                origin.holdUploadPackMs = 0;
            }
        });

        it("follows a rotated credential without a restart (squid -k reconfigure on the file's change)", async () => {
            const wrong = await renderLikeEso(brokerGitHeaderTemplate(GIT_USER), { giteaToken: "rotated-elsewhere" });
            proxy.writeBrokerLine(wrong);
            await waitFor(
                async () =>
                    (await run("git", ["ls-remote", url("git.test", "/git/repo.git")], brokeredEnv())).code !== 0,
            );
            proxy.writeBrokerLine(brokerLine);
            await waitFor(
                async () =>
                    (await run("git", ["ls-remote", url("git.test", "/git/repo.git")], brokeredEnv())).code === 0,
            );
            assert.match(proxy.output(), /rules or credentials changed: squid -k reconfigure/);
        });
    });
});

function rawRequest(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        let answer = "";
        socket.setTimeout(5000, () => socket.destroy());
        socket.on("data", (chunk) => {
            answer += chunk;
            const headerEnd = answer.indexOf("\r\n\r\n");
            const length = /content-length: (\d+)/i.exec(answer);
            if (headerEnd >= 0 && length && answer.length >= headerEnd + 4 + Number(length[1])) socket.end();
        });
        socket.on("close", () => resolve(answer));
        socket.on("error", reject);
        socket.write(text);
    });
}

async function waitFor(check: () => Promise<boolean>, seconds = 20): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`not within ${seconds} s`);
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}

async function waitForMetric(proxy: RunningProxy, series: string): Promise<string> {
    let text = "";
    await waitFor(async () => {
        text = await proxy.metrics();
        return text.includes(series);
    }, 10);
    return text;
}
