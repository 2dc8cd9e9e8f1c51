/**
 * The agents' image builds (docs/architecture.md, "Image builds"): a BuildKit daemon per agent in the
 * platform's build namespace, admitting only that agent's computer, over mutual TLS with a CA of the
 * agent's own, reaching no more than that agent's computer may. BuildKit has no tenants (any client it
 * admits may list, prune and read the whole cache and every build record), so the daemon is the boundary:
 * state, cache, history and process namespaces are one per agent, and each daemon trusts only its
 * agent's CA. The stack's part: the namespace (Pod Security `privileged`, where only daemons run), its
 * default-deny policy, and the SecretStore the daemons' server certificates come through.
 */
import type { AgentSpec, EgressRule, PlatformSpec } from "../config";
import {
    BUILDKIT_PORT,
    BUILDKIT_PROBE_ADDRESS,
    BUILDKIT_ROOT,
    BUILDKIT_ROOTLESS_UID,
    ROOTLESS_CAPABILITIES,
    DAEMON_TLS_DIR,
    SANDBOX_CAPABILITIES,
    TLS_FILES,
    type TlsPart,
    buildDaemonAddress,
    buildDaemonHost,
    buildDaemonName,
} from "../contract/buildService";
import { AGENT_LABEL, BUILDKIT_POD_LABELS, computerSelector } from "../contract/labels";
import { agentObjectNames } from "../contract/names";
import { dnsRule, egressRule, type PolicyPlan, tcp } from "./network";
import type { EnvPlan, VaultAccessPlan } from "./parts";

/** The Vault fields each side's certificates are kept in. */
export const BUILD_VAULT_FIELDS = {
    /** In the agent's generated path, read into the agent's Secret by the agent's SecretStore. */
    client: { ca: "buildkit-ca-cert", cert: "buildkit-client-cert", key: "buildkit-client-key" },
    /** In `<prefix>/<agent>/build-daemon`, read only by the build namespace's SecretStore. */
    daemon: { ca: "ca-cert", cert: "server-cert", key: "server-key" },
} as const satisfies Record<string, Record<TlsPart, string>>;

/** The build namespace's ServiceAccount (ESO logs in to Vault as it; no pod runs as it) and SecretStore. */
const SECRETS_SERVICE_ACCOUNT = "build-service-secrets";
const SECRET_STORE = "build-service-vault";

export interface BuildServicePlan {
    namespace: string;
    namespaceLabels: Record<string, string>;
    labels: Record<string, string>;
    /** Every pod of the namespace closed both ways but what a daemon's own policy opens. */
    defaultDeny: PolicyPlan;
    /** Where the daemons' certificates come from: the namespace's own store (and Vault role), or the platform's. */
    vaultAccess: VaultAccessPlan;
    processSandbox: boolean;
    registryEgress: EgressRule[];
}

/** A certificate the stack issues (@pulumi/tls), as plain data; every key is ECDSA P-256. */
export interface CertificateSpec {
    commonName: string;
    /** DNS subject alternative names (server certificates). */
    dnsNames: string[];
    /** As @pulumi/tls names them: digital_signature, cert_signing, server_auth, client_auth, … */
    usages: string[];
    validityHours: number;
    /** Renewed by the next `pulumi up` this long before it expires. */
    earlyRenewalHours: number;
}

export interface BuildCertificates {
    ca: CertificateSpec;
    server: CertificateSpec;
    client: CertificateSpec;
}

export interface BuildDaemonPlan {
    agent: string;
    /** The build namespace. */
    namespace: string;
    /** Deployment, Service, NetworkPolicy: `<agent>-buildkitd`. */
    name: string;
    labels: Record<string, string>;
    /** BUILDKIT_HOST of the agent's shell. */
    address: string;
    processSandbox: boolean;
    /** The container's command (rootlesskit in front of buildkitd in the fallback) and arguments. */
    command: string[];
    args: string[];
    /**
     * Behind the agent's egress proxy: HTTP(S)_PROXY for the daemon's own pulls (Go's ProxyFromEnvironment),
     * the registry excepted (it is reached directly, through `registryEgress`). Empty otherwise.
     */
    proxyEnv: EnvPlan[];
    security: { hostUsers: boolean; runAsUser: number; allowPrivilegeEscalation: boolean; addCapabilities: string[] };
    /** The daemon's TLS Secret (written by its ExternalSecret from the daemon's Vault path), mounted at DAEMON_TLS_DIR. */
    tls: {
        secretName: string;
        store: { kind: "SecretStore" | "ClusterSecretStore"; name: string };
        vaultMount: string;
        vaultPath: string;
        files: Record<TlsPart, { vaultField: string; file: string }>;
    };
    certificates: BuildCertificates;
    /** Who may connect (the agent's computer pods), and where the daemon and every build step may go. */
    policy: PolicyPlan;
    resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
    /** emptyDir size of the state (cache and history are disposable). */
    stateSize: string;
}

