/**
 * The MCP servers of an agent's computer, as kagent sees them: one RemoteMCPServer each, with the
 * exact tool names the server exposes (kagent silently drops a name the server does not have).
 */
import type { AgentSpec } from "../config";
import { agentObjectNames, serviceHost } from "../contract/names";
import { CONTAINERS, MCP_PATH, SHELL_MAX_COMMAND_SECONDS } from "../contract/pod";
import { COMPUTER_CONTROL_TOOLS, SHELL_TOOLS } from "../contract/tools";
import type { ContainerPlan, McpServerPlan } from "./parts";

/**
 * Kagent's `timeout` caps every HTTP request, tool calls included. Shell commands may run up to the
 * shell server's maximum (10 minutes) and OCR takes ~20 s, so both get room above their longest call.
 */
const MCP_TIMEOUTS = { shell: `${SHELL_MAX_COMMAND_SECONDS / 60 + 1}m`, computerControl: "2m" } as const;

/** One entry per container that serves MCP; the shell first (as the Agent lists its tools). */
export function planMcpServers(agent: AgentSpec, containers: ContainerPlan[]): McpServerPlan[] {
    const names = agentObjectNames(agent.name);
    const catalog = {
        shell: {
            name: names.shellServer,
            description: `${agent.name}'s shell: commands, long-running jobs and files in its persistent workspace`,
            timeout: MCP_TIMEOUTS.shell,
            toolNames: SHELL_TOOLS,
        },
        computerControl: {
            name: names.computerControlServer,
            description: `${agent.name}'s desktop: screenshots, mouse, keyboard, windows and OCR`,
            timeout: MCP_TIMEOUTS.computerControl,
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
                url: `http://${serviceHost(names.computer, agent.namespace)}:${port.port}${MCP_PATH}`,
            });
        }
    }
    return servers;
}
