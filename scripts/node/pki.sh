# shellcheck shell=bash
# shellcheck disable=SC2154  # dir and the cluster's settings are set by the script that sources this file
# Certificates of the local cluster, signed by its private CA (sourced by scripts/local-cluster.sh and
# scripts/node/node.sh with $dir set; openssl, EC P-256, ten years).

pki_key() { # pki_key <name>
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/pki/$1.key" 2>/dev/null
}

pki_sign() { # pki_sign <name> <subject> <extensions, one per line>: a new key and a certificate for it
    local pki=$dir/pki
    pki_key "$1"
    openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 3650 -out "$pki/$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
    rm "$pki/$1.csr"
}

# pki_serving <name> <subject> <subjectAltName>: a serving certificate, made again when the names it must
# carry change (the node's addresses are picked at each up).
pki_serving() {
    local pki=$dir/pki
    if [ -f "$pki/$1.crt" ] && [ "$(cat "$pki/$1.san" 2>/dev/null)" = "$3" ]; then
        return 0
    fi
    pki_sign "$1" "$2" "$(printf '%s\n' "subjectAltName=$3" "extendedKeyUsage=serverAuth" \
        "keyUsage=critical,digitalSignature,keyEncipherment")"
    printf '%s' "$3" >"$pki/$1.san"
}

pki_client() { # pki_client <name> <subject>: a client certificate, made once
    [ -f "$dir/pki/$1.crt" ] || pki_sign "$1" "$2" "extendedKeyUsage=clientAuth"
}

# The identities of the node's daemons (the RBAC each needs: scripts/node/manifests/node-rbac.yaml).
node_certificates() { # node_certificates <node name> <node address>
    pki_client kubelet "/O=system:nodes/CN=system:node:$1"
    pki_client kube-proxy "/CN=system:kube-proxy"
    pki_client kube-router "/CN=persistent-agents:kube-router"
    pki_client kube-scheduler "/CN=system:kube-scheduler"
    pki_serving kubelet-serving "/CN=system:node:$1" "IP:$2,DNS:$1"
}
