/**
 * Egress by domain name on the node (issue 25): databot gets `network.allowDomains` the way an operator sets
 * it (the copy's stack config, then the README's deploy again: the egress proxy's image built and pushed,
 * `pulumi up`), and its own shell, through run_command, reaches the test's HTTPS origin on the host by name
 * (names the cluster's DNS serves: a `hosts` block in CoreDNS) with curl, git and pip through its proxy;
 * a name not in the list is refused with the proxy's readable answer; a connection that skips the proxy is
 * refused by the enforced NetworkPolicy (a pod without policies reaches the same address). Runs last: it changes CoreDNS and databot's egress.
 */
import * as assert from "node:assert";
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { stackPlans } from "../../scripts/local-stack/stackPlans";
import {
    clusterDir,
    ensureNamespace,
    kubectlOk,
    REPO,
    runCommandResult,
    runPod,
    secretValue,
    tcpOpen,
    waitFor,
} from "./fixture";
import { stackProject } from "./stackProject";

const AGENT = "databot";
const GIT_USER = "databot";
const GIT_TOKEN = "egress-node-token-7c1d";
const PROJECT_PREFIX = "persistent-agents:";

function nodeHostIp(): string {
    const env = fs.readFileSync(path.join(clusterDir(), "node", "network.env"), "utf8");
    return /^NODE_HOST_IP=(.+)$/m.exec(env)![1].trim();
}

/** Adds a `hosts` block to CoreDNS's Corefile (names of the "internet" the test plays) and restarts it. */
function serveNames(address: string, names: string[]): void {
    const configMap = JSON.parse(kubectlOk(["-n", "kube-system", "get", "configmap", "coredns", "-o", "json"]));
    const corefile: string = configMap.data.Corefile;
    const hosts = `    hosts {\n        ${address} ${names.join(" ")}\n        fallthrough\n    }\n`;
    configMap.data.Corefile = corefile.replace(/^(\s*ready .*\n)/m, `$1${hosts}`);
    assert.notStrictEqual(configMap.data.Corefile, corefile, "the Corefile has no `ready` line to add hosts after");
    kubectlOk(["apply", "-f", "-"], JSON.stringify(configMap));
    kubectlOk(["-n", "kube-system", "rollout", "restart", "deployment/coredns"]);
    kubectlOk(["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=120s"]);
}

/** Run in the agent's shell (python3): clones CLONE_URL and, while the clone runs, reads the memory of every
 * process under it for the token (assembled from TOKEN_HALVES, never whole in a command line) and, as a
 * control, for the repository's path. Prints {scanned, bytes, found, control}. */
const MEMORY_SCAN = `
import json, os, re, subprocess, time
token = "".join((TOKEN_HALVES)).encode()
control = b"/git/repo.git"
clone = subprocess.Popen(["git", "-c", "credential.helper=", "clone", "--quiet", "CLONE_URL", "mem-clone"],
                         env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
def descendants(root):
    parents = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
            parents[int(pid)] = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            pass
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                frontier.append(child)
    return found
scanned, total, hits, seen = set(), 0, 0, 0
while clone.poll() is None:
    for pid in descendants(clone.pid):
        try:
            with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
                for line in maps:
                    start, end = (int(x, 16) for x in line.split()[0].split("-"))
                    if line.split()[1][0] != "r" or end - start > 1 << 28:
                        continue
                    try:
                        mem.seek(start)
                        data = mem.read(end - start)
                    except OSError:
                        continue
                    total += len(data)
                    hits += data.count(token)
                    seen += data.count(control)
            scanned.add(pid)
        except OSError:
            pass
    time.sleep(0.3)
print(json.dumps({"scanned": len(scanned), "bytes": total, "found": hits, "control": seen, "exit": clone.returncode}))
`;

