/**
 * The egress proxy's ports, paths and commands, as images/egress-proxy expects them: one place for the
 * stack that runs the image and the tests that run its programs as processes (docs/pod-contract.md,
 * "The egress proxy").
 */

/** Squid's forward-proxy port (HTTP_PROXY/HTTPS_PROXY of the computer). */
export const PROXY_PORT = 3128;
/** mtail's /metrics. */
export const METRICS_PORT = 9103;
/** Loopback UDP port squid sends its access log lines to and mtail reads them from (squid.conf). */
export const LOG_UDP_PORT = 5140;

export const PATHS = {
    /** The per-agent rules (a ConfigMap mounted as a folder), included by squid.conf. */
    rulesDir: "/etc/egress-proxy/rules",
    rulesFile: "rules.conf",
    /** The mtail program folder of the image. */
    mtailProgs: "/etc/egress-proxy/mtail",
    /** squid's pid and throw-away peek key (an emptyDir). */
    runDir: "/tmp/egress-proxy",
} as const;

/** mtail's arguments: the image's program, squid's log lines over loopback UDP, /metrics on `port`. */
export function mtailArgs(options: { progs?: string; udpPort?: number; port?: number } = {}): string[] {
    return [
        "--progs",
        options.progs ?? PATHS.mtailProgs,
        "--logs",
        `udp://127.0.0.1:${options.udpPort ?? LOG_UDP_PORT}`,
        "--port",
        String(options.port ?? METRICS_PORT),
        // The series carry the agent's labels from the PodMonitor, not mtail's program name.
        "--emit_prog_label=false",
        "--logtostderr",
    ];
}
