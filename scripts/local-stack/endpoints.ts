/**
 * How to reach each agent of a stack running on the local node, printed by ./scripts/up-local.sh: its MCP
 * servers and its browser view through `kubectl port-forward` (the API server and kubelet carry the
 * connection; NetworkPolicies do not apply to it), and how to read the token each wants, from the
 * agent's Secret (synced by ESO from Vault). Everything comes from the program's plan of the agent.
 *   npx tsx scripts/local-stack/endpoints.ts <Pulumi.<stack>.yaml> <kubectl command>
 * Local ports: the pod's port plus 10000 times the agent's position (devbot 18080, databot 28081, ...),
 * so the port-forwards of several agents can run at once. An agent that sleeps when idle is reached through
 * the waker instead (one port-forward for all, local port 19080): a call or a visit there wakes it, while a
 * port-forward to a sleeping computer's Service finds no pod.
 */
import { PORT_NAMES, SECRET_KEYS } from "../../components/contract/pod";
import { WAKER_NAME, WAKER_PORT, wakerViewPath } from "../../components/contract/waker";
import { stackPlans } from "./stackPlans";

const [file, kubectl] = process.argv.slice(2);
if (!file || !kubectl) {
    console.error("usage: tsx scripts/local-stack/endpoints.ts <Pulumi.<stack>.yaml> <kubectl command>");
    process.exit(2);
}

const WAKER_LOCAL_PORT = 19080;
const { plans } = stackPlans(file);
plans.forEach((plan, index) => {
    const local = (port: number) => port + 10000 * (index + 1);
    const secret = (key: string) =>
        `$(${kubectl} -n ${plan.namespace.name} get secret ${plan.credentials.secretName} -o jsonpath='{.data.${key}}' | base64 -d)`;
    const browserPort = plan.browserView
        ? plan.computer.servicePorts.find((p) => p.name === PORT_NAMES.browserView)?.port
        : undefined;
    const forwarded = [...plan.mcpServers.map((server) => server.port), ...(browserPort ? [browserPort] : [])];
    const lines = [
        `${plan.agent} (namespace ${plan.namespace.name}, pod ${plan.computer.name}):`,
        `  ${kubectl} -n ${plan.namespace.name} port-forward svc/${plan.computer.name} ${forwarded.map((p) => `${local(p)}:${p}`).join(" ")}`,
        ...plan.mcpServers.map(
            (server) => `  MCP ${server.name}: http://127.0.0.1:${local(server.port)}${server.path}`,
        ),
        `  MCP header: Authorization: Bearer ${secret(SECRET_KEYS.mcpToken)}`,
    ];
    // The Secret key of the browser view's login token (docs/pod-contract.md).
    const tokenKey = "browser-view-token";
    if (plan.browserView && browserPort && tokenKey in plan.credentials.secretKeys) {
        lines.push(
            `  browser view (${plan.browserView.mode}): http://127.0.0.1:${local(browserPort)}/  token: ${secret(tokenKey)}`,
        );
    }
    if (plan.sleep) {
        // The RemoteMCPServers' URLs are the waker's routes already: only the origin is the port-forward's.
        const local = (url: string) => url.replace(/^http:\/\/[^/]+/, `http://127.0.0.1:${WAKER_LOCAL_PORT}`);
        lines.push(
            `  sleeps after ${plan.sleep.idleAfterSeconds} s idle; through the waker a call or a visit wakes it:`,
            `  ${kubectl} -n ${plan.sleep.access.subject.namespace} port-forward svc/${WAKER_NAME} ${WAKER_LOCAL_PORT}:${WAKER_PORT}`,
            ...plan.mcpServers.map((server) => `  MCP ${server.name} through the waker: ${local(server.url)}`),
            ...(plan.browserView
                ? [`  browser view through the waker: http://127.0.0.1:${WAKER_LOCAL_PORT}${wakerViewPath(plan.agent)}`]
                : []),
        );
    }
    console.log(lines.join("\n"));
});
