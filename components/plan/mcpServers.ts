/**
 * The MCP servers of an agent's computer, as kagent sees them: one RemoteMCPServer each, with the
 * exact tool names the server exposes (kagent silently drops a name the server does not have).
 */
import type { AgentSpec } from "../config";
import { agentObjectNames, serviceHost } from "../contract/names";
import { CONTAINERS, MCP_PATH, SHELL_MAX_COMMAND_SECONDS } from "../contract/pod";
import { COMPUTER_CONTROL_TOOLS, SHELL_TOOLS } from "../contract/tools";
import { wakerRoute } from "../contract/waker";
import type { ContainerPlan, McpServerPlan } from "./parts";

/**
 * Kagent's `timeout` caps every HTTP request, tool calls included. Shell commands may run up to the
 * shell server's maximum (10 minutes) and OCR takes ~20 s, so both get room above their longest call.
 */
const MCP_TIMEOUTS = { shell: `${SHELL_MAX_COMMAND_SECONDS / 60 + 1}m`, computerControl: "2m" } as const;

/**
 * One entry per container that serves MCP; the shell first (as the Agent lists its tools). `waker`: the
 * agent sleeps on idle, so kagent calls the waker, which holds a call up to the wake timeout (added to
 * kagent's timeout) while the computer wakes.
 */
export function planMcpServers(
    agent: AgentSpec,
    containers: ContainerPlan[],
    waker?: { url: string; wakeTimeoutSeconds: number },
): McpServerPlan[] {
    const names = agentObjectNames(agent.name);
    const catalog = {
        shell: {
            name: names.shellServer,
            description: `${agent.name}'s shell: commands, long-running jobs and files in its persistent workspace`,
            timeout: withWake(MCP_TIMEOUTS.shell, waker),
            toolNames: SHELL_TOOLS,
        },
        computerControl: {
            name: names.computerControlServer,
            description: `${agent.name}'s desktop: screenshots, mouse, keyboard, windows and OCR`,
            timeout: withWake(MCP_TIMEOUTS.computerControl, waker),
            toolNames: COMPUTER_CONTROL_TOOLS,
        },
    } as const;
    const servers: McpServerPlan[] = [];
    for (const role of ["shell", "computerControl"] as const) {
        const container = containers.find((c) => c.role === role);
        const port = container?.ports.find((p) => p.purpose === "mcp");
        if (container && port) {
            servers.push({
                // The Pulumi resource's suffix: the container's name.
                key: CONTAINERS[role].name,
                ...catalog[role],
                container: role,
                port: port.port,
                path: MCP_PATH,
                url: waker
                    ? `${waker.url}${wakerRoute(agent.name, CONTAINERS[role].name)}${MCP_PATH}`
                    : `http://${serviceHost(names.computer, agent.namespace)}:${port.port}${MCP_PATH}`,
            });
        }
    }
    return servers;
}

/** `11m` and a wake timeout of 120 s give `780s`: kagent's timeout covers the wait, then the call. */
function withWake(timeout: `${number}m`, waker: { wakeTimeoutSeconds: number } | undefined): string {
    return waker ? `${Number.parseInt(timeout, 10) * 60 + waker.wakeTimeoutSeconds}s` : timeout;
}
