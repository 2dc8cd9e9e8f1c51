// Egress proxy benchmark (docs/benchmarks.md, "Egress proxy"): an allowed HTTPS request and download
// through the proxy against the same without it, interleaved, and the proxy's memory (squid and mtail)
// idle, with open tunnels, and after many denials to distinct hosts. The processes and origin are the
// tests' (tests/egress-proxy): squid and mtail from Debian with the image's configuration, on loopback,
// so the figures are the proxy's own cost, without any network.
//   bench/egress-proxy/run.sh      BENCH_ROUNDS (20), BENCH_MB (64), BENCH_TUNNELS (10), BENCH_DENIALS (2000)
import { execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { descendants } from "../../tests/egress-proxy/memory.mts";
import { NAMES, startOrigin } from "../../tests/egress-proxy/origin.mts";
import { startProxy } from "../../tests/egress-proxy/proxy.mts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const MB = Number(process.env.BENCH_MB ?? 64);
const TUNNELS = Number(process.env.BENCH_TUNNELS ?? 10);
const DENIALS = Number(process.env.BENCH_DENIALS ?? 2000);

const root = mkdtempSync(join(process.env.EGRESS_TEST_TMPDIR ?? tmpdir(), "egress-bench-"));
chmodSync(root, 0o755);
const origin = await startOrigin(join(root, "origin"), { user: "bench", token: "bench-token" });
mkdirSync(join(root, "proxy"));
const proxy = await startProxy(
    join(root, "proxy"),
    { agent: "bench", allow: [{ host: "allowed.test", ports: [origin.port] }] },
    { names: NAMES },
);

const curl = (args: string[], viaProxy: boolean): Promise<string> =>
    new Promise((resolve, reject) => {
        const route = viaProxy
            ? ["--proxy", `http://127.0.0.1:${proxy.port}`]
            : ["--noproxy", "*", "--resolve", `allowed.test:${origin.port}:127.0.0.1`];
        execFile(
            "curl",
            ["-sS", "--fail", "--cacert", origin.caFile, ...route, ...args],
            { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, maxBuffer: 1 << 20 },
            (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
        );
    });

const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { median: at(0.5), p90: at(0.9), min: sorted[0], max: sorted[sorted.length - 1] };
};
const fmt = (s: ReturnType<typeof stats>, digits = 1) =>
    `median ${s.median.toFixed(digits)}, p90 ${s.p90.toFixed(digits)} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;

/** RSS and PSS (KiB) of the processes named `name` among `pids`. */
function memory(pids: number[], name: string): { rss: number; pss: number; count: number } {
    let rss = 0;
    let pss = 0;
    let count = 0;
    for (const pid of pids) {
        try {
            if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== name) continue;
            const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
            rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
            pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
            count++;
        } catch {
            // ended
        }
    }
    return { rss, pss, count };
}
/** The proxy's processes: the descendants of this benchmark (setpriv, sh, squid, mtail). */
const proxyPids = () => descendants(process.pid);
const showMemory = (label: string) => {
    const pids = proxyPids();
    const squid = memory(pids, "squid");
    const mtail = memory(pids, "mtail");
    console.log(
        `memory ${label}: squid ${squid.count} process(es) RSS ${(squid.rss / 1024).toFixed(1)} MiB, PSS ${(squid.pss / 1024).toFixed(1)} MiB; ` +
            `mtail RSS ${(mtail.rss / 1024).toFixed(1)} MiB, PSS ${(mtail.pss / 1024).toFixed(1)} MiB`,
    );
};

try {
    const hello = `https://allowed.test:${origin.port}/hello`;
    // Warm both paths once (TLS session caches are per curl process, so every sample is a full handshake).
    await curl([hello], false);
    await curl([hello], true);
    showMemory("idle, after one request");

    const latency = { direct: [] as number[], proxy: [] as number[] };
    for (let round = 0; round < ROUNDS * 5; round++) {
        for (const viaProxy of round % 2 === 0 ? [false, true] : [true, false]) {
            const seconds = Number(await curl(["-o", "/dev/null", "-w", "%{time_total}", hello], viaProxy));
            latency[viaProxy ? "proxy" : "direct"].push(seconds * 1000);
        }
    }
    console.log(`request (new connection, TLS handshake, small response), ms, ${ROUNDS * 5} each, interleaved:`);
    console.log(`  direct ${fmt(stats(latency.direct), 2)}`);
    console.log(`  proxy  ${fmt(stats(latency.proxy), 2)}`);

    const bytes = MB * 1024 * 1024;
    const download = `https://allowed.test:${origin.port}/bytes/${bytes}`;
    const throughput = { direct: [] as number[], proxy: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
        for (const viaProxy of round % 2 === 0 ? [false, true] : [true, false]) {
            const speed = Number(await curl(["-o", "/dev/null", "-w", "%{speed_download}", download], viaProxy));
            throughput[viaProxy ? "proxy" : "direct"].push(speed / 1e6);
        }
    }
    console.log(`download of ${MB} MiB, MB/s, ${ROUNDS} each, interleaved:`);
    console.log(`  direct ${fmt(stats(throughput.direct))}`);
    console.log(`  proxy  ${fmt(stats(throughput.proxy))}`);
    showMemory("after the downloads");

    // Open tunnels: slow downloads held open while the memory is read.
    const slow = Array.from({ length: TUNNELS }, () =>
        spawn(
            "curl",
            [
                "-sS",
                "--cacert",
                origin.caFile,
                "--proxy",
                `http://127.0.0.1:${proxy.port}`,
                "--limit-rate",
                "100k",
                "-o",
                "/dev/null",
                download,
            ],
            { stdio: "ignore" },
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    showMemory(`with ${TUNNELS} open tunnels`);
    for (const child of slow) child.kill();
    await new Promise((resolve) => setTimeout(resolve, 1000));

    // Denials to distinct hosts: each is a new series in mtail.
    for (let i = 0; i < DENIALS; i++) {
        await new Promise<void>((resolve) => {
            const socket = connect(proxy.port, "127.0.0.1", () =>
                socket.write(`CONNECT host-${i}.denied.test:443 HTTP/1.1\r\nHost: host-${i}.denied.test\r\n\r\n`),
            );
            socket.once("data", () => socket.destroy());
            socket.once("close", () => resolve());
            socket.once("error", () => resolve());
        });
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const text = await proxy.metrics();
    if (process.env.BENCH_DEBUG) console.log(text, proxy.output().slice(-3000));
    const series = text.split("\n").filter((line) => line.startsWith("egress_denied_total{")).length;
    showMemory(`after ${DENIALS} denials to distinct hosts (${series} series)`);
} finally {
    await proxy.stop();
    await origin.close();
    rmSync(root, { recursive: true, force: true });
}
