/**
 * Property test of the config parser (issue 11): for random configs built from the schema plus random
 * mutations, the program either rejects the config before registering any resource, with every
 * problem under a path of the config, or renders objects within the API server's rules for what the
 * config decides (names, labels, ports, quantities). It never throws anything else. The same objects
 * go through server-side dry-run in the real tier (tests/harness/configProperty.ts, renderedSamples).
 */
import * as assert from "node:assert";
import * as fc from "fast-check";
import { type StackCase, renderOrReject, stackCase } from "./harness/configProperty";

/** Fixed, so that a failure reproduces; FC_SEED=<n> explores other configs. */
const SEED = Number(process.env.FC_SEED ?? 20261130);
const RUNS = Number(process.env.FC_RUNS ?? 60);

// apimachinery's rules (k8s.io/apimachinery/pkg/util/validation), written out here independently of
// the stack's own checks (components/config/formats.ts) so that the test does not grade itself.
const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])$/;
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

function problemsWithObject(object: any): string[] {
    const found: string[] = [];
    const where = `${object.kind} ${object.metadata?.name}`;
    const name: string = object.metadata?.name ?? "";
    const nameRule =
        object.kind === "Service" ? DNS_1035 : object.kind === "Namespace" ? DNS_1123_LABEL : DNS_1123_SUBDOMAIN;
    if (!nameRule.test(name)) found.push(`${where}: name`);
    if (object.metadata?.namespace !== undefined && !DNS_1123_LABEL.test(object.metadata.namespace))
        found.push(`${where}: namespace`);
    for (const [key, value] of Object.entries(object.metadata?.labels ?? {}) as [string, string][]) {
        const [prefix, label] = key.includes("/") ? key.split("/") : [undefined, key];
        if (!LABEL_NAME.test(label) || (prefix !== undefined && !DNS_1123_SUBDOMAIN.test(prefix)))
            found.push(`${where}: label key ${key}`);
        if (value !== "" && !LABEL_NAME.test(value)) found.push(`${where}: label value ${value}`);
    }
    const visit = (value: any, path: string) => {
        if (Array.isArray(value)) {
            value.forEach((item, i) => {
                visit(item, `${path}[${i}]`);
            });
        } else if (value !== null && typeof value === "object") {
            for (const [key, inner] of Object.entries(value)) {
                if (
                    (key === "port" || key === "containerPort") &&
                    typeof inner === "number" &&
                    !(inner >= 1 && inner <= 65535)
                )
                    found.push(`${where}: ${path}.${key} ${inner}`);
                if (
                    ["requests", "limits", "hard", "max", "default", "defaultRequest"].includes(key) &&
                    inner &&
                    typeof inner === "object"
                ) {
                    for (const [measure, quantity] of Object.entries(inner)) {
                        if (
                            typeof quantity === "string" &&
                            /cpu|memory|storage/.test(measure) &&
                            (!QUANTITY.test(quantity) || !Number.isFinite(Number.parseFloat(quantity)))
                        ) {
                            found.push(`${where}: ${path}.${key}.${measure} ${quantity}`);
                        }
                    }
                }
                visit(inner, `${path}.${key}`);
            }
        }
    };
    visit(object.spec ?? {}, "spec");
    return found;
}

function check(stack: StackCase, outcome: Awaited<ReturnType<typeof renderOrReject>>): void {
    const shown = JSON.stringify(stack.config);
    if ("rejected" in outcome) {
        assert.strictEqual(outcome.registered, 0, `resources were registered before the config was rejected: ${shown}`);
        assert.ok(outcome.rejected.length > 0);
        for (const problem of outcome.rejected) {
            const separator = problem.indexOf(": ");
            assert.ok(separator > 0, `problem without a path: ${problem}`);
            const top = problem.slice(0, separator).split(/[.[]/)[0];
            assert.ok(
                top in stack.config || top === "platform" || top === "agents",
                `problem not under a key of the config: ${problem}\n${shown}`,
            );
        }
    } else {
        assert.ok(outcome.objects.length > 0);
        const found = outcome.objects.flatMap(problemsWithObject);
        assert.deepStrictEqual(found, [], `rendered objects the API server refuses for config ${shown}`);
    }
}

describe("config property: random and mutated configs are rejected with paths, or render valid objects", () => {
    it(`holds for ${RUNS} configs (seed ${SEED})`, async () => {
        let accepted = 0;
        await fc.assert(
            fc.asyncProperty(stackCase, async (stack) => {
                const outcome = await renderOrReject(stack);
                accepted += "objects" in outcome ? 1 : 0;
                check(stack, outcome);
            }),
            { numRuns: RUNS, seed: SEED },
        );
        // Both branches must be exercised, or the property says little.
        assert.ok(accepted > 0 && accepted < RUNS, `${accepted} of ${RUNS} configs accepted`);
    });
});
