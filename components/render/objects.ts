/**
 * What render/ returns: Kubernetes objects as plain data, each with the key that names its Pulumi
 * resource (`<agent>-<key>`, or `<component>-<key>` for the stack's own). The keys are part of every
 * resource's URN, so a changed key replaces the object in existing stacks: the mocked-program golden
 * files (tests/golden/outputs/<case>/resources.yaml) show them.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { Input } from "@pulumi/pulumi";
import type { ImageName } from "../config";

/** Any Kubernetes object: built-in kinds as @pulumi/kubernetes types them, custom resources as below. */
export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: {
        name: string;
        namespace?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
    };
    [field: string]: unknown;
}

/** A built-in kind, typed by @pulumi/kubernetes's input types, with the fields every object has. */
export type Typed<T> = Omit<T, "apiVersion" | "kind" | "metadata"> & KubernetesObject;

export type Service = Typed<k8s.types.input.core.v1.Service>;
export type ServiceAccount = Typed<k8s.types.input.core.v1.ServiceAccount>;
export type PersistentVolumeClaim = Typed<k8s.types.input.core.v1.PersistentVolumeClaim>;
export type Deployment = Typed<k8s.types.input.apps.v1.Deployment>;
export type NetworkPolicy = Typed<k8s.types.input.networking.v1.NetworkPolicy>;
export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type Container = k8s.types.input.core.v1.Container;

export interface Rendered<T extends KubernetesObject = KubernetesObject> {
    key: string;
    object: T;
}

/**
 * The reference of each image the plan names: `repo@sha256:…` of a build or a prebuilt image, an
 * Output while the build runs (resources/), a plain string in tests.
 */
export type ImageRefs = Partial<Record<ImageName, Input<string>>>;

export function imageRef(images: ImageRefs, image: ImageName, what: string): Input<string> {
    const ref = images[image];
    if (ref === undefined) {
        throw new Error(`${what}: no ${image} image`);
    }
    return ref;
}

/** A Namespace as the stack renders each of its own (key `namespace`: resources `<prefix>-namespace`). */
export function namespaceObject(name: string, labels: Record<string, string>): Rendered {
    return { key: "namespace", object: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } } };
}

/** The pod-level security context of the stack's own restricted pods (egress proxy, waker): UID `uid`, no root. */
export function restrictedPodSecurity(uid: number) {
    return { runAsUser: uid, runAsGroup: uid, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
}

/** The container-level security context of those pods: no escalation, read-only root, no capabilities. */
export function restrictedContainerSecurity() {
    return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
}
