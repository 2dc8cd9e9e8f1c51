/**
 * An agent's credentials: generated secrets and operator secrets in Vault KV v2, pulled into one
 * Kubernetes Secret by an ExternalSecret. No secret value is ever written into a Kubernetes manifest.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vault from "@pulumi/vault";
import { AgentSpec, PlatformSpec } from "./config";
import { gitCredentialsTemplate } from "./gitCredentialsTemplate";
import { agentLabels } from "./labels";
import { agentObjectNames } from "./naming";

/** Keys of the agent's Secret (see docs/pod-contract.md). */
export const SECRET_KEYS = {
    vncPassword: "vnc-password",
    mcpToken: "mcp-token",
    authorization: "authorization",
    modelApiKey: "model-api-key",
    gitCredentials: "git-credentials",
    dockerConfig: ".dockerconfigjson",
} as const;

/** Field names inside the Vault secrets. */
const VAULT_FIELDS = {
    vncPassword: "vnc-password",
    mcpToken: "mcp-token",
    modelApiKey: "model-api-key",
    giteaToken: "gitea-token",
    harborPassword: "harbor-password",
} as const;
type VaultField = keyof typeof VAULT_FIELDS;

export interface VaultPaths {
    /** Relative to the KV mount: what ESO's `remoteRef.key` and `vault kv` take after the mount. */
    provided: string;
    generated: string;
}

export function vaultPaths(agent: string, platform: PlatformSpec): VaultPaths {
    const base = `${platform.vault.pathPrefix}/${agent}`;
    return { provided: `${base}/provided`, generated: `${base}/generated` };
}

export interface AgentCredentialsArgs {
    agent: AgentSpec;
    platform: PlatformSpec;
    namespace: pulumi.Input<string>;
    secretStore: { kind: string; name: pulumi.Input<string> };
    /** What must exist before the ExternalSecret can sync (the SecretStore and its Vault role). */
    dependsOn: pulumi.Resource[];
}

export interface AgentCredentials {
    secretName: string;
    paths: VaultPaths;
    externalSecret: k8s.apiextensions.CustomResource;
}

export function createAgentCredentials(name: string, args: AgentCredentialsArgs, parent: pulumi.Resource): AgentCredentials {
    const { agent, platform } = args;
    const paths = vaultPaths(agent.name, platform);
    const names = agentObjectNames(agent.name);

    // Where each value the Secret needs is read from: the stack's own path, or the operator's.
    const sources = new Map<VaultField, string>([["mcpToken", paths.generated]]);
    if (agent.desktop.enabled) {
        sources.set("vncPassword", paths.generated);
    }
    const operatorPath = agent.secrets.source === "config" ? paths.generated : paths.provided;
    sources.set("modelApiKey", operatorPath);
    if (agent.credentials.gitea.enabled) {
        sources.set("giteaToken", operatorPath);
    }
    if (agent.credentials.harbor.enabled) {
        sources.set("harborPassword", operatorPath);
    }

    const dependsOn: pulumi.Resource[] = [...args.dependsOn];
    if (platform.vault.writeSecrets) {
        dependsOn.push(writeGeneratedSecrets(name, agent, platform, paths, parent));
    }

    const externalSecret = new k8s.apiextensions.CustomResource(`${name}-credentials`, {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: {
            name: names.credentials,
            namespace: args.namespace,
            labels: agentLabels(agent.name, "credentials"),
            // ESO reconciles on annotation changes: a rotation fetches the new values at once.
            annotations: { "persistent-agents.dev/rotation": `mcp-token=${agent.rotation.mcpToken},vnc-password=${agent.rotation.vncPassword}` },
        },
        spec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: args.secretStore.kind, name: args.secretStore.name },
            target: {
                name: names.credentials,
                creationPolicy: "Owner",
                deletionPolicy: "Retain",
                template: {
                    engineVersion: "v2",
                    type: "Opaque",
                    metadata: { labels: agentLabels(agent.name, "credentials") },
                    data: secretTemplate(agent, platform, sources),
                },
            },
            data: [...sources].map(([field, key]) => ({
                secretKey: field,
                remoteRef: { key, property: VAULT_FIELDS[field] },
            })),
        },
    }, { parent, dependsOn });

    return { secretName: names.credentials, paths, externalSecret };
}

/** Go templates (ESO engine v2) that assemble the Secret's keys from the fetched values. */
export function secretTemplate(agent: AgentSpec, platform: PlatformSpec, sources: ReadonlyMap<VaultField, string>): Record<string, string> {
    const data: Record<string, string> = {
        [SECRET_KEYS.mcpToken]: "{{ .mcpToken }}",
        [SECRET_KEYS.authorization]: "Bearer {{ .mcpToken }}",
        [SECRET_KEYS.modelApiKey]: "{{ .modelApiKey }}",
    };
    if (sources.has("vncPassword")) {
        data[SECRET_KEYS.vncPassword] = "{{ .vncPassword }}";
    }
    if (sources.has("giteaToken")) {
        data[SECRET_KEYS.gitCredentials] = gitCredentialsTemplate(agent.credentials.gitea.username, platform.giteaHost);
    }
    if (sources.has("harborPassword")) {
        // Built as a value and serialised by toJson, so that any character in the password stays valid JSON.
        const user = agent.credentials.harbor.username;
        data[SECRET_KEYS.dockerConfig] =
            `{{ dict "auths" (dict "${platform.registry}" (dict "username" "${user}" "password" .harborPassword ` +
            `"auth" (printf "%s:%s" "${user}" .harborPassword | b64enc))) | toJson }}`;
    }
    return data;
}

function writeGeneratedSecrets(
    name: string, agent: AgentSpec, platform: PlatformSpec, paths: VaultPaths, parent: pulumi.Resource,
): vault.kv.SecretV2 {
    const fields: Record<string, pulumi.Output<string>> = {
        [VAULT_FIELDS.mcpToken]: new random.RandomPassword(`${name}-mcp-token`, {
            length: 48,
            special: false,
            keepers: { rotation: String(agent.rotation.mcpToken) },
        }, { parent }).result,
    };
    if (agent.desktop.enabled) {
        // VNC authentication uses only the first 8 characters of a password.
        fields[VAULT_FIELDS.vncPassword] = new random.RandomPassword(`${name}-vnc-password`, {
            length: 8,
            special: false,
            keepers: { rotation: String(agent.rotation.vncPassword) },
        }, { parent }).result;
    }
    if (agent.secrets.source === "config") {
        fields[VAULT_FIELDS.modelApiKey] = pulumi.secret(agent.secrets.modelApiKey);
        if (agent.secrets.giteaToken !== undefined) {
            fields[VAULT_FIELDS.giteaToken] = pulumi.secret(agent.secrets.giteaToken);
        }
        if (agent.secrets.harborPassword !== undefined) {
            fields[VAULT_FIELDS.harborPassword] = pulumi.secret(agent.secrets.harborPassword);
        }
    }
    return new vault.kv.SecretV2(`${name}-generated`, {
        mount: platform.vault.mount,
        // Explicit: without it the provider derives a path from the resource name.
        name: paths.generated,
        dataJson: pulumi.secret(pulumi.all(fields).apply((values) => JSON.stringify(values))),
        deleteAllVersions: true,
    }, { parent });
}
