/** Reading Kubernetes objects as the policy SDK passes them (resource inputs, plain JSON). */

export type Obj = Record<string, any>;

/** A pod (or pod template) found in a resource: its metadata and spec, and where it sits. */
export interface PodTemplate {
    metadata: Obj;
    spec: Obj;
}

export interface NamedContainer {
    /** `container "shell"`, `init container "setup"`, as messages name it. */
    label: string;
    container: Obj;
}

const TEMPLATE_KINDS = new Set([
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:core/v1:ReplicationController",
]);

/** The pod a workload resource runs, or undefined for anything that runs no pod. */
export function podTemplateOf(type: string, props: Obj): PodTemplate | undefined {
    let template: Obj | undefined;
    if (type === "kubernetes:core/v1:Pod") {
        template = props;
    } else if (TEMPLATE_KINDS.has(type)) {
        template = props?.spec?.template;
    } else if (type === "kubernetes:batch/v1:CronJob") {
        template = props?.spec?.jobTemplate?.spec?.template;
    }
    if (!template) {
        return undefined;
    }
    return { metadata: template.metadata ?? {}, spec: template.spec ?? {} };
}

export function containersOf(spec: Obj): NamedContainer[] {
    const named = (list: unknown, kind: string): NamedContainer[] =>
        (Array.isArray(list) ? list : []).map((container: Obj) => ({
            label: `${kind} "${container?.name}"`,
            container: container ?? {},
        }));
    return [
        ...named(spec.initContainers, "init container"),
        ...named(spec.containers, "container"),
        ...named(spec.ephemeralContainers, "ephemeral container"),
    ];
}

/** A label or annotation's value on an object (labels first). */
export function marker(metadata: Obj | undefined, key: string): string | undefined {
    const value = metadata?.labels?.[key] ?? metadata?.annotations?.[key];
    return typeof value === "string" ? value : undefined;
}

export function hasLabels(labels: Obj | undefined, wanted: Readonly<Record<string, string>>): boolean {
    return Object.entries(wanted).every(([key, value]) => labels?.[key] === value);
}

/** `namespace/name` of an object, `default` when no namespace is set. */
export function objectRef(props: Obj): string {
    return `${props?.metadata?.namespace ?? "default"}/${props?.metadata?.name ?? "<unnamed>"}`;
}
