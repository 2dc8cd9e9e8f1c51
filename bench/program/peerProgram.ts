/**
 * The peer of the program-evaluation benchmark: registers, per agent, the same number of Kubernetes
 * objects of the same sizes as index.ts, straight from precomputed manifests, with no config parsing,
 * validation or component tree. What remains is the Pulumi SDK's own cost of registering them.
 */
import * as k8s from "@pulumi/kubernetes";

const manifests: any[] = JSON.parse(process.env.PEER_MANIFESTS ?? "[]");
manifests.forEach((manifest, index) => {
    new k8s.apiextensions.CustomResource(`peer-${index}`, manifest);
});
