/**
 * Real-engine `pulumi preview` and `up` of the local stack with 1, 10 and 50 agents (half with a desktop)
 * against a local control plane, beside the same program under Pulumi mocks (bench/program's method) in the
 * same run. Started by bench/real-engine/run.sh, which provides the cluster and a file backend of its own.
 */
import { LocalStackProject } from "../../tests/real/localStackProject";
import { runProgram } from "../../tests/harness/program";
import { PROJECT } from "../../tests/harness/program";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";

const SIZES = (process.env.BENCH_SIZES ?? "1,10,50,100").split(",").map(Number);
const PREVIEW_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

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
    up: number;
    steadyPreview: number;
    destroy: number;
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
    const previews: number[] = [];
    const mocks: number[] = [];
    let resources = 0;
    for (let round = 0; round < PREVIEW_ROUNDS; round++) {
        previews.push(seconds(() => project.pulumiOk(["preview"])));
        const mock = await mockSeconds(project.configFile);
        mocks.push(mock.seconds);
        resources = mock.resources;
    }
    const up = seconds(() => project.up());
    const steadyPreview = seconds(() => project.pulumiOk(["preview", "--expect-no-changes"]));
    const destroy = seconds(() => project.pulumiOk(["destroy", "--yes", "--skip-preview"]));
    return { agents, resources, mock: median(mocks), preview: median(previews), up, steadyPreview, destroy };
}

async function main(): Promise<void> {
    await mockSeconds(path.join(__dirname, "..", "..", "Pulumi.local.yaml")); // warm module caches and JIT
    console.log(
        `real engine against a local kube-apiserver; preview and mocks: median of ${PREVIEW_ROUNDS} interleaved rounds`,
    );
    console.log(
        "agents | resources | mocks s | preview s | preview/mocks | up s | up s/agent | no-change preview s | destroy s",
    );
    const rows: Row[] = [];
    for (const agents of SIZES) {
        const row = await measure(agents);
        rows.push(row);
        console.log(
            [
                row.agents,
                row.resources,
                row.mock.toFixed(2),
                row.preview.toFixed(1),
                (row.preview / row.mock).toFixed(1),
                row.up.toFixed(1),
                (row.up / row.agents).toFixed(2),
                row.steadyPreview.toFixed(1),
                row.destroy.toFixed(1),
            ].join(" | "),
        );
    }
    // Marginal costs between the smallest size of 10 or more (below it the fixed start-up cost dominates)
    // and the largest.
    const small = rows.find((row) => row.agents >= 10);
    const large = rows[rows.length - 1];
    if (small && large.agents > small.agents) {
        const span = large.agents - small.agents;
        console.log(
            `marginal cost per agent from ${small.agents} to ${large.agents}: up ${((large.up - small.up) / span).toFixed(2)} s, ` +
                `preview ${((large.preview - small.preview) / span).toFixed(2)} s, mocks ${((large.mock - small.mock) / span).toFixed(3)} s`,
        );
        console.log(
            `per-agent up cost at ${large.agents} / at ${small.agents} agents: ${(large.up / large.agents / (small.up / small.agents)).toFixed(2)} (1.00 = linear)`,
        );
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
