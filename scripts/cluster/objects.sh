# shellcheck shell=bash
# shellcheck disable=SC2154  # dir and the cluster's settings are set by the script that sources this file
# What scripts/local-cluster.sh puts into a new cluster (sourced by it): the upstream CRDs and the storage
# the stack's claims bind to.

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
# mounts. LOCAL_CLUSTER_VOLUMES (default 120) volumes: two per agent. Without a node nothing is ever
# written to them; with one each is a folder under <node>/volumes, writable by the pods' users (a
# hostPath volume gets no fsGroup), whose data stays until `reset`.
install_storage() {
    local count=${LOCAL_CLUSTER_VOLUMES:-120} index root=/nonexistent
    if [ "$with_node" = true ]; then
        root=$node_dir/volumes
        for index in $(seq -w 1 "$count"); do
            [ -d "$root/local-volume-$index" ] || install -d -m 0777 "$root/local-volume-$index"
        done
        # Volumes made by an up without a node point nowhere (a hostPath cannot be changed): replace the
        # free ones; a bound one would have kubelet write to that path on the host.
        local name path phase
        while read -r name path phase; do
            if [ -z "$name" ] || [ "${path#"$root"/}" != "$path" ]; then continue; fi
            [ "$phase" = Available ] || fail "volume $name ($path) is bound since an up without a node; scripts/local-cluster.sh reset starts over"
            kubectl --kubeconfig "$dir/kubeconfig" delete pv "$name" >/dev/null
        done < <(kubectl --kubeconfig "$dir/kubeconfig" get pv -o jsonpath='{range .items[?(@.spec.storageClassName=="standard")]}{.metadata.name} {.spec.hostPath.path} {.status.phase}{"\n"}{end}')
    fi
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
            printf -- '    persistentVolumeReclaimPolicy: Retain\n    hostPath:\n      path: %s/local-volume-%s\n' "$root" "$index"
        done
    } | kubectl --kubeconfig "$dir/kubeconfig" apply --server-side -f - >"$dir/log/storage.log"
}

