/**
 * persistent-agents: every agent in the stack config becomes a kagent Agent with a computer of its own.
 */
import * as pulumi from "@pulumi/pulumi";
import { AgentImages, ImageName, PersistentAgent, readStackConfig } from "./components";

// Validates the whole config first: on any problem, preview fails listing all of them, before any
// resource is registered.
const { platform, agents } = readStackConfig();

const needed = new Set<ImageName>(["shell"]);
if (agents.some((agent) => agent.desktop.enabled)) {
    needed.add("desktop").add("computerControlMcp");
}
const images = agents.length === 0 ? undefined : new AgentImages("images", {
    registry: platform.registry,
    repository: platform.imageRepository,
    spec: platform.images,
    needed,
    sudo: agents.some((agent) => agent.sudo),
    registryPassword: new pulumi.Config().getSecret("registryPassword"),
});

const deployed = agents.map((agent) => new PersistentAgent(agent.name, {
    agent,
    platform,
    images: {
        shell: images!.refs.shell!,
        desktop: images?.refs.desktop,
        computerControlMcp: images?.refs.computerControlMcp,
    },
}));

export const agentEndpoints = Object.fromEntries(deployed.map((agent, index) => [agents[index].name, {
    namespace: agent.namespace,
    serviceHost: agent.serviceHost,
    vncEndpoint: agent.vncEndpoint,
    mcpUrls: agent.mcpUrls,
    vaultPaths: agent.vaultPaths,
}]));
