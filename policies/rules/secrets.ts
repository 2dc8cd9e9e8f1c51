/** Secrets reach containers through Secrets (valueFrom, volumes), never as literals in the manifest. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { type NamedContainer, type Obj, containersOf, podTemplateOf } from "./kubernetes";

/** Names of variables that hold secrets. */
const SECRET_NAME = /(PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|CREDENTIAL|PRIVATE_?KEY)/i;
/** `*_FILE`-style variables point at a mounted secret; their value is a path, not the secret. */
const POINTER_NAME = /_(FILE|PATH|DIR)$/i;

/** Literals that look like credentials whatever the variable is called. Messages name the kind only. */
const CREDENTIAL_SHAPES: ReadonlyArray<{ kind: string; pattern: RegExp }> = [
    { kind: "an API key (sk-…)", pattern: /\bsk-[A-Za-z0-9_-]{8,}/ },
    { kind: "a GitHub token", pattern: /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/ },
    { kind: "a GitLab token", pattern: /\bglpat-[A-Za-z0-9_-]{16,}/ },
    { kind: "an AWS access key id", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
    { kind: "a Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
    { kind: "a private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
];

/** Messages for every env var of a container that carries a secret literal. */
function secretLiterals({ label, container }: NamedContainer): string[] {
    const found: string[] = [];
    for (const variable of Array.isArray(container.env) ? container.env : []) {
        const name = String(variable?.name ?? "");
        const value = variable?.value;
        if (typeof value !== "string" || value === "") {
            continue;
        }
        const shape = CREDENTIAL_SHAPES.find((s) => s.pattern.test(value));
        if (SECRET_NAME.test(name) && !(POINTER_NAME.test(name) && value.startsWith("/") && !shape)) {
            found.push(
                `${label} sets ${name} to a literal value: take it from a Secret (valueFrom.secretKeyRef or a mounted file)`,
            );
        } else if (shape) {
            found.push(`${label} sets ${name} to a literal that looks like ${shape.kind}: take it from a Secret`);
        }
    }
    return found;
}

/** Containers of a kagent Agent's own pod (spec.declarative.deployment). */
function kagentAgentContainers(props: Obj): NamedContainer[] {
    const deployment = props?.spec?.declarative?.deployment;
    if (!deployment) {
        return [];
    }
    return [
        { label: "kagent agent container", container: { env: deployment.env } },
        ...containersOf({ containers: deployment.extraContainers }),
    ];
}

export const noSecretLiteralsInEnv: ResourceValidationPolicy = {
    name: "no-secret-literals-in-env",
    description:
        "No container (nor a kagent Agent's pod) sets a secret-named env var, or one holding a credential-" +
        "shaped value, to a literal: use valueFrom.secretKeyRef or a mounted Secret.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: (args, reportViolation) => {
        const pod = podTemplateOf(args.type, args.props);
        const containers = pod
            ? containersOf(pod.spec)
            : args.type.startsWith("kubernetes:kagent.dev/") && args.type.endsWith(":Agent")
              ? kagentAgentContainers(args.props)
              : [];
        for (const container of containers) {
            for (const message of secretLiterals(container)) {
                reportViolation(message);
            }
        }
    },
};
