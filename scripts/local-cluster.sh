#!/usr/bin/env bash
# A local Kubernetes control plane on loopback: etcd + kube-apiserver + kube-controller-manager, with the
# upstream CRDs the stack uses (Kagent, External Secrets Operator; agent-sandbox, prometheus-operator and
# volume snapshots for the operations work) installed and Established. No kubelet and no scheduler: objects
# are stored, validated and reconciled by the controllers, but no container ever runs.
#
#   scripts/local-cluster.sh up       start it (idempotent), wait for /readyz and the CRDs
#   scripts/local-cluster.sh status   what runs, where
#   scripts/local-cluster.sh down     stop every process it started (the data stays for the next up)
#   scripts/local-cluster.sh reset    down, then delete its folder (certificates, etcd data, kubeconfig)
#
# State lives in $LOCAL_CLUSTER_DIR (default <repo>/.cache/local-cluster, git-ignored): so a test can run
# its own cluster in a temporary folder next to yours. kubeconfig: $LOCAL_CLUSTER_DIR/kubeconfig.
# Ports: free loopback ports picked on the first up and kept while free; LOCAL_CLUSTER_ETCD_PORT,
# LOCAL_CLUSTER_ETCD_PEER_PORT and LOCAL_CLUSTER_APISERVER_PORT fix them. The controller manager serves none.
# The binaries come from scripts/toolchain/ensure.sh (kube, etcd), which `up` runs first.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${LOCAL_CLUSTER_DIR:-$repo/.cache/local-cluster}
upstream_dirs=("$repo/../shared/upstream" "$repo/../shared/upstream-operations")
processes=(etcd kube-apiserver kube-controller-manager) # start order; stopped in reverse
ready_timeout_seconds=${LOCAL_CLUSTER_READY_TIMEOUT:-120}

say() { echo "local-cluster: $*"; }
fail() { echo "local-cluster: $*" >&2; exit 1; }

