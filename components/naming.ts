/**
 * Names of the Kubernetes objects of one agent. Kagent's controller creates a Deployment, Service,
 * Secret, ServiceAccount and ConfigMap named exactly like the Agent, so none of ours may use that name.
 */

export const PORTS = { vnc: 5900, computerControl: 8080, shell: 8081 } as const;

/**
 * The longest run_command the shell server accepts. Kagent's RemoteMCPServer timeout caps every
 * request, so the shell server's timeout is set a minute above this; longer work goes to start_job.
 */
export const SHELL_MAX_COMMAND_SECONDS = 600;

export interface AgentObjectNames {
    /** The kagent Agent: named exactly like the agent, as people see it in kagent's UI. */
    agent: string;
    computer: string;
    /** The Secret the ExternalSecret writes (and the ExternalSecret itself). */
    credentials: string;
    workspaceClaim: string;
    configClaim: string;
    modelConfig: string;
    computerControlServer: string;
    shellServer: string;
}

export function agentObjectNames(agent: string): AgentObjectNames {
    return {
        agent,
        computer: `${agent}-computer`,
        credentials: `${agent}-credentials`,
        workspaceClaim: `${agent}-workspace`,
        configClaim: `${agent}-config`,
        modelConfig: `${agent}-model`,
        computerControlServer: `${agent}-computer-control`,
        shellServer: `${agent}-shell`,
    };
}

export function serviceHost(agent: string, namespace: string): string {
    return `${agentObjectNames(agent).computer}.${namespace}.svc.cluster.local`;
}

export function mcpUrl(agent: string, namespace: string, port: number): string {
    return `http://${serviceHost(agent, namespace)}:${port}/mcp`;
}
