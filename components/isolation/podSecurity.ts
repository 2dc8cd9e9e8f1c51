/**
 * Pod Security Admission for an agent's namespace, and the security context kagent's agent pod needs
 * to pass it (kagent 0.10 leaves it empty unless the Agent sets one).
 */
import { AgentSpec } from "../config";

export function podSecurityLabels(agent: AgentSpec): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": agent.podSecurity,
        "pod-security.kubernetes.io/enforce-version": "latest",
        // Warn and audit at restricted even where sudo lowers enforcement, so the gap stays visible.
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    };
}

export const KAGENT_POD_SECURITY = {
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true },
} as const;
