/**
 * The build service's contract with BuildKit and with the agents' clients (docs/architecture.md, "Image
 * builds"): one daemon per agent in the build namespace, its port, names and addresses, the certificate
 * files on both sides (as `buildctl --tlsdir` names them), where the daemon's image keeps its state and
 * socket, and the capabilities the daemon needs with the process sandbox.
 */
import { agentObjectNames } from "./names";

/** The port every daemon listens on (TLS). */
export const BUILDKIT_PORT = 1234;

/** The daemon's Service and Deployment in the build namespace: `<agent>-buildkitd`. */
export function buildDaemonName(agent: string): string {
    return agentObjectNames(agent).buildDaemon;
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
export type TlsPart = keyof typeof TLS_FILES;

/** Where the daemon's container mounts its TLS files. */
export const DAEMON_TLS_DIR = "/etc/buildkit/tls";
/** Where the daemon keeps its state (cache, history): an emptyDir of its own pod (images/buildkitd). */
export const BUILDKIT_ROOT = "/var/lib/buildkit";
/** The daemon's local socket, for its probes only (no TLS on it; nothing outside the container reaches it). */
export const BUILDKIT_SOCKET_DIR = "/run/buildkit";
export const BUILDKIT_PROBE_ADDRESS = `unix://${BUILDKIT_SOCKET_DIR}/buildkitd.sock`;
/** The fallback's user in images/buildkitd (rootlesskit maps it to root of the build steps' namespace). */
export const BUILDKIT_ROOTLESS_UID = 1000;

/**
 * The fallback container's capabilities: in its bounding set only (it runs as UID 1000, so the daemon holds
 * none). rootlesskit maps the daemon's user namespace with images/buildkitd's newuidmap and newgidmap, which
 * carry the file capabilities cap_setuid and cap_setgid: exec grants them only if the bounding set has them
 * and no_new_privs is off (allowPrivilegeEscalation). They stay UID 1000, the namespace's owner, so the
 * kernel asks nothing more of the node (user_namespaces(7)); Debian's setuid-root newuidmap would need
 * SYS_ADMIN and DAC_OVERRIDE too. tests/node/buildDaemon.test.ts runs the rendered pod and a build on it.
 */
export const ROOTLESS_CAPABILITIES = ["SETGID", "SETUID"];

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
