/**
 * The egress proxy's objects as its plan says (plan/egressProxy.ts): the ConfigMap of its squid rules,
 * its Service and Deployment (images/egress-proxy: squid and mtail), and its PodMonitor.
 */
import type { Input } from "@pulumi/pulumi";
import {
    BROKER_GIT_FILE,
    BROKER_SECRET_DIR,
    GITEA_CA_FILE,
    METRICS_PORT,
    mtailArgs,
    PATHS,
    PORT_NAMES,
    PROXY_PORT,
} from "../contract/egressProxy";
import { AGENT_UID, METRICS_PATH } from "../contract/pod";
import type { EgressProxyPlan } from "../plan/types";
import { podMonitor } from "./monitoring";
import {
    type ImageRefs,
    imageRef,
    type KubernetesObject,
    type PodSpec,
    type Rendered,
    restrictedContainerSecurity,
    restrictedPodSecurity,
} from "./objects";
import { squidRules } from "./squidRules";

/**
 * The proxy's objects, keyed `egress-<kind>`: ConfigMap, Service, Deployment, and a PodMonitor with
 * monitoring. Its NetworkPolicy is among the agent's guards (render/agent.ts).
 */
export function egressProxyObjects(agent: string, plan: EgressProxyPlan, images: ImageRefs): Rendered[] {
    const image = imageRef(images, plan.image, `agent ${agent}, the egress proxy`);
    const metadata = (name: string) => ({ name, namespace: plan.namespace, labels: plan.labels });
    const objects: KubernetesObject[] = [
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: metadata(plan.name),
            data: {
                [PATHS.rulesFile]: squidRules({ agent: plan.agent, allow: plan.allow, broker: plan.broker }),
                ...(plan.broker?.caCertificate ? { [GITEA_CA_FILE]: plan.broker.caCertificate } : {}),
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: metadata(plan.name),
            spec: {
                selector: plan.selector,
                ports: [{ name: PORT_NAMES.proxy, port: PROXY_PORT, targetPort: PORT_NAMES.proxy, protocol: "TCP" }],
            },
        },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: metadata(plan.name),
            spec: {
                replicas: plan.replicas,
                selector: { matchLabels: plan.selector },
                template: {
                    metadata: { labels: { ...plan.labels, ...plan.selector } },
                    spec: podSpec(plan, image),
                },
            },
        },
    ];
    if (plan.podMonitor) {
        objects.push(podMonitor(plan.podMonitor));
    }
    return objects.map((object) => ({ key: `egress-${object.kind.toLowerCase()}`, object }));
}

function podSpec(plan: EgressProxyPlan, image: Input<string>): PodSpec {
    const security = restrictedContainerSecurity();
    const logMount = { name: "log", mountPath: PATHS.logDir };
    return {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: restrictedPodSecurity(AGENT_UID),
        containers: [
            {
                name: "egress-proxy",
                image,
                imagePullPolicy: "IfNotPresent",
                ports: [{ name: PORT_NAMES.proxy, containerPort: PROXY_PORT }],
                volumeMounts: [
                    { name: "run", mountPath: PATHS.runDir },
                    logMount,
                    { name: "rules", mountPath: PATHS.rulesDir, readOnly: true },
                    ...(plan.brokerSecret ? [{ name: "broker", mountPath: BROKER_SECRET_DIR, readOnly: true }] : []),
                ],
                readinessProbe: { tcpSocket: { port: PORT_NAMES.proxy }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: PORT_NAMES.proxy }, periodSeconds: 20, failureThreshold: 3 },
                resources: structuredClone(plan.resources.proxy),
                securityContext: security,
            },
            {
                name: "egress-metrics",
                image,
                imagePullPolicy: "IfNotPresent",
                command: ["mtail", ...mtailArgs()],
                ports: [{ name: PORT_NAMES.metrics, containerPort: METRICS_PORT }],
                volumeMounts: [{ ...logMount, readOnly: true }],
                readinessProbe: { httpGet: { path: METRICS_PATH, port: PORT_NAMES.metrics }, periodSeconds: 10 },
                resources: structuredClone(plan.resources.metrics),
                securityContext: security,
            },
        ],
        volumes: [
            { name: "run", emptyDir: { sizeLimit: "16Mi" } },
            // Two access logs of 8 MiB at most (start-egress-proxy.sh rotates).
            { name: "log", emptyDir: { sizeLimit: "64Mi" } },
            { name: "rules", configMap: { name: plan.name } },
            ...(plan.brokerSecret
                ? [
                      {
                          name: "broker",
                          secret: {
                              secretName: plan.brokerSecret.name,
                              items: [{ key: plan.brokerSecret.key, path: BROKER_GIT_FILE }],
                          },
                      },
                  ]
                : []),
        ],
    };
}
