/**
 * Turns one golden input (tests/golden/inputs/*.yaml) into the text of its golden outputs: every
 * resource the program registers, in a stable order and form.
 */
import * as yaml from "js-yaml";
import * as path from "path";
import { compileStack } from "../../components/plan";
import { RegisteredResource, SECRET_SIG, runProgram } from "./program";
import { REPO_ROOT, stackConfig } from "./stackFile";

export const GOLDEN_DIR = path.join(__dirname, "..", "golden");

export interface GoldenInput {
    /** A committed stack file to take the config from (e.g. test-cluster)... */
    stackFile?: string;
    /** ...or the config itself (project keys without prefix). */
    config?: Record<string, unknown>;
    /** Keys Pulumi would hold as secrets. */
    secretKeys?: string[];
}

/** File name → text. */
export async function goldenOutputs(input: GoldenInput): Promise<Record<string, string>> {
    const config = input.stackFile ? stackConfig(input.stackFile) : (input.config ?? {});
    const run = await runProgram({ config, secretKeys: input.secretKeys });
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const label = (urn: string) => {
        const resource = byUrn.get(urn);
        return resource ? `${resource.type} ${resource.name}` : urn;
    };
    const resources = [...run.resources]
        .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`))
        .map((resource) => describeResource(resource, label));
    const plan = compileStack({
        values: config,
        isSecret: (key) => (input.secretKeys ?? []).includes(key),
        stackName: "test-cluster",
    });
    return { "plan.yaml": dump(unwrapSecrets(plan)), "resources.yaml": dump(resources) };
}

function describeResource(resource: RegisteredResource, label: (urn: string) => string) {
    const options: Record<string, unknown> = {};
    if (resource.parent) {
        options.parent = label(resource.parent);
    }
    if (resource.retainOnDelete) {
        options.retainOnDelete = true;
    }
    if (resource.protect) {
        options.protect = true;
    }
    if (resource.dependencies.length > 0) {
        options.dependsOn = [...new Set(resource.dependencies.map(label))].sort();
    }
    return { resource: `${resource.type} ${resource.name}`, options, inputs: unwrapSecrets(inputsOf(resource)) };
}

/**
 * An image build's context and cache settings are components/resources/images.ts's business (and its tests');
 * what the stack config decides about it is its tags, platforms and build arguments.
 */
function inputsOf(resource: RegisteredResource): unknown {
    if (resource.type === "docker-build:index:Image") {
        const { tags, platforms, buildArgs, push } = resource.inputs;
        return { tags, platforms, buildArgs, push };
    }
    if (resource.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule") {
        // The rules are monitoring/rules.yaml's (tested with promtool there): only which ones ship.
        const groups = resource.inputs.spec.groups.map((group: any) => ({
            name: group.name,
            rules: group.rules.map((rule: any) => rule.alert ?? rule.record),
        }));
        return { ...resource.inputs, spec: { groups } };
    }
    return resource.inputs;
}

/** Whole files shipped in ConfigMaps (the dashboard, the backup program) belong to their own tests. */
const LONGEST_TEXT = 2000;

/**
 * Pulumi's secret wrapper becomes `{secret: value}`, so that the files show what is marked secret; the
 * checkout's own path becomes `<repo>`, so that the files hold on any machine.
 */
function unwrapSecrets(value: unknown): unknown {
    if (typeof value === "string") {
        return value.length > LONGEST_TEXT
            ? "<a whole file, left out of the golden files>"
            : value.split(REPO_ROOT).join("<repo>");
    }
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value !== null && typeof value === "object") {
        const object = value as Record<string, unknown>;
        if (SECRET_SIG in object) {
            return { secret: unwrapSecrets(object.value) };
        }
        return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, unwrapSecrets(inner)]));
    }
    return value;
}

export function dump(value: unknown): string {
    return yaml.dump(value, { sortKeys: true, lineWidth: -1, noRefs: true });
}