export function planBuildService(
    platform: Pick<PlatformSpec, "buildService" | "network" | "vault" | "secretStore">,
): BuildServicePlan | undefined {
    const service = platform.buildService;
    if (!service.enabled) {
        return undefined;
    }
    const namespace = service.namespace;
    const labels = { ...BUILDKIT_POD_LABELS };
    const vault = platform.vault;
    const access = ["build-service", vault.mount, ...vault.pathPrefix.split("/")].join(".");
    return {
        namespace,
        namespaceLabels: {
            ...labels,
            // BuildKit needs Unconfined seccomp and AppArmor, which `baseline` forbids.
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/warn": "baseline",
        },
        labels,
        defaultDeny: { name: "default-deny", namespace, labels, podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        vaultAccess:
            platform.secretStore.kind === "ClusterSecretStore"
                ? { store: { kind: "ClusterSecretStore", name: platform.secretStore.name } }
                : {
                      store: { kind: "SecretStore", name: SECRET_STORE },
                      perAgent: {
                          namespace,
                          labels,
                          serviceAccount: SECRETS_SERVICE_ACCOUNT,
                          vault: {
                              server: vault.address,
                              mount: vault.mount,
                              authMount: vault.authMount,
                              audience: vault.audience,
                          },
                          roleName: access,
                          policyAndRole: vault.writeSecrets
                              ? {
                                    policyName: access,
                                    // `+` matches one path segment: every agent's daemon certificates, nothing else of theirs.
                                    policy: `path "${vault.mount}/data/${vault.pathPrefix}/+/build-daemon" {\n  capabilities = ["read"]\n}\n`,
                                    tokenTtl: 600,
                                    tokenMaxTtl: 1200,
                                }
                              : undefined,
                      },
                  },
        processSandbox: service.processSandbox,
        registryEgress: service.registryEgress,
    };
}

/**
 * The daemon's arguments. With the process sandbox, each build step runs in PID and mount namespaces of
 * its own, so it sees and can signal only its own processes; without it, steps share the daemon's PID
 * namespace (docs/architecture.md says what that exposes). `--tlscacert` makes the daemon require a client
 * certificate of the agent's CA. tests/build-isolation starts real daemons with these.
 */
export function buildDaemonArgs(options: { processSandbox: boolean; tlsDir?: string; addr?: string }): string[] {
    const dir = options.tlsDir ?? DAEMON_TLS_DIR;
    return [
        "--addr",
        options.addr ?? `tcp://0.0.0.0:${BUILDKIT_PORT}`,
        "--tlscert",
        `${dir}/${TLS_FILES.cert}`,
        "--tlskey",
        `${dir}/${TLS_FILES.key}`,
        "--tlscacert",
        `${dir}/${TLS_FILES.ca}`,
        ...(options.processSandbox ? [] : ["--oci-worker-no-process-sandbox"]),
    ];
}

const YEAR_HOURS = 24 * 365;

/**
 * The three certificates of one agent's builds: a CA of the agent's own (its key stays in Pulumi state,
 * as the generated passwords do), the daemon's server certificate for its Service names, and the agent's
 * client certificate. Server and client usages differ, so neither certificate can stand for the other.
 */
export function buildCertificates(agent: string, buildNamespace: string): BuildCertificates {
    const name = buildDaemonName(agent);
    return {
        ca: {
            commonName: `${agent} builds CA`,
            dnsNames: [],
            usages: ["cert_signing", "crl_signing", "digital_signature"],
            validityHours: 10 * YEAR_HOURS,
            earlyRenewalHours: 0,
        },
        server: {
            commonName: name,
            dnsNames: [
                buildDaemonHost(agent, buildNamespace),
                `${name}.${buildNamespace}.svc`,
                `${name}.${buildNamespace}`,
            ],
            usages: ["digital_signature", "key_encipherment", "server_auth"],
            validityHours: YEAR_HOURS,
            earlyRenewalHours: 30 * 24,
        },
        client: {
            commonName: agent,
            dnsNames: [],
            usages: ["digital_signature", "key_encipherment", "client_auth"],
            validityHours: YEAR_HOURS,
            earlyRenewalHours: 30 * 24,
        },
    };
}

/**
 * The daemon of `agent`. `computerEgress` is the agent's own direct egress as its computer's policy has it
 * (behind an egress proxy: its in-cluster namespace rules only, so builds get no internet that the proxy
 * would have filtered by name), without the rule to the daemon itself.
 */
export function planBuildDaemon(
    agent: AgentSpec,
    platform: Pick<PlatformSpec, "network" | "vault" | "registry">,
    service: BuildServicePlan,
    computerEgress: EgressRule[],
    proxy?: BuildProxy,
): BuildDaemonPlan {
    const name = buildDaemonName(agent.name);
    const sandbox = service.processSandbox;
    const labels = { ...BUILDKIT_POD_LABELS, [AGENT_LABEL]: agent.name };
    const noProxy = proxy ? [...proxy.noProxy, platform.registry].join(",") : "";
    const proxyEnv: EnvPlan[] = proxy
        ? [
              ...["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"].map((name) => ({ name, value: proxy.url })),
              { name: "NO_PROXY", value: noProxy },
              { name: "no_proxy", value: noProxy },
          ]
        : [];
    const files = Object.fromEntries(
        (Object.keys(TLS_FILES) as TlsPart[]).map((part) => [
            part,
            { vaultField: BUILD_VAULT_FIELDS.daemon[part], file: TLS_FILES[part] },
        ]),
    ) as BuildDaemonPlan["tls"]["files"];
    return {
        agent: agent.name,
        namespace: service.namespace,
        name,
        labels,
        address: buildDaemonAddress(agent.name, service.namespace),
        processSandbox: sandbox,
        // The sandbox: root of the pod's own user namespace; runc makes each step's namespaces. The fallback:
        // UID 1000, rootlesskit makes a user namespace with newuidmap's file capabilities (hence escalation).
        command: sandbox ? ["/usr/bin/tini", "--", "buildkitd"] : ["/usr/bin/tini", "--", "rootlesskit", "buildkitd"],
        args: [
            ...buildDaemonArgs({ processSandbox: sandbox }),
            "--addr",
            BUILDKIT_PROBE_ADDRESS,
            "--root",
            BUILDKIT_ROOT,
        ],
        proxyEnv,
        security: sandbox
            ? {
                  hostUsers: false,
                  runAsUser: 0,
                  allowPrivilegeEscalation: false,
                  addCapabilities: [...SANDBOX_CAPABILITIES],
              }
            : {
                  hostUsers: true,
                  runAsUser: BUILDKIT_ROOTLESS_UID,
                  allowPrivilegeEscalation: true,
                  addCapabilities: [...ROOTLESS_CAPABILITIES],
              },
        tls: {
            secretName: agentObjectNames(agent.name).buildDaemonTls,
            store: service.vaultAccess.store,
            vaultMount: platform.vault.mount,
            vaultPath: `${platform.vault.pathPrefix}/${agent.name}/build-daemon`,
            files,
        },
        certificates: buildCertificates(agent.name, service.namespace),
        policy: {
            name,
            namespace: service.namespace,
            labels,
            podSelector: labels,
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    peers: [{ namespace: agent.namespace, pods: computerSelector(agent.name) }],
                    ports: tcp(BUILDKIT_PORT),
                },
            ],
            egress: [
                dnsRule(platform.network.dns),
                ...[...computerEgress, ...service.registryEgress, ...(proxy ? [proxy.rule] : [])].map(egressRule),
            ],
        },
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "4", memory: "8Gi" } },
        stateSize: "50Gi",
    };
}

/** The agent's egress proxy as its build daemon uses it: the URL, what goes direct, and the rule to its pods. */
export interface BuildProxy {
    url: string;
    noProxy: string[];
    rule: EgressRule;
}

/** The rule the agent's computer gets: its own daemon's pods on the daemon's port, nothing else there. */
export function buildDaemonClientRule(daemon: BuildDaemonPlan): EgressRule {
    return { namespace: daemon.namespace, podLabels: daemon.labels, ports: [BUILDKIT_PORT], protocol: "TCP" };
}
