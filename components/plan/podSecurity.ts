/**
 * The security context kagent's agent pod needs to pass the namespace's Pod Security Admission level
 * (kagent 0.10 leaves it empty unless the Agent sets one). The namespace's labels are in the plan.
 */

export const KAGENT_POD_SECURITY = {
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true },
} as const;
