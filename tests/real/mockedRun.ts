/**
 * Prints, as JSON, what the program registers under mocks for a stack config file:
 *   node --require tsx/cjs tests/real/mockedRun.ts <Pulumi.<stack>.yaml> <stack>
 * A process per run: the program's modules keep state between runs in one process, so each config gets
 * a fresh module cache.
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { PROJECT, runProgram } from "../harness/program";

async function main(): Promise<void> {
    const [file, stack] = process.argv.slice(2);
    const parsed = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    const config = Object.fromEntries(
        Object.entries(parsed.config)
            .filter(([key]) => key.startsWith(`${PROJECT}:`))
            .map(([key, value]) => [key.slice(PROJECT.length + 1), value]),
    );
    const run = await runProgram({ config, stack });
    // Mocks parent top-level resources to the stack in the URN's type chain; the engine leaves it out.
    const urn = (value: string) => value.replace("::pulumi:pulumi:Stack$", "::");
    const resources = run.resources.map((r) => ({
        type: r.type,
        urn: urn(r.urn),
        retainOnDelete: r.retainOnDelete,
        inputs: r.inputs,
    }));
    process.stdout.write(JSON.stringify(resources));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
