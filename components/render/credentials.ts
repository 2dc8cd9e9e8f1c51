/**
 * An agent's credentials: the ExternalSecret that assembles the agent's Secret from Vault, and the
 * values the stack writes to Vault KV v2 (generated passwords, and the operator's secrets when they
 * come from stack config). No secret value is ever written into a Kubernetes manifest. What goes where
 * is the plan's decision (plan/credentials.ts).
 */
import { ROTATION_ANNOTATION } from "../contract/labels";
import type { BuildClientPart, CredentialsPlan } from "../plan/types";
import type { KubernetesObject, Rendered } from "./objects";

export function externalSecret(plan: CredentialsPlan): Rendered {
    const object: KubernetesObject = {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: {
            name: plan.secretName,
            namespace: plan.namespace,
            labels: plan.labels,
            annotations: { [ROTATION_ANNOTATION]: plan.rotationAnnotation },
        },
        spec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: plan.store.kind, name: plan.store.name },
            target: {
                name: plan.secretName,
                creationPolicy: "Owner",
                deletionPolicy: "Retain",
                template: {
                    engineVersion: "v2",
                    type: "Opaque",
                    metadata: { labels: plan.labels },
                    data: plan.secretKeys,
                },
            },
            data: plan.fetched.map(({ variable, vaultPath, vaultField }) => ({
                secretKey: variable,
                remoteRef: { key: vaultPath, property: vaultField },
            })),
        },
    };
    return { key: "credentials", object };
}

/** A random password the stack generates, kept by the random provider; a bumped rotation makes a new one. */
export interface GeneratedPassword {
    key: string;
    vaultField: string;
    length: number;
    rotation: number;
}

/** What the stack writes to the agent's generated path: `fields` are literal (from config) or generated. */
export interface VaultWrite {
    key: "generated";
    mount: string;
    path: string;
    passwords: GeneratedPassword[];
    /** The operator's secrets from stack config, by Vault field (a Pulumi secret once registered). */
    fromConfig: Record<string, string>;
    /** Parts of the agent's build client certificates, by Vault field (resources/buildCertificates.ts issues them). */
    certificates: Record<string, BuildClientPart>;
    /** Every field, in the plan's order. */
    fields: string[];
}

export function vaultWrite(plan: CredentialsPlan): VaultWrite | undefined {
    const write = plan.vaultWrite;
    if (write === undefined) {
        return undefined;
    }
    const passwords: GeneratedPassword[] = [];
    const fromConfig: Record<string, string> = {};
    const certificates: Record<string, BuildClientPart> = {};
    for (const value of write.values) {
        if ("certificate" in value) {
            certificates[value.vaultField] = value.certificate;
        } else if ("generated" in value) {
            passwords.push({ key: value.generated.resourceKey, vaultField: value.vaultField, ...value.generated });
        } else {
            fromConfig[value.vaultField] = value.fromConfig;
        }
    }
    return {
        key: "generated",
        mount: write.mount,
        path: write.path,
        passwords,
        fromConfig,
        certificates,
        fields: write.values.map((value) => value.vaultField),
    };
}
