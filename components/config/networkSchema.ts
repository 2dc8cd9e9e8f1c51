/** The network settings: where an agent may go, and who may reach its desktop. */
import { z } from "zod";
import { list, labels, oneOf, port, strictObject, text } from "./fields";
import * as formats from "./formats";
import { allowedHostCheck, cidrCheck } from "./network";

const namespaceName = () => text({ check: formats.dnsLabel() });
export const podLabelsSchema = () => labels(formats.labelKey, formats.labelValue);

/** An egress destination the operator allows: a CIDR (public ranges only, unless named) or an in-cluster namespace. */
export const egressRuleSchema = strictObject({
    cidr: text({ check: cidrCheck })
        .optional()
        .meta({ description: "IPv4 CIDR, e.g. 0.0.0.0/0 (private ranges inside it stay closed)" }),
    namespace: namespaceName().optional().meta({ description: "a namespace of the cluster, e.g. gitea" }),
    podLabels: podLabelsSchema().optional().meta({ description: "only these pods of the namespace" }),
    ports: list(port()).default([]).meta({ description: "ports; empty means every port" }),
    protocol: oneOf(["TCP", "UDP"]).default("TCP"),
}).superRefine((rule, ctx) => {
    if (rule.cidr === undefined && rule.namespace === undefined) {
        ctx.addIssue({
            code: "custom",
            message: "needs either cidr (e.g. 0.0.0.0/0) or namespace (e.g. gitea)",
            input: rule,
        });
    }
    if (rule.cidr !== undefined && rule.namespace !== undefined) {
        ctx.addIssue({ code: "custom", message: "has both cidr and namespace; write two rules", input: rule });
    }
    if (rule.podLabels !== undefined && rule.namespace === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["podLabels"],
            message: "applies only with namespace; remove it or add namespace",
            input: rule,
        });
    }
});

export const egressRulesSchema = () => list(egressRuleSchema).default([]);

/**
 * A host the agent's computer may reach through its egress proxy (components/render/egressProxy.ts): `pypi.org`, or
 * `*.example.com` for every subdomain of example.com. A bare string is the host on port 443.
 */
export const allowedDomainSchema = z.preprocess(
    (value) => (typeof value === "string" ? { host: value } : value),
    strictObject({
        host: text({ check: allowedHostCheck }).meta({
            description: "`pypi.org`, or `*.example.com` for every subdomain of example.com (not example.com itself)",
        }),
        ports: list(port())
            .min(1, { error: "is empty; list at least one port, e.g. [443]" })
            .default([443])
            .meta({ description: "default [443]" }),
    }),
);

export const allowDomainsSchema = () => list(allowedDomainSchema).default([]);

/** Who may open the VNC port. */
export const viewersSchema = strictObject({
    namespaces: list(namespaceName())
        .default([])
        .meta({ description: "namespaces whose pods may open VNC and the browser view" }),
    cidrs: list(text({ check: cidrCheck }))
        .default([])
        .meta({ description: "addresses that may open VNC and the browser view" }),
});

export type EgressRule = z.output<typeof egressRuleSchema>;
export type AllowedDomain = z.output<typeof allowedDomainSchema>;
export type ViewerSpec = z.output<typeof viewersSchema>;
