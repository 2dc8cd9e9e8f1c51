/**
 * Real-engine `pulumi preview` and `up` of the local stack with 1, 10, 50 and 100 agents (half with a
 * desktop) against a local control plane, beside the same program under Pulumi mocks (bench/program's
 * method) in the same run. Started by bench/real-engine/run.sh, which provides the cluster and a file
 * backend of its own.
 *
 * The first preview runs twice per round, alternating which goes first: as the CLI comes, and with
 * PULUMI_SKIP_CHECKPOINTS=true. With a file backend the CLI (3.274 and 3.276; 3.245 did not) serializes its
 * whole in-memory snapshot after every step even in a preview, whose snapshot it then discards: the
 * preview's cost grows with the square of the resources (docs/benchmarks.md, "Real engine at scale"). BENCH_UP=0 skips `up`, the
 * no-change preview and `destroy` (a look at the previews alone).
 */
import { LocalStackProject } from "../../tests/real/localStackProject";
import { runProgram } from "../../tests/harness/program";
import { PROJECT } from "../../tests/harness/program";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";

const SIZES = (process.env.BENCH_SIZES ?? "1,10,50,100").split(",").map(Number);
const PREVIEW_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const UP = process.env.BENCH_UP !== "0";
/** What a preview needs to skip the per-step snapshot serialization; it writes no state either way. */
const SKIP_CHECKPOINTS = { PULUMI_SKIP_CHECKPOINTS: "true" };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function seconds(run: () => unknown): number {
    const start = process.hrtime.bigint();
    run();
    return Number(process.hrtime.bigint() - start) / 1e9;
}

async function mockSeconds(configFile: string): Promise<{ seconds: number; resources: number }> {
    const parsed = yaml.load(fs.readFileSync(configFile, "utf8")) as { config: Record<string, unknown> };
    const config = Object.fromEntries(
        Object.entries(parsed.config)
            .filter(([key]) => key.startsWith(`${PROJECT}:`))
            .map(([key, value]) => [key.slice(PROJECT.length + 1), value]),
    );
    const start = process.hrtime.bigint();
    const run = await runProgram({ config, stack: "local" });
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, resources: run.resources.length };
}

interface Row {
    agents: number;
    resources: number;
    mock: number;
    preview: number;
    previewSkippingCheckpoints: number;
    up?: number;
    steadyPreview?: number;
    destroy?: number;
    load: string;
}

async function measure(agents: number): Promise<Row> {
    // Names of their own per size: destroy keeps each agent's Namespace and PVCs, which would clash.
    // Suspended, as in the local stack: no kubelet runs pods, so `up` would wait for Deployments forever.
    const specs = Array.from({ length: agents }, (_, i) => ({
        name: `s${agents}a${i}`,
        suspended: true,
        desktop: { enabled: i % 2 === 0 },
    }));
    // A file backend per size: each size is a fresh `local` stack.
    const backend = path.join(process.env.REAL_TIER_WORK!, `state-${agents}`);
    fs.mkdirSync(backend, { recursive: true });
    process.env.PULUMI_BACKEND_URL = `file://${backend}`;
    const project = LocalStackProject.create(path.join(process.env.REAL_TIER_WORK!, `bench-${agents}`), specs);
    const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
    const previews: number[] = [];
    const skipping: number[] = [];
    const mocks: number[] = [];
    let resources = 0;
    for (let round = 0; round < PREVIEW_ROUNDS; round++) {
        // Interleaved, the first one alternating: the machine's load drifts; both see the same drift.
        const both = [
            () => previews.push(seconds(() => project.pulumiOk(["preview"]))),
            () => skipping.push(seconds(() => project.pulumiOk(["preview"], { env: SKIP_CHECKPOINTS }))),
        ];
        for (const preview of round % 2 === 0 ? both : both.reverse()) {
            preview();
        }
        const mock = await mockSeconds(project.configFile);
        mocks.push(mock.seconds);
        resources = mock.resources;
    }
    const row: Row = {
        agents,
        resources,
        mock: median(mocks),
        preview: median(previews),
        previewSkippingCheckpoints: median(skipping),
        load,
    };
    if (UP) {
        row.up = seconds(() => project.up());
        row.steadyPreview = seconds(() => project.pulumiOk(["preview", "--expect-no-changes"]));
        row.destroy = seconds(() => project.pulumiOk(["destroy", "--yes", "--skip-preview"]));
    }
    return row;
}

const figure = (value: number | undefined, digits = 1) => (value === undefined ? "-" : value.toFixed(digits));

async function main(): Promise<void> {
    await mockSeconds(path.join(__dirname, "..", "..", "Pulumi.local.yaml")); // warm module caches and JIT
    console.log(
        `real engine against a local kube-apiserver; preview and mocks: median of ${PREVIEW_ROUNDS} interleaved rounds`,
    );
    console.log(
        "agents | resources | load | mocks s | preview s | preview skipping checkpoints s | preview/mocks | up s | up s/agent | no-change preview s | destroy s",
    );
    const rows: Row[] = [];
    for (const agents of SIZES) {
        const row = await measure(agents);
        rows.push(row);
        console.log(
            [
                row.agents,
                row.resources,
                row.load,
                row.mock.toFixed(2),
                row.preview.toFixed(1),
                row.previewSkippingCheckpoints.toFixed(1),
                (row.preview / row.mock).toFixed(1),
                figure(row.up),
                figure(row.up === undefined ? undefined : row.up / row.agents, 2),
                figure(row.steadyPreview),
                figure(row.destroy),
            ].join(" | "),
        );
    }
    // Marginal costs between the smallest size of 10 or more (below it the fixed start-up cost dominates)
    // and the largest.
    const small = rows.find((row) => row.agents >= 10);
    const large = rows[rows.length - 1];
    if (small && large.agents > small.agents) {
        const span = large.agents - small.agents;
        const perAgent = (at: (row: Row) => number | undefined) => {
            const [a, b] = [at(small), at(large)];
            return a === undefined || b === undefined ? undefined : (b - a) / span;
        };
        const growth = (at: (row: Row) => number | undefined) => {
            const [a, b] = [at(small), at(large)];
            return a === undefined || b === undefined ? undefined : b / large.agents / (a / small.agents);
        };
        console.log(
            `marginal cost per agent from ${small.agents} to ${large.agents}: up ${figure(
                perAgent((r) => r.up),
                2,
            )} s, ` +
                `preview ${figure(
                    perAgent((r) => r.preview),
                    2,
                )} s, skipping checkpoints ${figure(
                    perAgent((r) => r.previewSkippingCheckpoints),
                    2,
                )} s, ` +
                `mocks ${figure(
                    perAgent((r) => r.mock),
                    3,
                )} s`,
        );
        console.log(
            `per-agent cost at ${large.agents} / at ${small.agents} agents (1.00 = linear): up ${figure(
                growth((r) => r.up),
                2,
            )}, ` +
                `preview ${figure(
                    growth((r) => r.preview),
                    2,
                )}, skipping checkpoints ${figure(
                    growth((r) => r.previewSkippingCheckpoints),
                    2,
                )}`,
        );
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
