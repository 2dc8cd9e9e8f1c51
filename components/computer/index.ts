/** Renders the agent's computer: its volumes, its pod (a Deployment of one) and the Service in front of it. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLAIM_IGNORED_CHANGES } from "../backup";
import { RETAIN_ANNOTATION, agentLabels } from "../labels";
import { AgentPlan } from "../plan";
import { ComputerImages, computerPodSpec } from "./podSpec";

export { ComputerImages } from "./podSpec";

export interface AgentComputerArgs {
    plan: AgentPlan;
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
    const { plan, namespace } = args;
    const computer = plan.computer;

    // The workspace outlives the agent's config entry unless the operator asks otherwise.
    const claims = computer.claims.map((claim) => new k8s.core.v1.PersistentVolumeClaim(`${name}-${claim.role}`, {
        metadata: {
            name: claim.name,
            namespace,
            labels: agentLabels(plan.agent, claim.role),
            // The policy pack cannot see retainOnDelete in a real preview; this states the intent.
            annotations: { [RETAIN_ANNOTATION]: String(computer.retainOnDelete) },
        },
        spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: claim.storageClass,
            resources: { requests: { storage: claim.size } },
            dataSource: claim.dataSource,
        },
    // A claim's data source cannot change: replacing the claim for a new restoreFrom would delete the workspace.
    }, { parent, retainOnDelete: computer.retainOnDelete, ignoreChanges: CLAIM_IGNORED_CHANGES }));

    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-computer`, {
        metadata: { name: computer.name, namespace, labels: computer.labels },
        automountServiceAccountToken: false,
    }, { parent });

    const deployment = new k8s.apps.v1.Deployment(`${name}-computer`, {
        metadata: { name: computer.name, namespace, labels: computer.labels },
        spec: {
            replicas: computer.replicas,
            // ReadWriteOnce volumes: the old pod must let go of them before the new one starts.
            strategy: { type: "Recreate" },
            selector: { matchLabels: computer.selector },
            template: {
                metadata: { labels: computer.podLabels },
                spec: computerPodSpec(plan.agent, computer, args.images),
            },
        },
    // Not dependent on the claims: with a WaitForFirstConsumer storage class a claim binds only once
    // this pod exists, so waiting for the claims first could deadlock the update.
    }, { parent, dependsOn: [...args.dependsOn, serviceAccount] });

    const service = new k8s.core.v1.Service(`${name}-computer`, {
        metadata: { name: computer.name, namespace, labels: computer.labels },
        spec: {
            type: "ClusterIP",
            selector: computer.selector,
            ports: computer.servicePorts.map(({ name: portName, port, targetPort }) => ({ name: portName, port, targetPort, protocol: "TCP" })),
        },
    }, { parent });

    return { deployment, service, claims };
}
