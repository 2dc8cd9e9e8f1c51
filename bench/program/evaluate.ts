/**
 * Program evaluation time and memory for 1, 10 and 100 agents, under Pulumi mocks, against a peer
 * program that registers the same objects without our code. Prints per-agent cost and the ratio.
 *   npm run bench:program
 */
import * as path from "node:path";
import { runProgram } from "../../tests/harness/program";
import { copy, stackConfig } from "../../tests/harness/stackFile";

const SIZES = [1, 10, 100];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PEER = path.join(__dirname, "peerProgram.ts");

function configFor(agents: number): Record<string, any> {
    const config = copy(stackConfig("test-cluster"));
    config.agents = Array.from({ length: agents }, (_, i) => ({
        name: `agent${i}`,
        desktop: { enabled: i % 2 === 0 },
    }));
    return config;
}

async function timed(run: () => Promise<unknown>): Promise<{ ms: number; heapMiB: number }> {
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    await run();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    return { ms, heapMiB: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
    await runProgram({ config: configFor(2) }); // warm module caches and JIT
    console.log(`program evaluation under mocks, median of ${ROUNDS} rounds`);
    console.log("agents | ours ms | ms/agent | peer ms | ours/peer | resources | heap MiB");
    const perAgent: number[] = [];
    for (const size of SIZES) {
        const config = configFor(size);
        const ours: number[] = [];
        const peer: number[] = [];
        let heap = 0;
        let resources = 0;
        for (let round = 0; round < ROUNDS; round++) {
            let objects: any[] = [];
            const result = await timed(async () => {
                const run = await runProgram({ config });
                objects = run.kubernetesObjects;
                resources = run.resources.length;
            });
            ours.push(result.ms);
            heap = Math.max(heap, result.heapMiB);
            process.env.PEER_MANIFESTS = JSON.stringify(objects);
            peer.push((await timed(() => runProgram({ config: {}, program: PEER }))).ms);
        }
        const oursMs = median(ours);
        const peerMs = median(peer);
        perAgent.push(oursMs / size);
        console.log(
            `${String(size).padStart(6)} | ${oursMs.toFixed(1).padStart(7)} | ${(oursMs / size).toFixed(2).padStart(8)} | ${peerMs.toFixed(1).padStart(7)} | ${(oursMs / peerMs).toFixed(2).padStart(9)} | ${String(resources).padStart(9)} | ${heap.toFixed(1).padStart(8)}`,
        );
    }
    const growth = (perAgent[2] / perAgent[1]).toFixed(2);
    console.log(`per-agent cost at 100 agents / at 10 agents: ${growth} (1.00 = linear)`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
