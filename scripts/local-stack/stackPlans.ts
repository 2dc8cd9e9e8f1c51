/**
 * The plans of a stack file's agents, as the program makes them (its config parser, then `planStack`, with
 * the stack's shared services: the build service, the waker),
 * for the local stack's scripts (vault-plan.ts, endpoints.ts) and the node tier: so that none of them
 * repeats how the program names objects, paths, ports or keys.
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { type PlatformSpec, parseStackConfig } from "../../components/config";
import { type AgentPlan, type ImageName, planStack } from "../../components/plan";

export const REPOSITORY = path.join(__dirname, "..", "..");

/**
 * `as: { writeSecrets: true }` plans the agents as if the stack wrote to Vault (their Vault policies and
 * roles are then in the plan), for what an operator writes when the stack does not.
 */
export function stackPlans(
    file: string,
    as: { writeSecrets?: boolean } = {},
): { platform: PlatformSpec; plans: AgentPlan[]; images: ImageName[] } {
    const project = (yaml.load(fs.readFileSync(path.join(REPOSITORY, "Pulumi.yaml"), "utf8")) as { name: string }).name;
    const stackFile = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(stackFile.config ?? {})) {
        if (key.startsWith(`${project}:`)) {
            values[key.slice(project.length + 1)] = value;
        }
    }
    if (as.writeSecrets !== undefined) {
        const platform = (values.platform ?? {}) as { vault?: Record<string, unknown> };
        values.platform = { ...platform, vault: { ...platform.vault, writeSecrets: as.writeSecrets } };
    }
    const isSecret = (key: string) =>
        typeof values[key] === "object" && values[key] !== null && "secure" in (values[key] as object);
    const stackName = path.basename(file).replace(/^Pulumi\.(.*)\.yaml$/, "$1");
    const config = parseStackConfig({
        values,
        isSecret,
        stackName,
        stackFile: { fileName: file, values },
    });
    const stack = planStack(config);
    return { platform: config.platform, plans: stack.agents, images: stack.images?.needed ?? [] };
}

/**
 * `tsx scripts/local-stack/stackPlans.ts images <stack file>`: the images the stack runs (its agents' and its
 * own services', the waker's), one key a line;
 * `... plans <stack file>`: the agents' plans as JSON (the node tier's Python tests read them).
 */
if (require.main === module && process.argv[3]) {
    const { plans, images } = stackPlans(process.argv[3]);
    if (process.argv[2] === "images") {
        console.log(images.join("\n"));
    } else if (process.argv[2] === "plans") {
        console.log(JSON.stringify(plans));
    }
}
