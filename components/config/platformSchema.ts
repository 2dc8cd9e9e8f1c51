/** The cluster-wide `platform` object of the stack config, shared by all agents. */
import { z } from "zod";
import { idleAfter } from "./agentSchema";
import { flag, list, oneOf, strictObject, text } from "./fields";
import * as formats from "./formats";
import { allowDomainsSchema, egressRulesSchema, podLabelsSchema, viewersSchema } from "./networkSchema";
import { apiServerSchema, backupPlatformSchema, monitoringSchema } from "./operationsSchema";

const prebuiltImage = () =>
    text({ check: formats.imageDigestRef })
        .optional()
        .meta({ description: "prebuilt `repo@sha256:…` reference: that image is not built" });

/** One or more PEM certificates, nothing else (no private key by mistake). */
const pemCertificates = (value: string) => {
    const blocks = value.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g) ?? [];
    if (blocks.length === 0) return "holds no PEM certificate; give the CA's `-----BEGIN CERTIFICATE-----` block(s)";
    if (blocks.some((block) => !block.startsWith("-----BEGIN CERTIFICATE-----")))
        return "holds a PEM block that is not a certificate (a private key?); give the CA's certificate(s) only";
    return undefined;
};

const namespacePrefix = (value: string) =>
    value === "" || /^[a-z0-9][-a-z0-9]*$/.test(value)
        ? undefined
        : "must be lower-case letters, digits and '-', e.g. agent-";

export const vaultSchema = strictObject({
    address: text({
        check: formats.serviceUrl,
        hint: "the URL the External Secrets Operator uses, e.g. pulumi config set --path platform.vault.address http://vault.vault.svc.cluster.local:8200",
    }).meta({ description: "Vault URL as ESO reaches it in the cluster (no user or password in it)" }),
    mount: text({ check: formats.lowerCaseVaultPath }).default("secret").meta({ description: "KV v2 mount" }),
    pathPrefix: text({ check: formats.lowerCaseVaultPath }).default("agents").meta({
        description:
            "secrets live at `<mount>/<prefix>/<name>/{provided,generated}`; stacks sharing a Vault need different prefixes",
    }),
    writeSecrets: flag().default(true).meta({
        description: "`false` writes nothing to Vault (generated secrets, policies, roles): local rendering only",
    }),
    authMount: text({ check: formats.vaultPath })
        .default("kubernetes")
        .meta({ description: "path of Vault's Kubernetes auth method" }),
    audience: text()
        .default("vault")
        .meta({ description: "audience of the service-account tokens ESO presents (Vault 1.21+ requires one)" }),
});

