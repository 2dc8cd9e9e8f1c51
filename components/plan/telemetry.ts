/**
 * OpenTelemetry for the agents' MCP servers (`platform.monitoring.otlpEndpoint`, docs/audit-trail.md,
 * "Traces"): the standard exporter variable both servers read, and, when the collector is a Service of
 * this cluster, the computers' egress to its namespace and port (an outside collector is reached through
 * the operator's own `computerEgress`, like any other destination).
 */
import type { EgressRule, PlatformSpec } from "../config";
import type { EnvPlan } from "./parts";

export interface TelemetryPlan {
    /** For the MCP server containers; none when tracing is off. */
    env: EnvPlan[];
    /** The computer's way to an in-cluster collector. */
    egress: EgressRule | undefined;
}

/** `<service>.<namespace>.svc[.cluster.local]`: a Service's name, and its namespace (a shorter name could be
 * an outside host as well). */
const SERVICE_HOST = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$/;

export function planTelemetry(platform: PlatformSpec): TelemetryPlan {
    const endpoint = platform.monitoring.otlpEndpoint;
    if (endpoint === undefined) return { env: [], egress: undefined };
    const url = new URL(endpoint);
    const namespace = SERVICE_HOST.exec(url.hostname)?.[2];
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    return {
        env: [{ name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: endpoint }],
        egress: namespace === undefined ? undefined : { namespace, ports: [port], protocol: "TCP" },
    };
}