pid_of() { # the recorded pid of a process of this cluster, if it is still that process
    local pid
    pid=$(cat "$dir/run/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    # A reused pid runs something else: ours name this cluster's folder on their command line.
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$dir/" || return 1
    echo "$pid"
}

# Processes anywhere on the machine whose command line names this cluster's folder (ours by construction:
# every flag file lives there), whether or not a pid file still points at them.
stray_pids() {
    local cmdline_file pid
    for cmdline_file in /proc/[0-9]*/cmdline; do
        pid=${cmdline_file#/proc/}
        pid=${pid%/cmdline}
        [ "$pid" != $$ ] || continue
        case "$({ tr '\0' ' ' <"$cmdline_file"; } 2>/dev/null)" in
            etcd\ *"$dir/"* | */etcd\ *"$dir/"* | *kube-apiserver\ *"$dir/"* | *kube-controller-manager\ *"$dir/"*) echo "$pid" ;;
        esac
    done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        port_in_use "$port" || { echo "$port"; return 0; }
    done
    fail "found no free loopback port"
}

choose_ports() { # keeps the ports of the last run while they are free, so addresses stay put
    local name variable saved
    # shellcheck source=/dev/null  # written below
    [ -f "$dir/ports.env" ] && . "$dir/ports.env"
    for name in ETCD_PORT ETCD_PEER_PORT APISERVER_PORT; do
        variable=LOCAL_CLUSTER_$name
        if [ -n "${!variable:-}" ]; then
            printf -v "$name" '%s' "${!variable}"
        else
            saved=${!name:-}
            if [ -z "$saved" ] || port_in_use "$saved"; then
                printf -v "$name" '%s' "$(free_port)"
            fi
        fi
        port_in_use "${!name}" && fail "port ${!name} ($variable) is in use by another process; unset $variable or pick another"
    done
    printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\n' "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" \
        >"$dir/ports.env"
}

# A private CA, the API server's serving certificate, client certificates for the admin (system:masters)
# and the controller manager, and the service-account signing key pair. Made once; kept across restarts.
make_certificates() {
    local pki=$dir/pki
    [ -f "$pki/done" ] && return 0
    command -v openssl >/dev/null || fail "openssl is missing: apt-get install openssl"
    rm -rf "$pki" && mkdir -p "$pki" && chmod 700 "$pki"
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$1.key" 2>/dev/null; }
    sign() { # sign <name> <subject> <extensions>
        key "$1"
        openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
        openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
            -days 3650 -out "$pki/$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
        rm "$pki/$1.csr"
    }
    key ca
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=persistent-agents-local-cluster-ca" -days 3650 \
        -out "$pki/ca.crt"
    sign apiserver "/CN=kube-apiserver" "$(printf '%s\n' \
        "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" \
        "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature,keyEncipherment")"
    sign admin "/O=system:masters/CN=local-cluster-admin" "extendedKeyUsage=clientAuth"
    sign controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
    key service-account
    openssl pkey -in "$pki/service-account.key" -pubout -out "$pki/service-account.pub"
    touch "$pki/done"
}

write_kubeconfig() { # write_kubeconfig <file> <client certificate name>
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: persistent-agents-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $dir/pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $dir/pki/$2.crt
    client-key: $dir/pki/$2.key
contexts:
- name: persistent-agents-local
  context:
    cluster: persistent-agents-local
    user: $2
current-context: persistent-agents-local
EOF
}

start() { # start <name> <command...>: detached in its own session, output to <name>.log
    local name=$1
    shift
    # 8>&-: the lock of this script must not be inherited by a process that outlives it.
    setsid "$@" </dev/null >"$dir/log/$name.log" 2>&1 8>&- &
    echo $! >"$dir/run/$name.pid"
}

wait_until() { # wait_until <what> <command...>
    local what=$1 deadline=$((SECONDS + ready_timeout_seconds))
    shift
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            fail "$what not ready after ${ready_timeout_seconds} s; logs in $dir/log/"
        fi
        for name in "${processes[@]}"; do
            if [ -f "$dir/run/$name.pid" ] && ! pid_of "$name" >/dev/null; then
                tail -n 20 "$dir/log/$name.log" >&2
                fail "$name exited while waiting for $what; its log is $dir/log/$name.log"
            fi
        done
        sleep 0.5
    done
}

apiserver_ready() { kubectl --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; }

crds_established() { # every CRD has condition Established=True (and there is at least one)
    local states
    states=$(kubectl --kubeconfig "$dir/kubeconfig" get crd -o \
        jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\n"}{end}') || return 1
    [ -n "$states" ] && ! grep -qv '=True$' <<<"$states"
}

install_crds() {
    local folder found=()
    for folder in "${upstream_dirs[@]}"; do
        [ -d "$folder" ] && found+=("$folder")
    done
    if [ ${#found[@]} -eq 0 ]; then
        fail "no upstream CRDs at ../shared/upstream beside the repository. They are the unmodified release
files named in each folder's SOURCE.txt (docs/local-stack.md lists them: kagent-dev/kagent v0.10
helm/kagent-crds/templates, kagent-dev/kmcp v0.3.0, external-secrets/external-secrets v2.9.0
config/crds/bases, ...). Put them in ../shared/upstream/<project>/ and run up again."
    fi
    # Applied again only when a file is newer than the last apply (the data outlives down/up).
    local stamp=$dir/crds.applied
    if [ ! -f "$stamp" ] || [ -n "$(find "${found[@]}" -name '*.yaml' -newer "$stamp" -print -quit)" ]; then
        # Server-side apply: some CRDs are too big for the last-applied annotation of a client-side apply.
        find "${found[@]}" -name '*.yaml' -print0 | sort -z | xargs -0 -n1 printf -- '-f\0%s\0' |
            xargs -0 kubectl --kubeconfig "$dir/kubeconfig" apply --server-side --force-conflicts >"$dir/log/crds.log"
        touch "$stamp"
    fi
    # Polled, not `kubectl wait`: a CRD the server has just stored has no conditions yet, and `kubectl wait`
    # fails at once on that ("<nil> is of the type <nil>, expected []interface{}"), seen under load.
    wait_until "the CRDs to be Established" crds_established
    say "$(kubectl --kubeconfig "$dir/kubeconfig" get crd -o name | wc -l) CRDs Established (from ${found[*]})"
}

# The StorageClass the stack names, and a pool of statically provisioned volumes for it (no provisioner runs
# here): the controller manager binds each claim to a free volume at once, as a cluster with a provisioner
# would. Claims must be Bound: the Kubernetes provider's Deployment await waits for the claims its pod
# mounts. LOCAL_CLUSTER_VOLUMES (default 120) volumes: two per agent. Nothing is ever written to them.
install_storage() {
    local count=${LOCAL_CLUSTER_VOLUMES:-120} index
    # A class's binding mode cannot change: replace the WaitForFirstConsumer one earlier versions made.
    if [ "$(kubectl --kubeconfig "$dir/kubeconfig" get storageclass standard -o jsonpath='{.volumeBindingMode}' 2>/dev/null)" = WaitForFirstConsumer ]; then
        kubectl --kubeconfig "$dir/kubeconfig" delete storageclass standard >/dev/null
    fi
    {
        cat <<'EOF'
apiVersion: v1
kind: List
items:
- apiVersion: storage.k8s.io/v1
  kind: StorageClass
  metadata:
    name: standard
    annotations:
      storageclass.kubernetes.io/is-default-class: "true"
  provisioner: kubernetes.io/no-provisioner
  volumeBindingMode: Immediate
  reclaimPolicy: Retain
EOF
        for index in $(seq -w 1 "$count"); do
            printf -- '- apiVersion: v1\n  kind: PersistentVolume\n  metadata:\n    name: local-volume-%s\n' "$index"
            printf -- '  spec:\n    storageClassName: standard\n    capacity:\n      storage: 1Ti\n'
            printf -- '    accessModes: [ReadWriteOnce, ReadWriteMany, ReadOnlyMany]\n'
            printf -- '    persistentVolumeReclaimPolicy: Retain\n    hostPath:\n      path: /nonexistent/local-volume-%s\n' "$index"
        done
    } | kubectl --kubeconfig "$dir/kubeconfig" apply --server-side -f - >"$dir/log/storage.log"
}

running_count() {
    local count=0 name
    for name in "${processes[@]}"; do
        pid_of "$name" >/dev/null && count=$((count + 1))
    done
    echo $count
}

up() {
    "$repo/scripts/toolchain/ensure.sh" kube etcd
    # shellcheck source=scripts/toolchain/env.sh
    . "$repo/scripts/toolchain/env.sh"
    mkdir -p "$dir/run" "$dir/log"
    exec 8>"$dir/run/.lock"
    flock 8
    local running
    running=$(running_count)
    if [ "$running" -eq ${#processes[@]} ] && apiserver_ready; then
        say "already running"
    else
        [ "$running" -eq 0 ] || down # half up: start clean
        make_certificates
        choose_ports
        write_kubeconfig "$dir/kubeconfig" admin
        write_kubeconfig "$dir/controller-manager.kubeconfig" controller-manager
        local started=$SECONDS
        start etcd etcd --name local --data-dir "$dir/etcd" \
            --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
            --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
            --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
            --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" \
            --logger zap --log-outputs stderr
        start kube-apiserver kube-apiserver \
            --etcd-servers "http://127.0.0.1:$ETCD_PORT" --etcd-prefix /registry \
            --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
            --cert-dir "$dir/pki" --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
            --client-ca-file "$dir/pki/ca.crt" --authorization-mode RBAC \
            --service-account-issuer https://kubernetes.default.svc.cluster.local \
            --service-account-key-file "$dir/pki/service-account.pub" \
            --service-account-signing-key-file "$dir/pki/service-account.key" \
            --service-cluster-ip-range 10.0.0.0/24 \
            --enable-admission-plugins NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,PodSecurity,DefaultStorageClass \
            --allow-privileged=true --profiling=false
        wait_until "kube-apiserver /readyz" apiserver_ready
        start kube-controller-manager kube-controller-manager \
            --kubeconfig "$dir/controller-manager.kubeconfig" \
            --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
            --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
            --secure-port 0 \
            --service-account-private-key-file "$dir/pki/service-account.key" --root-ca-file "$dir/pki/ca.crt" \
            --use-service-account-credentials --leader-elect=false --profiling=false
        # Its controllers are at work once the service-account controller has made default/default.
        wait_until "kube-controller-manager" kubectl --kubeconfig "$dir/kubeconfig" -n default get serviceaccount default
        say "control plane ready in $((SECONDS - started)) s"
    fi
    install_storage
    install_crds
    say "kubeconfig: $dir/kubeconfig   (kubectl: $(command -v kubectl))"
}

down() {
    local pids=() name pid
    for name in kube-controller-manager kube-apiserver etcd; do
        pid=$(pid_of "$name") && pids+=("$pid")
    done
    while read -r pid; do [ -n "$pid" ] && pids+=("$pid"); done < <(stray_pids)
    if [ ${#pids[@]} -gt 0 ]; then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 1 40); do
            mapfile -t pids < <(for pid in "${pids[@]}"; do [ -d "/proc/$pid" ] && echo "$pid"; done)
            [ ${#pids[@]} -eq 0 ] && break
            sleep 0.25
        done
        [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
        say "stopped"
    else
        say "not running"
    fi
    rm -f "$dir"/run/*.pid
}

status() {
    local name pid any=false
    for name in "${processes[@]}"; do
        if pid=$(pid_of "$name"); then
            say "$name running (pid $pid)"
            any=true
        else
            say "$name not running"
        fi
    done
    if [ "$any" = true ] && [ -f "$dir/ports.env" ]; then
        # shellcheck source=/dev/null  # written by up
        . "$dir/ports.env"
        say "API server https://127.0.0.1:$APISERVER_PORT; kubeconfig $dir/kubeconfig"
    fi
    [ "$(running_count)" -eq ${#processes[@]} ]
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    reset) down && rm -rf "$dir" && say "deleted $dir" ;;
    *) echo "usage: $0 up|down|status|reset   (LOCAL_CLUSTER_DIR=$dir)" >&2; exit 2 ;;
esac
