/**
 * OpenTelemetry in the stack (platform.monitoring.otlpEndpoint: components/config, plan/telemetry.ts): the
 * exporter's endpoint for both MCP servers and no other container, the computers' egress to an in-cluster
 * collector, nothing when unset, and the config it refuses.
 */
import * as assert from "node:assert";
import { ConfigError, parseStackConfig } from "../components/config";
import { planAgent } from "../components/plan";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

function plans(otlpEndpoint: string | undefined) {
    const values = copy(testCluster);
    values.platform.monitoring = { ...values.platform.monitoring, otlpEndpoint };
    if (otlpEndpoint === undefined) delete values.platform.monitoring.otlpEndpoint;
    const { platform, agents } = parseStackConfig({
        values: { agents: values.agents, platform: values.platform },
        isSecret: () => false,
        stackName: "test-cluster",
    });
    return agents.map((agent) => planAgent(agent, platform));
}

const endpointOf = (container: { env: { name: string; value?: string }[] }) =>
    container.env.find((e) => e.name === "OTEL_EXPORTER_OTLP_ENDPOINT")?.value;

describe("OpenTelemetry of the MCP servers", () => {
    const collector = "http://otel-collector.observability.svc.cluster.local:4318";

    it("gives both MCP servers the collector's endpoint, and no other container", () => {
        for (const plan of plans(collector)) {
            for (const container of plan.computer.containers) {
                const serves = container.role === "shell" || container.role === "computerControl";
                assert.strictEqual(endpointOf(container), serves ? collector : undefined, container.name);
            }
        }
    });

    it("opens the computers' egress to an in-cluster collector's namespace and port only", () => {
        for (const plan of plans(collector)) {
            const egress = plan.network.policies["computer-egress"].egress ?? [];
            const toCollector = egress.filter((rule) =>
                rule.peers?.some((peer) => "namespace" in peer && peer.namespace === "observability"),
            );
            assert.deepStrictEqual(
                toCollector.map((rule) => rule.ports),
                [[{ protocol: "TCP", port: 4318 }]],
                plan.agent,
            );
        }
        const short = plans("http://otel-collector.observability.svc:4318")[0].network.policies["computer-egress"];
        assert.ok(
            short.egress?.some((rule) =>
                rule.peers?.some((peer) => "namespace" in peer && peer.namespace === "observability"),
            ),
        );
    });

    it("adds no egress for a collector outside the cluster (the operator's computerEgress reaches it)", () => {
        const outside = "https://otlp.example.com";
        for (const plan of plans(outside)) {
            const before = plans(undefined).find((p) => p.agent === plan.agent)!;
            assert.deepStrictEqual(plan.network.policies, before.network.policies);
            assert.strictEqual(endpointOf(plan.computer.containers.find((c) => c.role === "shell")!), outside);
        }
    });

    it("changes nothing when unset", () => {
        for (const plan of plans(undefined)) {
            assert.ok(plan.computer.containers.every((c) => endpointOf(c) === undefined));
        }
    });

    it("refuses an endpoint that is not an http(s) URL, naming the key", () => {
        assert.throws(
            () => plans("otel-collector:4318"),
            (error: unknown) =>
                error instanceof ConfigError &&
                error.problems.some((p) => p.includes("platform.monitoring.otlpEndpoint") && p.includes("http")),
        );
    });
});
