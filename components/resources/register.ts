/**
 * The one way the stack registers Kubernetes objects: every rendered object (render/) becomes a
 * Pulumi resource of its own kind, named `<prefix>-<key>`, so that each shows in a preview as what it is.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { KubernetesObject, Rendered } from "../render";

type ResourceClass = new (
    name: string,
    // biome-ignore lint/suspicious/noExplicitAny: each kind's own args type; the rendered object is that kind's.
    args: any,
    opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/** The built-in kinds the stack renders; anything else is a custom resource (ExternalSecret, Agent, PodMonitor, …). */
const BUILT_IN: Record<string, ResourceClass> = {
    "v1/Namespace": k8s.core.v1.Namespace,
    "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
    "v1/ConfigMap": k8s.core.v1.ConfigMap,
    "v1/Service": k8s.core.v1.Service,
    "v1/PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
    "v1/ResourceQuota": k8s.core.v1.ResourceQuota,
    "v1/LimitRange": k8s.core.v1.LimitRange,
    "apps/v1/Deployment": k8s.apps.v1.Deployment,
    "rbac.authorization.k8s.io/v1/Role": k8s.rbac.v1.Role,
    "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding,
    "batch/v1/CronJob": k8s.batch.v1.CronJob,
    "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    "networking.k8s.io/v1/Ingress": k8s.networking.v1.Ingress,
};

export function registerObject(
    name: string,
    object: KubernetesObject,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    const kind = BUILT_IN[`${object.apiVersion}/${object.kind}`];
    return kind ? new kind(name, object, opts) : new k8s.apiextensions.CustomResource(name, object, opts);
}

/** Registers each rendered object as `<prefix>-<key>` with the same options. */
export function register(
    prefix: string,
    rendered: Rendered[],
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource[] {
    return rendered.map(({ key, object }) => registerObject(`${prefix}-${key}`, object, opts));
}
