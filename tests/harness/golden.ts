/**
 * Turns one golden input (tests/golden/inputs/*.yaml) into the text of its golden outputs, in three
 * layers as kagent's translator testdata has them (inputs -> outputs, no cluster):
 *   plan.yaml       the StackPlan, every decision (components/plan, pure);
 *   render.yaml     every object the plan renders to (components/render, pure, no mocks), per agent and group;
 *   resources.yaml  what Pulumi adds when the program runs under mocks: each resource's URN, parent,
 *                   dependsOn, retainOnDelete, ignoreChanges (the objects themselves are render.yaml's).
 * `registeredMatchesRendered` holds the third layer to the second: every Kubernetes resource the program
 * registers has exactly its rendered object as inputs.
 */
import * as yaml from "js-yaml";
import * as path from "node:path";
import type { ImageName } from "../../components/config";
import { compileStack, type StackPlan } from "../../components/plan";
import { type ImageRefs, type KubernetesObject, renderStack, type StackObjects } from "../../components/render";
import { type ProgramRun, type RegisteredResource, runProgram, SECRET_SIG } from "./program";
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

export interface GoldenRun {
    /** File name → text. */
    files: Record<string, string>;
    plan: StackPlan;
    /** Rendered with the image references the mocked program had. */
    rendered: StackObjects;
    run: ProgramRun;
}

export async function goldenRun(input: GoldenInput): Promise<GoldenRun> {
    const config = input.stackFile ? stackConfig(input.stackFile) : (input.config ?? {});
    const plan = compileStack({
        values: config,
        isSecret: (key) => (input.secretKeys ?? []).includes(key),
        stackName: "test-cluster",
    });
    const run = await runProgram({ config, secretKeys: input.secretKeys });
    const files = {
        "plan.yaml": dump(clean(plan)),
        "render.yaml": dump(clean(renderStack(plan, placeholderImages(plan)))),
        "resources.yaml": dump(resourceOptions(run.resources)),
    };
    return { files, plan, rendered: renderStack(plan, mockedImages(plan)), run };
}

/** In render.yaml, an image reference says which image, not which (mocked) digest. */
function placeholderImages(plan: StackPlan): ImageRefs {
    return Object.fromEntries((plan.images?.needed ?? []).map((image) => [image, `<image ${image}>`]));
}

/** What the mocked docker-build returns (tests/harness/program.ts mockState), or the prebuilt reference. */
function mockedImages(plan: StackPlan): ImageRefs {
    const images = plan.images;
    if (images === undefined) {
        return {};
    }
    const ref = (image: ImageName) => {
        const build = images.builds[image];
        return build === undefined
            ? images.prebuilt[image]
            : `${images.registry}/${images.repository}/${build.repository}:${images.tag}@sha256:${"ab".repeat(32)}`;
    };
    return Object.fromEntries(images.needed.map((image) => [image, ref(image)]));
}

/** Every rendered Kubernetes object of the stack, with the name of the Pulumi resource that registers it. */
function renderedWithResourceNames(rendered: StackObjects): [string, KubernetesObject][] {
    const found: [string, KubernetesObject][] = [];
    const add = (prefix: string, list: { key: string; object: KubernetesObject }[]) => {
        for (const { key, object } of list) {
            found.push([`${prefix}-${key}`, object]);
        }
    };
    for (const [agent, objects] of Object.entries(rendered.agents)) {
        const { computer, kagent, vaultAccess } = objects;
        add(agent, [
            objects.namespace,
            ...objects.guards,
            ...(vaultAccess ? [vaultAccess.serviceAccount, vaultAccess.secretStore] : []),
            objects.externalSecret,
            ...objects.browserView,
            ...objects.egressProxy,
            ...objects.buildDaemon,
            ...computer.claims,
            computer.serviceAccount,
            computer.deployment,
            computer.service,
            kagent.modelConfig,
            ...kagent.mcpServers,
            kagent.agent,
            ...objects.operations,
        ]);
    }
    add("monitoring", rendered.monitoring);
    if (rendered.buildService) {
        const { vaultAccess } = rendered.buildService;
        add("build-service", [
            rendered.buildService.namespace,
            ...rendered.buildService.inNamespace,
            ...(vaultAccess ? [vaultAccess.serviceAccount, vaultAccess.secretStore] : []),
        ]);
    }
    if (rendered.waker) {
        add("waker", [rendered.waker.namespace, ...rendered.waker.inNamespace]);
    }
    return found;
}

