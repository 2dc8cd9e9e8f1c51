/** Every Service that exposes an MCP port is fenced by a NetworkPolicy that names that port. */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { MCP_PORTS } from "./constants";
import { type Obj, objectRef } from "./kubernetes";

const SERVICE = "kubernetes:core/v1:Service";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

interface McpPort {
    /** `8081 (shell-mcp)`, as messages show it. */
    label: string;
    protocol: string;
    /** Ways a NetworkPolicy may name the pod port behind it: its number and its name. */
    aliases: Set<string | number>;
}

/** The Service's ports that lead to an MCP server. */
function mcpPorts(service: Obj): McpPort[] {
    const ports: McpPort[] = [];
    for (const port of service?.spec?.ports ?? []) {
        const candidates = [port?.port, port?.name, port?.targetPort].filter((v) => v !== undefined);
        const known = MCP_PORTS.find((m) => candidates.includes(m.number) || candidates.includes(m.name));
        if (!known) {
            continue;
        }
        const target = port.targetPort ?? port.port;
        const aliases = new Set<string | number>([target, known.number, known.name]);
        ports.push({
            label: `${port.port}${port.name ? ` (${port.name})` : ""}`,
            protocol: port.protocol ?? "TCP",
            aliases,
        });
    }
    return ports;
}

/** Whether a label selector selects every pod that carries `labels` (and possibly more). */
function selectsAll(selector: Obj | undefined, labels: Record<string, string>): boolean {
    if (!selector) {
        return false;
    }
    const matchLabels: Record<string, string> = selector.matchLabels ?? {};
    if (!Object.entries(matchLabels).every(([key, value]) => labels[key] === value)) {
        return false;
    }
    return (selector.matchExpressions ?? []).every((expression: Obj) => {
        const values: string[] = expression.values ?? [];
        const has = Object.hasOwn(labels, expression.key);
        switch (expression.operator) {
            case "In":
                return has && values.includes(labels[expression.key]);
            case "NotIn":
                return has && !values.includes(labels[expression.key]);
            case "Exists":
                return has;
            // A pod could carry the key on top of the Service's labels.
            default:
                return false;
        }
    });
}

function restrictsIngress(policy: Obj): boolean {
    const types: unknown = policy?.spec?.policyTypes;
    // Without policyTypes, a NetworkPolicy always restricts ingress.
    return !Array.isArray(types) || types.length === 0 || types.includes("Ingress");
}

function portMatches(entry: Obj, port: McpPort): boolean {
    if ((entry.protocol ?? "TCP") !== port.protocol) {
        return false;
    }
    if (entry.port === undefined) {
        return true;
    }
    if (port.aliases.has(entry.port)) {
        return true;
    }
    return (
        typeof entry.port === "number" &&
        typeof entry.endPort === "number" &&
        [...port.aliases].some((a) => typeof a === "number" && a >= entry.port && a <= entry.endPort)
    );
}

/** Violations for one Service, given the NetworkPolicies of the stack. */
function serviceViolations(service: Obj, networkPolicies: Obj[]): string[] {
    const ports = mcpPorts(service);
    if (ports.length === 0) {
        return [];
    }
    const ref = objectRef(service);
    const namespace = service.metadata?.namespace ?? "default";
    const selector: Record<string, string> | undefined = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
        return [
            `Service ${ref} exposes MCP port${ports.length > 1 ? "s" : ""} ${ports.map((p) => p.label).join(", ")} without a pod selector: no NetworkPolicy can be shown to cover it`,
        ];
    }
    const covering = networkPolicies.filter(
        (np) =>
            (np.metadata?.namespace ?? "default") === namespace &&
            restrictsIngress(np) &&
            selectsAll(np.spec?.podSelector, selector),
    );
    if (covering.length === 0) {
        return ports.map(
            (port) => `Service ${ref} exposes MCP port ${port.label} but no NetworkPolicy selects its pods`,
        );
    }
    const found: string[] = [];
    for (const port of ports) {
        let listed = false;
        for (const np of covering) {
            for (const rule of np.spec?.ingress ?? []) {
                const entries: Obj[] = rule?.ports ?? [];
                if (entries.length === 0) {
                    found.push(
                        `NetworkPolicy ${objectRef(np)} admits ingress to every port of ${ref}'s pods (an ingress rule without ports), MCP port ${port.label} included`,
                    );
                    continue;
                }
                if (!entries.some((entry) => portMatches(entry, port))) {
                    continue;
                }
                listed = true;
                if (!Array.isArray(rule.from) || rule.from.length === 0) {
                    found.push(
                        `NetworkPolicy ${objectRef(np)} admits MCP port ${port.label} of ${ref} from any source (an ingress rule without from)`,
                    );
                }
            }
        }
        if (!listed) {
            found.push(
                `Service ${ref} exposes MCP port ${port.label} but no NetworkPolicy selecting its pods lists that port`,
            );
        }
    }
    return found;
}

export const mcpServicesCoveredByNetworkPolicy: StackValidationPolicy = {
    name: "mcp-services-network-policy",
    description:
        "Every Service exposing an MCP port (8080 computer-mcp, 8081 shell-mcp) selects pods that a " +
        "NetworkPolicy in its namespace selects, and that policy admits the port only from named sources.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: (args, reportViolation) => {
        const networkPolicies = args.resources
            .filter((r: PolicyResource) => r.type === NETWORK_POLICY)
            .map((r) => r.props);
        for (const service of args.resources.filter((r: PolicyResource) => r.type === SERVICE)) {
            for (const message of serviceViolations(service.props, networkPolicies)) {
                reportViolation(message, service.urn);
            }
        }
    },
};
