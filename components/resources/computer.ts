/** Renders the agent's computer: its volumes, its pod (a Deployment of one) and the Service in front of it. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RETAIN_ANNOTATION, agentLabels } from "../contract/labels";
import { AgentPlan } from "../plan";
import { ComputerImages, computerPodSpec } from "../render/computerPod";

export { ComputerImages } from "../render/computerPod";

/**
 * Fields of a claim the program never changes once the claim exists. Kubernetes cannot change them on a
 * claim, so a diff on any of them makes the engine replace the claim, which deletes the workspace:
 * - `spec.dataSource(Ref)`: restoring is a deliberate procedure (docs/runbook.md, "Restore a workspace
 *   from a snapshot"), not a config edit;
 * - `spec.volumeName`, `spec.storageClassName`, `spec.volumeMode`: the cluster fills them in when the claim
 *   binds; a claim brought back with `pulumi import` (docs/runbook.md) carries them and the program does
 *   not, which planned a replacement (found by tests/real/lifecycle.test.ts). A changed storage class
 *   therefore applies to new claims only.
 */
const CLAIM_IGNORED_CHANGES = [
    "spec.dataSource",
    "spec.dataSourceRef",
    "spec.volumeName",
    "spec.storageClassName",
    "spec.volumeMode",
];

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
    const claims = computer.claims.map(
        (claim) =>
            new k8s.core.v1.PersistentVolumeClaim(
                `${name}-${claim.role}`,
                {
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
                },
                { parent, retainOnDelete: computer.retainOnDelete, ignoreChanges: CLAIM_IGNORED_CHANGES },
            ),
    );

    const serviceAccount = new k8s.core.v1.ServiceAccount(
        `${name}-computer`,
        {
            metadata: { name: computer.name, namespace, labels: computer.labels },
            automountServiceAccountToken: false,
        },
        { parent },
    );

    const deployment = new k8s.apps.v1.Deployment(
        `${name}-computer`,
        {
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
        },
        { parent, dependsOn: [...args.dependsOn, serviceAccount] },
    );

    const service = new k8s.core.v1.Service(
        `${name}-computer`,
        {
            metadata: { name: computer.name, namespace, labels: computer.labels },
            spec: {
                type: "ClusterIP",
                selector: computer.selector,
                ports: computer.servicePorts.map(({ name: portName, port, targetPort }) => ({
                    name: portName,
                    port,
                    targetPort,
                    protocol: "TCP",
                })),
            },
        },
        { parent },
    );

    return { deployment, service, claims };
}
