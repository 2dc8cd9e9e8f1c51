/**
 * The objects kagent's 0.10 controller creates to run an Agent, each named like the Agent: the Secret with
 * the runtime's config (kagentRuntime.ts), a ServiceAccount, a Deployment of one `kagent` container and a
 * Service on 8080. The stack never applies these on a cluster with kagent (the controller does); they stand
 * in for it where it does not run (the local node), following kagent-dev/kagent release/v0.10.x,
 * go/core/internal/controller/translator/agent/:
 * - manifest_builder.go: `objectMeta` and `podLabels` (selector `app: kagent, kagent: <name>` plus the
 *   deployment's labels), `buildConfigSecret`, `buildServiceAccount`, `buildPodTemplate` (args, port
 *   `http`, readiness GET /.well-known/agent-card.json, /config and the projected `kagent-token`),
 *   `buildWorkloadObjects` (RollingUpdate maxSurge 1, maxUnavailable 0; the Service), `projectedTokenVolume`;
 * - deployments.go: `resolveInlineDeployment` (args, port 8080, labels, resources default), and
 *   adk_api_translator.go `getRuntimeProbeConfig` (python: 15 s delay, timeout and period).
 * The config-hash annotation is a SHA-256 of the two files, not the controller's own hash: it only has to
 * change when they do.
 */
import { createHash } from "node:crypto";
import { KAGENT_AGENT_PORT } from "../contract/kagent";
import type { KagentSpecs } from "./kagent";
import type { RuntimeEnv, RuntimeFiles } from "./kagentRuntime";

type Manifest = Record<string, unknown>;

/** The part of an Agent's `spec.declarative.deployment` the stack sets. */
interface AgentDeployment {
    replicas?: number;
    resources?: Record<string, unknown>;
    podSecurityContext?: Record<string, unknown>;
    securityContext?: Record<string, unknown>;
    labels?: Record<string, string>;
}

/** resolveInlineDeployment's defaults when the Agent gives no resources. */
const DEFAULT_RESOURCES = { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "2000m", memory: "1Gi" } };
const PYTHON_PROBE = { initialDelaySeconds: 15, timeoutSeconds: 15, periodSeconds: 15 };

export function kagentAgentWorkload(
    specs: KagentSpecs,
    files: RuntimeFiles,
    env: RuntimeEnv[],
    image: string,
): Manifest[] {
    const { name, namespace } = specs.agent.metadata;
    const deployment = specs.agent.spec.declarative.deployment as AgentDeployment;
    const selector = { app: "kagent", kagent: name };
    const labels = {
        ...selector,
        "app.kubernetes.io/managed-by": "kagent",
        "app.kubernetes.io/part-of": "kagent",
        "app.kubernetes.io/name": name,
        ...deployment.labels,
    };
    const metadata = { name, namespace, labels };
    const stringData = {
        "config.json": JSON.stringify(files["config.json"]),
        "agent-card.json": JSON.stringify(files["agent-card.json"]),
    };
    const hash = createHash("sha256").update(stringData["config.json"]).update(stringData["agent-card.json"]);
    const container = {
        name: "kagent",
        image,
        imagePullPolicy: "IfNotPresent",
        args: ["--host", "0.0.0.0", "--port", String(KAGENT_AGENT_PORT), "--filepath", "/config"],
        ports: [{ name: "http", containerPort: KAGENT_AGENT_PORT }],
        resources: deployment.resources ?? DEFAULT_RESOURCES,
        env: env.map(containerEnv),
        readinessProbe: {
            httpGet: { path: "/.well-known/agent-card.json", port: "http" },
            ...PYTHON_PROBE,
        },
        ...(deployment.securityContext ? { securityContext: deployment.securityContext } : {}),
        volumeMounts: [
            { name: "config", mountPath: "/config" },
            { name: "kagent-token", mountPath: "/var/run/secrets/tokens" },
        ],
    };
    return [
        { apiVersion: "v1", kind: "Secret", metadata, stringData },
        { apiVersion: "v1", kind: "ServiceAccount", metadata },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata,
            spec: {
                replicas: deployment.replicas,
                strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
                selector: { matchLabels: selector },
                template: {
                    metadata: {
                        labels,
                        annotations: { "kagent.dev/config-hash": hash.digest("hex").slice(0, 16) },
                    },
                    spec: {
                        serviceAccountName: name,
                        ...(deployment.podSecurityContext ? { securityContext: deployment.podSecurityContext } : {}),
                        containers: [container],
                        volumes: [
                            { name: "config", secret: { secretName: name } },
                            {
                                name: "kagent-token",
                                projected: {
                                    sources: [
                                        {
                                            serviceAccountToken: {
                                                audience: "kagent",
                                                expirationSeconds: 3600,
                                                path: "kagent-token",
                                            },
                                        },
                                    ],
                                },
                            },
                        ],
                    },
                },
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata,
            spec: {
                selector,
                ports: [{ name: "http", port: KAGENT_AGENT_PORT, targetPort: KAGENT_AGENT_PORT }],
            },
        },
    ];
}

function containerEnv(variable: RuntimeEnv): Manifest {
    if ("secret" in variable) {
        return { name: variable.name, valueFrom: { secretKeyRef: variable.secret } };
    }
    if (variable.fieldPath) {
        return { name: variable.name, valueFrom: { fieldRef: { fieldPath: variable.fieldPath } } };
    }
    return { name: variable.name, value: variable.value };
}
