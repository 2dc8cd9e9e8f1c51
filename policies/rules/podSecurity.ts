/** Pods run unprivileged and as a non-root user; agent computers carry no API token. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { COMPUTER_POD_LABELS, SUDO_OPT_IN } from "./constants";
import { containersOf, hasLabels, marker, podTemplateOf } from "./kubernetes";

const HOST_NAMESPACES = ["hostNetwork", "hostPID", "hostIPC"] as const;
/** Capabilities a sudo-enabled pod may still not add. */
const NEVER_ADD = new Set(["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE", "BPF", "SYS_RAWIO"]);

export const noPrivilegedContainers: ResourceValidationPolicy = {
    name: "no-privileged-containers",
    description:
        "Containers are not privileged, do not share the host's namespaces or paths, drop all " +
        "capabilities and cannot escalate privileges (unless the pod opts into sudo with " +
        `${SUDO_OPT_IN}: "true").`,
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: (args, reportViolation) => {
        const pod = podTemplateOf(args.type, args.props);
        if (!pod) {
            return;
        }
        const sudo = marker(pod.metadata, SUDO_OPT_IN) === "true";
        for (const field of HOST_NAMESPACES) {
            if (pod.spec[field] === true) {
                reportViolation(`pod shares the host's namespaces (${field}: true)`);
            }
        }
        for (const volume of pod.spec.volumes ?? []) {
            if (volume?.hostPath) {
                reportViolation(`pod mounts the host path ${volume.hostPath.path} (volume "${volume.name}")`);
            }
        }
        for (const { label, container } of containersOf(pod.spec)) {
            const security = container.securityContext ?? {};
            if (security.privileged === true) {
                reportViolation(`${label} is privileged`);
            }
            if (security.allowPrivilegeEscalation !== false && !sudo) {
                reportViolation(
                    `${label} allows privilege escalation: set allowPrivilegeEscalation: false ` +
                        `(or opt the pod into sudo with ${SUDO_OPT_IN}: "true")`,
                );
            }
            const drop: string[] = (security.capabilities?.drop ?? []).map((c: unknown) => String(c).toUpperCase());
            if (!drop.includes("ALL")) {
                reportViolation(`${label} does not drop all capabilities: set capabilities.drop: ["ALL"]`);
            }
            const add: string[] = (security.capabilities?.add ?? []).map((c: unknown) =>
                String(c).toUpperCase().replace(/^CAP_/, ""),
            );
            const forbidden = sudo ? add.filter((c) => NEVER_ADD.has(c)) : add;
            if (forbidden.length > 0) {
                reportViolation(`${label} adds capabilities ${forbidden.join(", ")}`);
            }
        }
    },
};

export const noRootContainers: ResourceValidationPolicy = {
    name: "no-root-containers",
    description:
        "Every container runs as a non-root user: runAsNonRoot: true or a non-zero runAsUser, " +
        "at pod or container level.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: (args, reportViolation) => {
        const pod = podTemplateOf(args.type, args.props);
        if (!pod) {
            return;
        }
        const podSecurity = pod.spec.securityContext ?? {};
        for (const { label, container } of containersOf(pod.spec)) {
            const security = container.securityContext ?? {};
            const runAsUser = security.runAsUser ?? podSecurity.runAsUser;
            const runAsNonRoot = security.runAsNonRoot ?? podSecurity.runAsNonRoot;
            if (runAsUser === 0 || runAsUser === "0") {
                reportViolation(`${label} runs as root (runAsUser: 0)`);
            } else if (runAsUser === undefined && runAsNonRoot !== true) {
                reportViolation(`${label} may run as root: set runAsNonRoot: true or a non-zero runAsUser`);
            }
        }
    },
};

export const computerPodsWithoutServiceAccountToken: ResourceValidationPolicy = {
    name: "computer-pods-no-service-account-token",
    description:
        "Agent computer pods do not mount a Kubernetes API token (automountServiceAccountToken: false): " +
        "the agent runs arbitrary commands there.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateResource: (args, reportViolation) => {
        const pod = podTemplateOf(args.type, args.props);
        if (!pod || !hasLabels(pod.metadata.labels, COMPUTER_POD_LABELS)) {
            return;
        }
        if (pod.spec.automountServiceAccountToken !== false) {
            reportViolation(
                "agent computer pod mounts a service account token: set automountServiceAccountToken: false",
            );
        }
    },
};