describe("egress by domain name on the node: databot's shell through its proxy", () => {
    let plan: ReturnType<typeof stackPlans>["plans"][number];
    let origin: ChildProcessWithoutNullStreams;
    let port: number;
    const ca = "~/workspace/.egress-test/ca.pem";
    const shell = async (command: string) => {
        const server = plan.mcpServers.find((s) => s.container === "shell")!;
        return runCommandResult(
            plan.namespace.name,
            plan.computer.name,
            server.port,
            secretValue(plan.namespace.name, plan.credentials.secretName, "mcp-token"),
            command,
        );
    };
    const url = (name: string, route: string) => `https://${name}:${port}${route}`;

    before(async () => {
        const project = stackProject();
        const host = nodeHostIp();
        const work = fs.mkdtempSync(path.join(process.env.NODE_TIER_WORK ?? clusterDir(), "egress-origin-"));
        origin = spawn(
            path.join(REPO, "node_modules", ".bin", "tsx"),
            [path.join(__dirname, "egress-origin.mts"), work, host, GIT_USER, GIT_TOKEN, "3000"],
            { stdio: "pipe" },
        );
        const started = await waitFor("the origin listening", () => {
            const line = origin.stdout.read()?.toString();
            return line ? (JSON.parse(line) as { port: number; caFile: string }) : undefined;
        });
        port = started.port;
        serveNames(host, ["allowed.test", "denied.test", "a.wild.test", "git.test"]);

        // As the operator would: the allowed names, and the proxy's way to this address (a private one: the
        // private ranges stay closed to the proxy unless a computerEgress rule names them).
        const stack = yaml.load(fs.readFileSync(project.configFile, "utf8")) as { config: Record<string, any> };
        const databot = stack.config[`${PROJECT_PREFIX}agents`].find((a: { name: string }) => a.name === AGENT);
        databot.network = {
            ...databot.network,
            allowDomains: [
                { host: "allowed.test", ports: [port] },
                { host: "*.wild.test", ports: [port] },
            ],
            computerEgress: [...(databot.network?.computerEgress ?? []), { cidr: `${host}/32`, ports: [port] }],
        };
        // The git credential brokered: the Gitea (the origin's git.test) behind the test's private CA.
        const platform = stack.config[`${PROJECT_PREFIX}platform`];
        platform.giteaHost = `git.test:${port}`;
        platform.giteaCaCertificate = fs.readFileSync(started.caFile, "utf8");
        databot.credentials = { ...databot.credentials, gitea: { enabled: true, brokered: true } };
        fs.writeFileSync(project.configFile, yaml.dump(stack));
        // The operator's Gitea token in Vault before the deploy (which fills in only what is missing).
        const provided = stackPlans(project.configFile).plans.find((p) => p.agent === AGENT)!.credentials.vaultPaths
            .provided;
        const vault = spawnSync(
            "bash",
            [
                path.join(REPO, "scripts", "node", "vault.sh"),
                "run",
                clusterDir(),
                "kv",
                "patch",
                "-mount=secret",
                provided,
                "-",
            ],
            { input: JSON.stringify({ "gitea-token": GIT_TOKEN }), encoding: "utf8" },
        );
        assert.strictEqual(vault.status, 0, vault.stderr);
        const deploy = spawnSync(
            "bash",
            [path.join(REPO, "scripts", "local-stack", "deploy.sh"), clusterDir(), project.dir],
            { stdio: "inherit", timeout: 20 * 60_000 },
        );
        assert.strictEqual(deploy.status, 0, "scripts/local-stack/deploy.sh failed (its output is above)");
        plan = stackPlans(project.configFile).plans.find((p) => p.agent === AGENT)!;
        const caPem = fs.readFileSync(started.caFile).toString("base64");
        // The computer was recreated with the proxy's variables; its shell answers once it is Ready.
        await waitFor(
            "databot's new computer answering",
            async () =>
                (await shell(`mkdir -p ~/workspace/.egress-test && echo ${caPem} | base64 -d > ${ca} && echo ok`))
                    .stdout === "ok\n",
            300_000,
        );
        await waitFor("allowed.test in the cluster's DNS", async () =>
            (await shell("getent hosts allowed.test")).stdout.includes(host),
        );
    });

    after(() => {
        origin?.stdin.end();
    });

    it("has the proxy in the computer's environment and no other way out", async () => {
        const env = (await shell("echo $HTTPS_PROXY; echo $NO_PROXY")).stdout.split("\n");
        assert.match(env[0], new RegExp(`^http://${AGENT}-egress\\.${plan.namespace.name}\\.svc[.a-z]*:3128$`));
        assert.match(env[1], /\.svc/);
    });

    it("curl reaches an allowed name and a name under an allowed wildcard, through the proxy", async () => {
        for (const name of ["allowed.test", "a.wild.test"]) {
            const result = await shell(`curl -sS --cacert ${ca} ${url(name, "/hello")}`);
            assert.strictEqual(result.exit_code, 0, result.stderr);
            assert.strictEqual(result.stdout, `hello from ${name}; authorization absent\n`);
        }
    });

    it("git clones from the allowed name", async () => {
        const credentials = `https://${GIT_USER}:${GIT_TOKEN}@allowed.test:${port}`;
        const result = await shell(
            `cd ~/workspace/.egress-test && rm -rf clone && printf '%s\\n' '${credentials}' > creds && ` +
                `git -c http.sslCAInfo=${ca} -c credential.helper= -c 'credential.helper=store --file=creds' ` +
                `clone --quiet ${url("allowed.test", "/git/repo.git")} clone && cat clone/README`,
        );
        assert.strictEqual(result.exit_code, 0, result.stderr);
        assert.strictEqual(result.stdout, "cloned through the egress proxy\n");
    });

    it("pip downloads from an index on the allowed name", async () => {
        const result = await shell(
            `cd ~/workspace/.egress-test && PIP_CONFIG_FILE=/dev/null python3 -m pip download --no-deps ` +
                `--disable-pip-version-check --no-cache-dir --cert ${ca} --index-url ${url("allowed.test", "/simple/")} ` +
                "-d wheels tinypkg",
        );
        assert.strictEqual(result.exit_code, 0, result.stderr);
        assert.match(result.stdout, /Saved .*tinypkg-0\.1-py3-none-any\.whl/);
    });

    it("clones from the brokered git host with no credential in the computer: the proxy adds it", async () => {
        // The plain git test above wrote the token into the workspace itself; nothing else may hold it.
        await shell("rm -f ~/workspace/.egress-test/creds");
        const clone = await waitFor(
            "a brokered clone (the proxy's mounted credential follows ESO's Secret within kubelet's sync)",
            async () => {
                const result = await shell(
                    "cd ~/workspace/.egress-test && rm -rf brokered && GIT_TERMINAL_PROMPT=0 git -c credential.helper= " +
                        `clone --quiet https://git.test:${port}/git/repo.git brokered && cat brokered/README`,
                );
                return result.exit_code === 0 ? result : undefined;
            },
            240_000,
        );
        assert.strictEqual(clone.stdout, "cloned through the egress proxy\n");
        // The token as grep's pattern file, assembled from two halves: written whole in this command, it would
        // be found in this command's own process.
        const half = Math.floor(GIT_TOKEN.length / 2);
        const pattern = `<(printf '%s%s' '${GIT_TOKEN.slice(0, half)}' '${GIT_TOKEN.slice(half)}')`;
        const search = await shell(
            `grep -rlF -f ${pattern} ~ /var/run/secrets /etc /tmp 2>/dev/null; echo searched; ` +
                `cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | grep -caF -f ${pattern}`,
        );
        // No file names before "searched", and no process environment or command line holding it.
        assert.strictEqual(search.stdout, "searched\n0\n");
        // The clone's own processes' memory while it runs (the origin holds its upload-pack 3 s): every
        // readable region of git and its helpers, read through /proc as their owner (same UID, descendants).
        const memory = await shell(
            `cd ~/workspace/.egress-test && rm -rf mem-clone && python3 - <<'EOF'\n${MEMORY_SCAN}\nEOF\n`
                .replace("TOKEN_HALVES", `'${GIT_TOKEN.slice(0, half)}', '${GIT_TOKEN.slice(half)}'`)
                .replace("CLONE_URL", `https://git.test:${port}/git/repo.git`),
        );
        const scan = JSON.parse(memory.stdout) as { scanned: number; bytes: number; found: number; control: number };
        assert.strictEqual(memory.exit_code, 0, memory.stderr);
        assert.ok(scan.scanned >= 2 && scan.bytes > 1_000_000, memory.stdout);
        assert.ok(scan.control > 0, "the scan reads the clone's memory (it finds the repository's path there)");
        assert.strictEqual(scan.found, 0, "the token is in the memory of a clone's process");
        // The same search finds the token where it is (it can fail).
        const planted = await shell(
            `printf '%s%s' '${GIT_TOKEN.slice(0, half)}' '${GIT_TOKEN.slice(half)}' > ~/workspace/.egress-test/planted; ` +
                `grep -rlF -f ${pattern} ~ 2>/dev/null; rm ~/workspace/.egress-test/planted`,
        );
        assert.match(planted.stdout, /\.egress-test\/planted$/m);
    });

    it("refuses a name not in the list with an answer that says why and what would allow it", async () => {
        const tunnel = await shell(`curl -sS -v --cacert ${ca} ${url("denied.test", "/hello")}`);
        assert.notStrictEqual(tunnel.exit_code, 0);
        assert.match(tunnel.stderr, /CONNECT tunnel failed, response 407/);
        assert.match(
            tunnel.stderr,
            new RegExp(`X-Egress-Denied: denied\\.test:${port} is not in network\\.allowDomains`),
        );
        const plain = await shell(`curl -sS http://denied.test:${port}/hello`);
        assert.match(
            plain.stdout,
            new RegExp(`egress denied: denied\\.test:${port} is not an allowed destination of agent ${AGENT}`),
        );
    });

    it("refuses a connection that skips the proxy (the enforced policy), where a pod without policies connects", async () => {
        const direct = await shell(
            `curl -sS --noproxy '*' --connect-timeout 5 --cacert ${ca} ${url("allowed.test", "/hello")}`,
        );
        // kube-router rejects what a policy does not allow (7: refused at once) or drops it (28: timed out).
        assert.ok([7, 28].includes(direct.exit_code), `exit ${direct.exit_code}: ${direct.stderr}`);
        assert.strictEqual(direct.stdout, "");
        // The control: the same address and port from a namespace no policy selects.
        ensureNamespace("egress-control");
        await runPod({ namespace: "egress-control", name: "client" });
        assert.ok(tcpOpen("egress-control", "client", nodeHostIp(), port), "the origin is not reachable at all");
        const proxied = await shell(`curl -sS --cacert ${ca} ${url("allowed.test", "/hello")}`);
        assert.strictEqual(proxied.exit_code, 0, proxied.stderr);
    });
});
