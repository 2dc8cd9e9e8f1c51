/**
 * What the project's NetworkPolicy evaluator (tests/harness/networkPolicyEvaluator.ts, the one the isolation
 * tests compute the reachability matrix with) says of connections on the running cluster, from the
 * NetworkPolicies and namespace labels the API server holds now. The node tier compares it with real packets.
 *   tsx tests/node/reachability.ts < [{from: {namespace?, labels?, ip?}, to: {...}, port, protocol?}, ...]
 * prints a JSON array of booleans, one per connection. KUBECONFIG names the cluster.
 */
import * as fs from "node:fs";
import { type Endpoint, allowed } from "../harness/networkPolicyEvaluator";
import { kubectlOk } from "./fixture";

interface Connection {
    from: Endpoint;
    to: Endpoint;
    port: number;
    protocol?: string;
}

const input = fs.readFileSync(0, "utf8");
const connections = JSON.parse(input) as Connection[];
const policies = JSON.parse(kubectlOk(["get", "networkpolicies", "-A", "-o", "json"])).items;
const namespaceLabels = Object.fromEntries(
    JSON.parse(kubectlOk(["get", "namespaces", "-o", "json"])).items.map((ns: any) => [
        ns.metadata.name,
        ns.metadata.labels ?? {},
    ]),
);
console.log(
    JSON.stringify(
        connections.map((c) => allowed({ policies, namespaceLabels }, c.from, c.to, c.port, c.protocol ?? "TCP")),
    ),
);
