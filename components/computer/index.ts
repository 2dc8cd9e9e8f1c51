/** The agent's computer: its volumes, its pod (a Deployment of one) and the Service in front of it. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AgentSpec } from "../config";
import { RETAIN_ANNOTATION, agentLabels } from "../labels";
import { PORTS, agentObjectNames } from "../naming";
import { computerSelector } from "../labels";
import { ComputerImages, SUDO_LABEL, computerPodSpec } from "./podSpec";

export { AGENT_UID, ComputerImages, MOUNTS, computerPodSpec } from "./podSpec";

export interface AgentComputerArgs {
    agent: AgentSpec;
    namespace: pulumi.Input<string>;
    images: ComputerImages;
    dependsOn: pulumi.Resource[];
}

export interface AgentComputer {
    deployment: k8s.apps.v1.Deployment;
    service: k8s.core.v1.Service;
    claims: k8s.core.v1.PersistentVolumeClaim[];
}

export function createAgentComputer(name: string, args: AgentComputerArgs, parent: pulumi.Resource): AgentComputer {
    const { agent, namespace } = args;
    const names = agentObjectNames(agent.name);
    const labels = agentLabels(agent.name, "computer");

    // The workspace outlives the agent's config entry unless the operator asks otherwise.
    const claimOptions: pulumi.CustomResourceOptions = { parent, retainOnDelete: agent.storage.retainOnDelete };
    const claim = (role: "workspace" | "config", claimName: string, size: string) =>
        new k8s.core.v1.PersistentVolumeClaim(`${name}-${role}`, {
            metadata: {
                name: claimName,
                namespace,
                labels: agentLabels(agent.name, role),
                // The policy pack cannot see retainOnDelete in a real preview; this states the intent.
                annotations: { [RETAIN_ANNOTATION]: String(agent.storage.retainOnDelete) },
            },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: agent.storage.storageClass,
                resources: { requests: { storage: size } },
            },
        }, claimOptions);
    const claims = [
        claim("workspace", names.workspaceClaim, agent.storage.workspace),
        claim("config", names.configClaim, agent.storage.config),
    ];

    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-computer`, {
        metadata: { name: names.computer, namespace, labels },
        automountServiceAccountToken: false,
    }, { parent });

    const podLabels = computerSelector(agent.name);
    const deployment = new k8s.apps.v1.Deployment(`${name}-computer`, {
        metadata: { name: names.computer, namespace, labels },
        spec: {
            replicas: agent.suspended ? 0 : 1,
            // ReadWriteOnce volumes: the old pod must let go of them before the new one starts.
            strategy: { type: "Recreate" },
            selector: { matchLabels: podLabels },
            template: {
                metadata: { labels: { ...labels, ...podLabels, ...(agent.sudo ? { [SUDO_LABEL]: "true" } : {}) } },
                spec: computerPodSpec(agent, args.images),
            },
        },
    // Not dependent on the claims: with a WaitForFirstConsumer storage class a claim binds only once
    // this pod exists, so waiting for the claims first could deadlock the update.
    }, { parent, dependsOn: [...args.dependsOn, serviceAccount] });

    const ports: k8s.types.input.core.v1.ServicePort[] = [
        { name: "shell-mcp", port: PORTS.shell, targetPort: "shell-mcp", protocol: "TCP" },
    ];
    if (agent.desktop.enabled) {
        ports.unshift(
            { name: "vnc", port: PORTS.vnc, targetPort: "vnc", protocol: "TCP" },
            { name: "computer-mcp", port: PORTS.computerControl, targetPort: "computer-mcp", protocol: "TCP" },
        );
    }
    const service = new k8s.core.v1.Service(`${name}-computer`, {
        metadata: { name: names.computer, namespace, labels },
        spec: { type: "ClusterIP", selector: podLabels, ports },
    }, { parent });

    return { deployment, service, claims };
}
