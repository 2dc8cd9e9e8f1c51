#!/bin/sh
# Starts squid in the foreground as the container's (non-root) user, after making the throw-away key
# and certificate that squid requires on a port that peeks at TLS (it never presents them: no rule
# decrypts). Then watches the mounted rules and broker files: the kubelet swaps a changed ConfigMap or
# Secret in place, and `squid -k reconfigure` makes squid read them without dropping open tunnels.
#
# The same loop rotates the access log mtail reads once it passes EGRESS_PROXY_LOG_MAX_BYTES (8 MiB):
# `squid -k rotate` renames it to access.log.0 (one old file kept) and opens a new one.
#
# Environment: EGRESS_PROXY_CONFIG (default /etc/egress-proxy/squid.conf), EGRESS_PROXY_WATCH (folders
# whose change triggers a reconfigure; default the rules and broker folders), EGRESS_PROXY_POLL_SECONDS
# (10), EGRESS_PROXY_RUN_DIR (/tmp/egress-proxy) and EGRESS_PROXY_LOG (/var/log/egress-proxy/access.log),
# both as squid.conf says, EGRESS_PROXY_LOG_MAX_BYTES. The process tests set them.
set -eu

config=${EGRESS_PROXY_CONFIG:-/etc/egress-proxy/squid.conf}
watch=${EGRESS_PROXY_WATCH:-/etc/egress-proxy/rules /var/run/secrets/egress-proxy}
poll=${EGRESS_PROXY_POLL_SECONDS:-10}
# Where squid.conf expects its pid file and the peek key (an emptyDir in the pod).
run=${EGRESS_PROXY_RUN_DIR:-/tmp/egress-proxy}
log=${EGRESS_PROXY_LOG:-/var/log/egress-proxy/access.log}
log_max=${EGRESS_PROXY_LOG_MAX_BYTES:-8388608}

mkdir -p "$run" "$(dirname "$log")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj /CN=egress-proxy-peek-only -keyout "$run/peek.pem" -out "$run/peek.pem" 2>/dev/null
chmod 600 "$run/peek.pem"

# What the watched folders hold, as one checksum (the kubelet's ..data symlink swap changes it).
fingerprint() {
    # shellcheck disable=SC2086 # $watch is a list of paths
    find -L $watch -type f 2>/dev/null | LC_ALL=C sort | xargs -r cat 2>/dev/null | cksum
}

squid -k parse -f "$config" 2>&1 | grep -E "FATAL|ERROR" >&2 && exit 1

squid -N -f "$config" &
squid_pid=$!
trap 'kill -TERM "$squid_pid" 2>/dev/null' TERM INT

(
    last=$(fingerprint)
    while sleep "$poll"; do
        now=$(fingerprint)
        if [ "$now" != "$last" ]; then
            echo "egress-proxy: rules or credentials changed: squid -k reconfigure" >&2
            squid -k reconfigure -f "$config" || echo "egress-proxy: reconfigure failed" >&2
            last=$now
        fi
        if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt "$log_max" ]; then
            squid -k rotate -f "$config" || echo "egress-proxy: log rotation failed" >&2
        fi
    done
) &
watcher_pid=$!

status=0
wait "$squid_pid" || status=$?
# A TERM interrupts `wait`: wait again for squid's own shutdown.
kill -0 "$squid_pid" 2>/dev/null && { wait "$squid_pid" || status=$?; }
kill "$watcher_pid" 2>/dev/null || true
exit "$status"
