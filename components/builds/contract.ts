/**
 * The build service's contract, as plain data: one BuildKit daemon per agent in the platform's build
 * namespace, reached over mutual TLS with a certificate authority of the agent's own. What the daemon
 * is started with, where its and the client's certificate files are, and what each certificate says.
 * Pure (no Pulumi): the stack renders it (components/buildService.ts) and tests/build-isolation runs
 * real daemons and clients from it.
 *
 * Why a daemon per agent (docs/architecture.md, "Image builds"): BuildKit has no tenants. Every client
 * the daemon admits may list, prune and read the whole cache (`buildctl du`, `prune`), every build
 * record and its logs (`buildctl debug histories`, `logs`) and mount any cache mount by id; its TLS
 * check only asks whether the client's certificate chains to the configured CA. So the only boundary
 * is the daemon itself: state, cache, history and process namespaces are one per agent, and each
 * daemon trusts only its agent's CA.
 */

/** The port every daemon listens on (TLS). */
export const BUILDKIT_PORT = 1234;

/** The daemon's Service and Deployment in the build namespace: `<agent>-buildkitd`. */
export function buildDaemonName(agent: string): string {
    return `${agent}-buildkitd`;
}

/** The daemon's in-cluster name: the client's BUILDKIT_HOST and the server certificate's first name. */
export function buildDaemonHost(agent: string, buildNamespace: string): string {
    return `${buildDaemonName(agent)}.${buildNamespace}.svc.cluster.local`;
}

/** What the agent's `buildctl` connects to (BUILDKIT_HOST). */
export function buildDaemonAddress(agent: string, buildNamespace: string): string {
    return `tcp://${buildDaemonHost(agent, buildNamespace)}:${BUILDKIT_PORT}`;
}

/**
 * The certificate files, named as `buildctl --tlsdir` looks for them (ca.pem, cert.pem, key.pem) on both
 * sides: the daemon's server pair and the agent's client pair, each with the agent's CA certificate.
 */
export const TLS_FILES = { ca: "ca.pem", cert: "cert.pem", key: "key.pem" } as const;
export type TlsFile = keyof typeof TLS_FILES;

/** Where the daemon's container mounts its TLS files. */
export const DAEMON_TLS_DIR = "/etc/buildkit/tls";

/**
 * The daemon's arguments. With the process sandbox (the default), each build step runs in PID and mount
 * namespaces of its own, so it sees and can signal only its own processes; without it (a node that cannot
 * give the pod a user namespace), steps share the daemon's PID namespace (docs/architecture.md says what
 * that exposes). `--tlscacert` is what makes the daemon require a client certificate from the agent's CA.
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

/**
 * The daemon container's capabilities with the process sandbox: containerd's defaults plus SYS_ADMIN
 * (mounts, new namespaces, pivot_root for each build step), all of them valid only inside the pod's user
 * namespace (`hostUsers: false`), where the daemon is root and the host sees an unprivileged ID range.
 * tests/build-isolation runs the daemons with exactly these (and no_new_privs).
 */
export const SANDBOX_CAPABILITIES = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_ADMIN",
    "SYS_CHROOT",
];

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
