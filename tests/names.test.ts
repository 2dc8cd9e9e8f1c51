/**
 * Every name the stack derives (components/contract/names.ts) is checked by the config against the rule
 * of the object kind that carries it: the longest agent name the config accepts makes valid names only,
 * a name the API server would refuse is reported, and the stack's own names follow the rules too.
 */
import * as assert from "node:assert";
import { ConfigError, parseStackConfig } from "../components/config";
import { dns1035Label, dnsSubdomain } from "../components/config/formats";
import { MAX_CRONJOB_NAME, namedObjects, STACK_OBJECT_NAMES } from "../components/contract/names";
import { stackConfig } from "./harness/stackFile";

import { MAX_AGENT_NAME } from "../components/config/agentSchema";
const RULES = {
    service: dns1035Label,
    subdomain: dnsSubdomain,
    cronJob: (name: string) => (name.length > MAX_CRONJOB_NAME ? "too long" : dnsSubdomain(name)),
};

describe("names: every derived name checked by its kind's rule", () => {
    it("the longest agent name the config accepts derives names every kind accepts", () => {
        const name = `a${"b".repeat(MAX_AGENT_NAME - 1)}`;
        for (const object of namedObjects(name)) {
            assert.strictEqual(RULES[object.rule](object.name), undefined, `${object.name} (${object.kinds})`);
        }
        const config = stackConfig("test-cluster");
        assert.doesNotThrow(() =>
            parseStackConfig({
                values: { ...config, agents: [{ name, namespace: "a" }] },
                isSecret: () => true,
                stackName: "test-cluster",
            }),
        );
    });

    it("names each derived name the API server would refuse, with its kinds", () => {
        const config = stackConfig("test-cluster");
        try {
            parseStackConfig({
                values: { ...config, agents: [{ name: "9lives" }] },
                isSecret: () => true,
                stackName: "test-cluster",
            });
            assert.fail("accepted");
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            const problem = error.problems.find((p) => p.startsWith("agents[0].name:")) ?? "";
            // Service names (DNS-1035) start with a letter: kagent's Service, the computer's, the build daemon's.
            for (const expected of [
                '"9lives" (kagent Agent',
                '"9lives-computer" (Service',
                '"9lives-buildkitd" (Service',
            ]) {
                assert.ok(problem.includes(expected), `${expected} missing from: ${problem}`);
            }
        }
    });

    it("the stack's own objects have valid names", () => {
        for (const name of [STACK_OBJECT_NAMES.prometheusRule, STACK_OBJECT_NAMES.dashboard]) {
            assert.strictEqual(dnsSubdomain(name), undefined, name);
        }
    });
});
