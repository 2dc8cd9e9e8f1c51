# shellcheck shell=bash
# shellcheck disable=SC2154  # dir and the cluster's settings are set by the script that sources this file
# The control plane of scripts/local-cluster.sh (sourced by it): its ports, certificates and kubeconfigs,
# and how etcd, kube-apiserver, kube-controller-manager (and, with a node, kube-scheduler) are started.

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
    printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\nAPI_ADDRESS=%s\n' "$ETCD_PORT" "$ETCD_PEER_PORT" \
        "$APISERVER_PORT" "$api_address" >"$dir/ports.env"
}

# A private CA, the API server's serving certificate (made again when its address changes), client
# certificates for the admin (system:masters), the controller manager, the scheduler and the API server's
# calls to kubelet, and the service-account signing key pair. Kept across restarts.
make_certificates() {
    local pki=$dir/pki
    command -v openssl >/dev/null || fail "openssl is missing: apt-get install openssl"
    if [ ! -f "$pki/ca.crt" ]; then
        rm -rf "$pki" && mkdir -p "$pki" && chmod 700 "$pki"
        pki_key ca
        openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=persistent-agents-local-cluster-ca" -days 3650 \
            -out "$pki/ca.crt"
    fi
    local names="IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    [ "$api_address" = 127.0.0.1 ] || names="IP:$api_address,$names"
    pki_serving apiserver "/CN=kube-apiserver" "$names"
    pki_client admin "/O=system:masters/CN=local-cluster-admin"
    pki_client controller-manager "/CN=system:kube-controller-manager"
    pki_client kube-scheduler "/CN=system:kube-scheduler"
    pki_client apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client"
    if [ ! -f "$pki/service-account.pub" ]; then
        pki_key service-account
        openssl pkey -in "$pki/service-account.key" -pubout -out "$pki/service-account.pub"
    fi
}

write_kubeconfig() { # write_kubeconfig <file> <client certificate name>
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: persistent-agents-local
  cluster:
    server: https://$api_address:$APISERVER_PORT
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

start_control_plane() {
    start etcd etcd --name local --data-dir "$dir/etcd" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" \
        --logger zap --log-outputs stderr
    # The Node authorizer and NodeRestriction hold kubelet to its own node; the API server calls kubelet
    # with a client certificate and checks kubelet's serving certificate against the CA.
    start kube-apiserver kube-apiserver \
        --etcd-servers "http://127.0.0.1:$ETCD_PORT" --etcd-prefix /registry \
        --bind-address "$api_address" --advertise-address "$api_address" --secure-port "$APISERVER_PORT" \
        --cert-dir "$dir/pki" --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
        --client-ca-file "$dir/pki/ca.crt" --authorization-mode Node,RBAC \
        --kubelet-client-certificate "$dir/pki/apiserver-kubelet-client.crt" \
        --kubelet-client-key "$dir/pki/apiserver-kubelet-client.key" \
        --kubelet-certificate-authority "$dir/pki/ca.crt" --kubelet-preferred-address-types InternalIP,Hostname \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$dir/pki/service-account.pub" \
        --service-account-signing-key-file "$dir/pki/service-account.key" \
        --service-cluster-ip-range "$service_cidr" \
        --enable-admission-plugins NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,PodSecurity,DefaultStorageClass,NodeRestriction \
        --allow-privileged=true --profiling=false
    wait_until "kube-apiserver /readyz" apiserver_ready
    local node_flags=()
    # The node's pod range comes from the controller manager, as on any cluster (scripts/node writes the
    # CNI configuration from the Node's spec.podCIDR).
    [ "$with_node" = false ] || node_flags=(--allocate-node-cidrs --cluster-cidr "$cluster_cidr" --node-cidr-mask-size 24)
    start kube-controller-manager kube-controller-manager \
        --kubeconfig "$dir/controller-manager.kubeconfig" \
        --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
        --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
        --secure-port 0 "${node_flags[@]}" \
        --service-account-private-key-file "$dir/pki/service-account.key" --root-ca-file "$dir/pki/ca.crt" \
        --use-service-account-credentials --leader-elect=false --profiling=false
    # Its controllers are at work once the service-account controller has made default/default.
    wait_until "kube-controller-manager" kubectl --kubeconfig "$dir/kubeconfig" -n default get serviceaccount default
    if [ "$with_node" = true ]; then
        start kube-scheduler "$(component_folder kube-node)/bin/kube-scheduler" \
            --kubeconfig "$dir/kube-scheduler.kubeconfig" \
            --authentication-kubeconfig "$dir/kube-scheduler.kubeconfig" \
            --authorization-kubeconfig "$dir/kube-scheduler.kubeconfig" \
            --secure-port 0 --leader-elect=false --profiling=false
    fi
}