/**
 * Differences between what the program registered and what render/ gives, as messages (none: they
 * agree): a Kubernetes resource with other inputs, one registered but not rendered, or the reverse.
 */
export function registeredMatchesRendered(run: ProgramRun, rendered: StackObjects): string[] {
    const problems: string[] = [];
    // One name may be several kinds (`<agent>-computer`: ServiceAccount, Deployment, Service).
    const key = (name: string, object: { apiVersion: string; kind: string }) =>
        `${name} ${object.apiVersion}/${object.kind}`;
    const rendersByKey = new Map(
        renderedWithResourceNames(rendered).map(([name, object]) => [key(name, object), object]),
    );
    const registered = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
    for (const resource of registered) {
        const id = key(resource.name, resource.inputs);
        const object = rendersByKey.get(id);
        if (object === undefined) {
            problems.push(`${resource.type} ${resource.name} is registered but not rendered`);
            continue;
        }
        rendersByKey.delete(id);
        if (yaml.dump(normalise(resource.inputs)) !== yaml.dump(normalise(object))) {
            problems.push(`${resource.type} ${resource.name}: its inputs differ from the rendered object`);
        }
    }
    for (const id of rendersByKey.keys()) {
        problems.push(`${id} is rendered but not registered`);
    }
    return problems;
}

/** As Pulumi serialises inputs: no undefined fields, keys in any order. */
function normalise(value: unknown): unknown {
    return JSON.parse(
        JSON.stringify(value, (_, inner) => inner),
        (_, inner) =>
            inner !== null && typeof inner === "object" && !Array.isArray(inner)
                ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
                : inner,
    );
}

/** The options of every registered resource, sorted by type and name; their inputs are render.yaml's. */
function resourceOptions(resources: RegisteredResource[]) {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const label = (urn: string) => {
        const resource = byUrn.get(urn);
        return resource ? `${resource.type} ${resource.name}` : urn;
    };
    return [...resources]
        .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`))
        .map((resource) => {
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
            if (resource.ignoreChanges.length > 0) {
                options.ignoreChanges = resource.ignoreChanges;
            }
            if (resource.dependencies.length > 0) {
                options.dependsOn = [...new Set(resource.dependencies.map(label))].sort();
            }
            return { resource: `${resource.type} ${resource.name}`, urn: resource.urn, options };
        });
}

/** The alert rules are monitoring/rules.yaml's (tested with promtool there): the golden files show which ship. */
function ruleNames(groups: { name: string; rules: { alert?: string; record?: string }[] }[]) {
    return groups.map((group) => ({ name: group.name, rules: group.rules.map((rule) => rule.alert ?? rule.record) }));
}

/** Whole files shipped in ConfigMaps (the dashboard, the backup program) belong to their own tests. */
const LONGEST_TEXT = 2000;

/**
 * Pulumi's secret wrapper becomes `{secret: value}`, so that the files show what is marked secret; the
 * checkout's own path becomes `<repo>`, so that the files hold on any machine.
 */
function clean(value: unknown): unknown {
    if (typeof value === "string") {
        return value.length > LONGEST_TEXT
            ? "<a whole file, left out of the golden files>"
            : value.split(REPO_ROOT).join("<repo>");
    }
    if (Array.isArray(value)) {
        return value.map(clean);
    }
    if (value !== null && typeof value === "object") {
        const object = value as Record<string, unknown>;
        if (SECRET_SIG in object) {
            return { secret: clean(object.value) };
        }
        if (Array.isArray(object.groups) && Object.keys(object).length === 1) {
            return { groups: ruleNames(object.groups) };
        }
        return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, clean(inner)]));
    }
    return value;
}

function dump(value: unknown): string {
    return yaml.dump(value, { sortKeys: true, lineWidth: -1, noRefs: true });
}
