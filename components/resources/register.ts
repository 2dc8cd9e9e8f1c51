/**
 * Registers plain Kubernetes objects (as the monitoring and backup builders return them) as Pulumi
 * resources of their own kind, so that each shows in a preview as what it is.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: {
        name: string;
        namespace?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
    };
    [key: string]: unknown;
}

/** The built-in kinds these builders return; anything else is a custom resource (PodMonitor, …). */
const BUILT_IN: Record<
    string,
    new (
        name: string,
        args: any,
        opts?: pulumi.CustomResourceOptions,
    ) => pulumi.CustomResource
> = {
    "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
    "v1/ConfigMap": k8s.core.v1.ConfigMap,
    "v1/Service": k8s.core.v1.Service,
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