export const platformSchema = strictObject({
    registry: text({
        check: formats.host,
        hint: "pulumi config set --path platform.registry registry.example.com",
    }).meta({ description: "registry host the images are pushed to and pulled from" }),
    imageRepository: text({ check: formats.registryPath })
        .default("agents")
        .meta({ description: "project/path in the registry" }),
    giteaHost: text({ check: formats.host, hint: "pulumi config set --path platform.giteaHost git.example.com" }).meta({
        description: "host of the Gitea the agents clone from (the credential file targets it)",
    }),
    giteaCaCertificate: text({ check: pemCertificates }).optional().meta({
        description:
            "PEM certificate(s) the agents' egress proxies verify the Gitea host with when they broker its credential (`credentials.gitea.brokered`), for a Gitea behind a private CA; unset: the system's CAs",
    }),
    namespacePrefix: text({ check: namespacePrefix, allowEmpty: true })
        .default("agent-")
        .meta({ description: "agent namespace = prefix + name (an agent's `namespace` overrides)" }),
    storageClass: text({ check: formats.dnsSubdomain }).optional().meta({
        description:
            "StorageClass of the PVCs; unset: the cluster default (an agent's `storage.storageClass` overrides)",
    }),
    kagentNamespace: text({ check: formats.dnsLabel() })
        .default("kagent")
        .meta({ description: "where the kagent controller runs (allowed to reach the MCP ports)" }),
    vault: vaultSchema.prefault({} as z.input<typeof vaultSchema>),
    secretStore: strictObject({
        // Per-agent stores by default: a shared ClusterSecretStore lets every namespace read all its role can.
        kind: oneOf(["SecretStore", "ClusterSecretStore"]).default("SecretStore").meta({
            description: "per-agent stores; `ClusterSecretStore` uses the shared store `name` (see the security model)",
        }),
        name: text({ check: formats.dnsSubdomain })
            .default("vault-backend")
            .meta({ description: "the ClusterSecretStore's name" }),
    }).prefault({}),
    images: strictObject({
        desktop: prebuiltImage(),
        computerControlMcp: prebuiltImage(),
        shell: prebuiltImage(),
        browserView: prebuiltImage(),
        egressProxy: prebuiltImage(),
        buildkitd: prebuiltImage(),
        waker: prebuiltImage(),
        platforms: list(
            text({
                check: (p) => (/^linux\/(amd64|arm64)$/.test(p) ? undefined : "is not linux/amd64 or linux/arm64"),
            }),
        )
            .default(["linux/amd64"])
            .meta({ description: "build platforms" }),
        tag: text({ check: formats.imageTag })
            .optional()
            .meta({ description: "tag next to the digest; unset: the stack name" }),
        registryUsername: text({ check: formats.username }).optional().meta({
            description: "push user (password: secret config `registryPassword`); unset: the ambient `docker login`",
        }),
    }).prefault({}),
    network: strictObject({
        computerEgress: egressRulesSchema().meta({
            description: "where computers may connect besides DNS: `{cidr | namespace, podLabels?, ports?, protocol?}`",
        }),
        agentEgress: egressRulesSchema().meta({
            description: "where kagent's agent pods may connect besides kagent and their computer (the model API)",
        }),
        allowDomains: allowDomainsSchema().meta({
            description:
                "hosts every computer may reach through its egress proxy, `{host, ports}` or a host alone (port 443); any entry (here or an agent's) gives that agent a proxy and closes its direct egress (docs/architecture.md, egress by domain name)",
        }),
        vncViewers: viewersSchema
            .prefault({})
            .meta({ description: "`{namespaces: [], cidrs: []}` allowed to open VNC" }),
        dns: strictObject({
            namespace: text({ check: formats.dnsLabel() })
                .default("kube-system")
                .meta({ description: "where cluster DNS runs" }),
            podLabels: podLabelsSchema()
                .default({ "k8s-app": "kube-dns" })
                .meta({ description: "the DNS pods' labels" }),
        }).prefault({}),
    }).prefault({}),
    browserView: strictObject({
        host: text({ check: formats.host }).optional().meta({
            description:
                "set: an Ingress per browser view at `https://<agent>.<host>/` (wildcard DNS and certificate); unset: no route, use kubectl port-forward",
        }),
        ingressClassName: text({ check: formats.dnsSubdomain })
            .optional()
            .meta({ description: "the Ingress's class; unset: the cluster default" }),
        ingressNamespace: text({ check: formats.dnsLabel() }).default("ingress-nginx").meta({
            description:
                "where the ingress controller runs (admitted to port 6080 when a route exists, or to the waker's port for an agent that sleeps)",
        }),
        tlsSecretName: text({ check: formats.dnsSubdomain }).optional().meta({
            description:
                "TLS Secret for `host` in each agent's namespace, and in the waker's for agents that sleep (whose Ingress goes through the waker), or one cert-manager issues through `annotations`; required with `host` when an agent has a browser view: the route is HTTPS only",
        }),
        annotations: z.record(z.string(), z.string()).default({}).meta({
            description:
                "added to every browser-view Ingress, e.g. oauth2-proxy's `nginx.ingress.kubernetes.io/auth-url`",
        }),
    })
        .prefault({})
        .meta({ description: "routes to the agents' browser views" }),
    monitoring: monitoringSchema.meta({ description: "Prometheus Operator and Grafana objects (see docs/runbook.md)" }),
    backup: backupPlatformSchema.meta({ description: "how agents' `storage.backup` snapshots are taken" }),
    apiServer: apiServerSchema.meta({ description: "where the API server is, for the pods of the stack that call it" }),
    buildService: strictObject({
        enabled: flag().default(false).meta({
            description:
                "a BuildKit daemon per agent that the agent builds and pushes images on with `buildctl` (docs/architecture.md, Image builds): its own state, cache and history, mutual TLS with a CA per agent, egress no wider than the agent's computer; computers get `BUILDKIT_HOST` and `BUILDKIT_TLS_DIR`",
        }),
        namespace: text({ check: formats.dnsLabel() }).default("agent-builds").meta({
            description:
                "the daemons' own namespace (Pod Security `privileged`: BuildKit needs Unconfined seccomp and AppArmor)",
        }),
        processSandbox: flag().default(true).meta({
            description:
                "each build step in PID and mount namespaces of its own; needs pod user namespaces (`hostUsers: false`: Kubernetes 1.33+, containerd 2.0+ or CRI-O 1.25+, runc 1.2+ or crun 1.9+, Linux 6.3+); `false` is the fallback for other nodes, with the risk docs/architecture.md states",
        }),
        registryEgress: egressRulesSchema().meta({
            description:
                "where the daemons reach the registry they push to, when the agents' `network.computerEgress` does not already, e.g. `{namespace: harbor}`",
        }),
    })
        .prefault({})
        .meta({ description: "image builds for agents" }),
    suspend: strictObject({
        enabled: flag().default(false).meta({
            description:
                "a waker in `namespace` (images/waker) that puts idle computers to sleep (scaled to zero) and wakes them on the next MCP call, which it holds until the computer answers; kagent reaches the agents' MCP servers through it (docs/runbook.md, Sleeping computers)",
        }),
        namespace: text({ check: formats.dnsLabel() })
            .default("agent-waker")
            .meta({ description: "the waker's own namespace" }),
        idleAfter: text({ check: idleAfter }).optional().meta({
            description: "the agents' default `suspend.idleAfter`; unset: only agents that set it sleep",
        }),
        wakeTimeout: text({ check: formats.duration }).default("2m").meta({
            description: "the agents' default `suspend.wakeTimeout`",
        }),
    })
        .prefault({})
        .meta({ description: "sleep on idle, wake on the next call" }),
    podSecurity: oneOf(["restricted", "baseline"]).default("restricted").meta({
        description:
            "Pod Security Admission level of agent namespaces (`baseline` if kagent's agent image cannot run as non-root)",
    }),
});

export type PlatformConfig = z.output<typeof platformSchema>;
