// Minimal valid objects of each kind the stack creates: the real API server must accept them, and reject
// each of the mutations in serverValidation.test.ts with an error naming the field.
const ns = "agent-devbot";

export const agent = () => ({
    apiVersion: "kagent.dev/v1alpha2",
    kind: "Agent",
    metadata: { name: "devbot", namespace: ns },
    spec: {
        type: "Declarative",
        description: "Developer agent with its own computer",
        declarative: {
            modelConfig: "devbot-model",
            systemMessage: "You are devbot.",
            tools: [
                {
                    type: "McpServer",
                    mcpServer: {
                        name: "devbot-computer",
                        kind: "RemoteMCPServer",
                        apiGroup: "kagent.dev",
                        toolNames: ["run", "take_screenshot"],
                        requireApproval: ["run"],
                    },
                },
            ],
        },
    },
});

export const remoteMcpServer = () => ({
    apiVersion: "kagent.dev/v1alpha2",
    kind: "RemoteMCPServer",
    metadata: { name: "devbot-computer", namespace: ns },
    spec: {
        description: "Shell and desktop of devbot",
        url: `http://devbot-computer.${ns}:8080/mcp`,
        timeout: "120s",
        headersFrom: [
            { name: "Authorization", valueFrom: { type: "Secret", name: "devbot-mcp-token", key: "header" } },
        ],
    },
});

export const modelConfig = () => ({
    apiVersion: "kagent.dev/v1alpha2",
    kind: "ModelConfig",
    metadata: { name: "devbot-model", namespace: ns },
    spec: {
        provider: "Anthropic",
        model: "claude-sonnet-4-5",
        apiKeySecret: "devbot-anthropic",
        apiKeySecretKey: "api-key",
        anthropic: {},
    },
});

export const externalSecret = () => ({
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: "devbot-mcp-token", namespace: ns },
    spec: {
        refreshInterval: "1h",
        secretStoreRef: { name: "devbot-vault", kind: "SecretStore" },
        target: {
            name: "devbot-mcp-token",
            creationPolicy: "Owner",
            template: { engineVersion: "v2", type: "Opaque", data: { header: "Bearer {{ .token }}" } },
        },
        data: [{ secretKey: "token", remoteRef: { key: "agents/devbot", property: "mcp_token" } }],
    },
});

export const secretStore = () => ({
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name: "devbot-vault", namespace: ns },
    spec: {
        provider: {
            vault: {
                server: "http://vault.vault:8200",
                path: "secret",
                version: "v2",
                auth: {
                    kubernetes: {
                        mountPath: "kubernetes",
                        role: "agent-devbot",
                        serviceAccountRef: { name: "devbot-secrets", audiences: ["vault"] },
                    },
                },
            },
        },
    },
});

export const deployment = () => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "devbot-computer", namespace: ns, labels: { app: "devbot-computer" } },
    spec: {
        replicas: 1,
        strategy: { type: "Recreate" },
        selector: { matchLabels: { app: "devbot-computer" } },
        template: {
            metadata: { labels: { app: "devbot-computer" } },
            spec: {
                containers: [
                    {
                        name: "shell",
                        image: `ghcr.io/example/shell@sha256:${"0".repeat(64)}`,
                        ports: [{ name: "mcp", containerPort: 8080 }],
                        env: [
                            { name: "TOKEN", valueFrom: { secretKeyRef: { name: "devbot-mcp-token", key: "token" } } },
                        ],
                        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
                        volumeMounts: [{ name: "home", mountPath: "/home/agent" }],
                    },
                ],
                volumes: [{ name: "home", persistentVolumeClaim: { claimName: "devbot-home" } }],
            },
        },
    },
});

export const networkPolicy = () => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "devbot-computer", namespace: ns },
    spec: {
        podSelector: { matchLabels: { app: "devbot-computer" } },
        policyTypes: ["Ingress"],
        ingress: [
            {
                from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kagent" } } }],
                ports: [{ protocol: "TCP", port: 8080 }],
            },
        ],
    },
});

export const service = () => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "devbot-computer", namespace: ns },
    spec: { selector: { app: "devbot-computer" }, ports: [{ name: "mcp", port: 8080, targetPort: "mcp" }] },
});
