#!/usr/bin/env bash
# bindable-volumes.sh <count>: makes PersistentVolumeClaims bind on the local control plane ($KUBECONFIG).
# scripts/local-cluster.sh's "standard" class binds a claim only once a pod using it is scheduled
# (WaitForFirstConsumer), and no scheduler runs there; the Kubernetes provider's Deployment await waits for
# the Deployment's claims to be Bound, even at 0 replicas, and fails `up` after 10 minutes. So: the same
# class with Immediate binding, and <count> spare PersistentVolumes for the controller manager to bind.
set -euo pipefail
count=${1:?usage: bindable-volumes.sh <count>}
kubectl delete storageclass standard --ignore-not-found >/dev/null
{
    cat <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
YAML
    for i in $(seq 1 "$count"); do
        printf -- '---\napiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: real-tier-%s\nspec:\n  storageClassName: standard\n  capacity:\n    storage: 1Ti\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  hostPath:\n    path: /nonexistent/real-tier-%s\n' "$i" "$i"
    done
} | kubectl apply --server-side -f - >/dev/null
echo "real tier: storage class standard binds at once; $count spare PersistentVolumes"
