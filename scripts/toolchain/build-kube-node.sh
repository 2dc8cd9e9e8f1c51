#!/usr/bin/env bash
# Builds what the local node runs from k8s.io/kubernetes at KUBERNETES_VERSION, into "$1" (a bin folder):
# kubelet, kube-proxy and kube-scheduler, as build-kube.sh builds the control plane; and, beside the bin
# folder ("$1/../pause/pause"), the pod sandbox's pause program from the module's build/pause/linux/pause.c,
# compiled as its Makefile does (a static C program; gcc and libc6-dev, installed by ensure.sh).
set -euo pipefail
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
bash "$here/build-kube.sh" "$out" kubelet kube-proxy kube-scheduler

src=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
mkdir -p "$out/../pause"
# The Makefile's CFLAGS (build/pause/Makefile), with the Kubernetes version as the pause version.
gcc -Os -Wall -Werror -static "-DVERSION=$KUBERNETES_VERSION" -o "$out/../pause/pause" "$src/build/pause/linux/pause.c"
strip "$out/../pause/pause"
"$out/../pause/pause" -v
