/**
 * The egress proxy's ports, paths and commands, as images/egress-proxy expects them: one place for the
 * stack that runs the image and the tests that run its programs as processes (docs/pod-contract.md,
 * "The egress proxy").
 */

/** Squid's forward-proxy port (HTTP_PROXY/HTTPS_PROXY of the computer). */
export const PROXY_PORT = 3128;
/** mtail's /metrics. */
export const METRICS_PORT = 9103;
/** The container port names of the two. */
export const PORT_NAMES = { proxy: "proxy", metrics: "metrics" } as const;

export const PATHS = {
    /** The per-agent rules (a ConfigMap mounted as a folder), included by squid.conf. */
    rulesDir: "/etc/egress-proxy/rules",
    rulesFile: "rules.conf",
    /** The mtail program folder of the image. */
    mtailProgs: "/etc/egress-proxy/mtail",
    /** squid's pid and throw-away peek key (an emptyDir). */
    runDir: "/tmp/egress-proxy",
    /** squid's access log, which mtail tails (an emptyDir shared by the two containers). */
    logDir: "/var/log/egress-proxy",
    logFile: "access.log",
} as const;

/** Where the proxy's container mounts the broker's Secret-rendered header line (one file per credential). */
export const BROKER_SECRET_DIR = "/var/run/secrets/egress-proxy";
export const BROKER_GIT_FILE = "broker-git.conf";
/** The Gitea host's CA certificate(s) (`platform.giteaCaCertificate`), beside the rules in their ConfigMap. */
export const GITEA_CA_FILE = "gitea-ca.pem";
/** The squid ACL naming brokered git requests: the rules define it, the Secret-rendered header line uses it. */
export const BROKER_GIT_ACL = "egress_broker_git";

/** mtail's arguments: the image's program, squid's access log, /metrics on `port`. */
export function mtailArgs(options: { progs?: string; log?: string; port?: number } = {}): string[] {
    return [
        "--progs",
        options.progs ?? PATHS.mtailProgs,
        "--logs",
        options.log ?? `${PATHS.logDir}/${PATHS.logFile}`,
        "--port",
        String(options.port ?? METRICS_PORT),
        // The series carry the agent's labels from the PodMonitor, not mtail's program name.
        "--emit_prog_label=false",
        "--logtostderr",
    ];
}
