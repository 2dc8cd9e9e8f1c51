/**
 * Renders an agent's credentials: the values the stack writes to Vault KV v2 (generated passwords, and
 * the operator's secrets when they come from stack config), and the ExternalSecret that assembles the
 * agent's Secret from Vault. No secret value is ever written into a Kubernetes manifest. What goes
 * where is the plan's decision (components/plan/credentials.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vault from "@pulumi/vault";
import { AgentPlan } from "../plan";

export interface AgentCredentialsArgs {
    plan: AgentPlan;
    /** The KV v2 mount, and whether the stack writes to Vault at all. */
    vault: { mount: string; writeSecrets: boolean };
    namespace: pulumi.Input<string>;
    secretStore: { kind: string; name: pulumi.Input<string> };
    /** What must exist before the ExternalSecret can sync (the SecretStore and its Vault role). */
    dependsOn: pulumi.Resource[];
}

export function createAgentCredentials(
    name: string,
    args: AgentCredentialsArgs,
    parent: pulumi.Resource,
): k8s.apiextensions.CustomResource {
    const credentials = args.plan.credentials;
    const dependsOn: pulumi.Resource[] = [...args.dependsOn];
    if (args.vault.writeSecrets) {
        dependsOn.push(writeToVault(name, args.plan, args.vault.mount, parent));
    }
    return new k8s.apiextensions.CustomResource(
        `${name}-credentials`,
        {
            apiVersion: "external-secrets.io/v1",
            kind: "ExternalSecret",
            metadata: {
                name: credentials.secretName,
                namespace: args.namespace,
                labels: credentials.labels,
                annotations: { "persistent-agents.dev/rotation": credentials.rotationAnnotation },
            },
            spec: {
                refreshInterval: "1h",
                secretStoreRef: { kind: args.secretStore.kind, name: args.secretStore.name },
                target: {
                    name: credentials.secretName,
                    creationPolicy: "Owner",
                    deletionPolicy: "Retain",
                    template: {
                        engineVersion: "v2",
                        type: "Opaque",
                        metadata: { labels: credentials.labels },
                        data: credentials.secretKeys,
                    },
                },
                data: credentials.fetched.map(({ variable, vaultPath, vaultField }) => ({
                    secretKey: variable,
                    remoteRef: { key: vaultPath, property: vaultField },
                })),
            },
        },
        { parent, dependsOn },
    );
}

function writeToVault(name: string, plan: AgentPlan, mount: string, parent: pulumi.Resource): vault.kv.SecretV2 {
    const fields: Record<string, pulumi.Output<string>> = {};
    for (const value of plan.credentials.written) {
        fields[value.vaultField] =
            "generated" in value
                ? new random.RandomPassword(
                      `${name}-${value.generated.resourceKey}`,
                      {
                          length: value.generated.length,
                          special: false,
                          keepers: { rotation: String(value.generated.rotation) },
                      },
                      { parent },
                  ).result
                : pulumi.secret(value.fromConfig);
    }
    return new vault.kv.SecretV2(
        `${name}-generated`,
        {
            mount,
            // Explicit: without it the provider derives a path from the resource name.
            name: plan.credentials.vaultPaths.generated,
            dataJson: pulumi.secret(pulumi.all(fields).apply((values) => JSON.stringify(values))),
            deleteAllVersions: true,
        },
        { parent },
    );
}
