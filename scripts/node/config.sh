# shellcheck shell=bash
# shellcheck disable=SC2154  # dir, node_dir, ... are set by lib.sh and node.sh, which source this file
# Writes the node's configuration files into $node_dir (sourced by node.sh after lib.sh, with the node's
# network loaded and APISERVER_URL set). Why each setting: docs/local-stack.md, "The node".

write_node_kubeconfig() { # write_node_kubeconfig <file> <certificate name>
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "$APISERVER_URL", certificate-authority: "$dir/pki/ca.crt"}
users:
- name: $2
  user: {client-certificate: "$dir/pki/$2.crt", client-key: "$dir/pki/$2.key"}
contexts:
- name: local
  context: {cluster: local, user: $2}
current-context: local
EOF
}

write_node_config() {
    write_node_kubeconfig "$node_dir/kubelet.kubeconfig" kubelet
    write_node_kubeconfig "$node_dir/kube-proxy.kubeconfig" kube-proxy
    write_node_kubeconfig "$node_dir/kube-router.kubeconfig" kube-router

    # containerd: private root and state, the sandbox's restricted oom_score_adj (no CAP_SYS_RESOURCE
    # here), pod network namespaces under the (private) state folder, the registry by hosts.toml.
    cat >"$node_dir/containerd.toml" <<EOF
version = 2
root = "$node_dir/containerd"
state = "$node_dir/state/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$registry_host/node/pause:$KUBERNETES_VERSION"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  enable_unprivileged_ports = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    # The registry keeps the layers: no second copy of each in containerd's content store once unpacked.
    discard_unpacked_layers = true
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$node_dir/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$node_dir/registry-hosts"
EOF
    mkdir -p "$node_dir/registry-hosts/$registry_host"
    cat >"$node_dir/registry-hosts/$registry_host/hosts.toml" <<EOF
server = "http://$registry_host"
[host."http://$registry_host"]
  capabilities = ["pull", "resolve"]
EOF

    cat >"$node_dir/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog: {disabled: true}
storage:
  filesystem: {rootdirectory: "$node_dir/registry"}
  delete: {enabled: false}
http:
  addr: ":$registry_port"
EOF

    # No upstream resolver: the node has no route beyond this machine.
    printf '# the local node: no upstream DNS (CoreDNS answers %s)\n' "$cluster_domain" >"$node_dir/resolv.conf"

    cat >"$node_dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: "$NODE_IP"
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$dir/pki/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$dir/pki/kubelet-serving.crt"
tlsPrivateKeyFile: "$dir/pki/kubelet-serving.key"
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: "$node_cgroup"
failCgroupV1: false
failSwapOn: false
clusterDNS: ["$cluster_dns"]
clusterDomain: "$cluster_domain"
resolvConf: "$node_dir/resolv.conf"
podLogsDir: "$node_dir/pod-logs"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# The disk is the machine's, shared with other work: evict only when it is really full (1% of a large
# shared disk was hit by other work filling it, and every pod was evicted).
evictionHard: {memory.available: 100Mi, nodefs.available: 256Mi, imagefs.available: 256Mi, nodefs.inodesFree: 1%}
serializeImagePulls: false
maxParallelImagePulls: 4
runtimeRequestTimeout: 15m
syncFrequency: 30s
EOF

    cat >"$node_dir/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$node_dir/kube-proxy.kubeconfig"}
hostnameOverride: "$node_name"
mode: iptables
clusterCIDR: "$cluster_cidr"
bindAddress: "$NODE_IP"
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$NODE_IP/32"]
iptables: {localhostNodePorts: false}
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

# The pods' network, once the controller manager has given the node its range (spec.podCIDR).
write_cni_config() { # write_cni_config <pod range of this node>
    cat >"$node_dir/cni/10-local-node.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "local-node",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$1"}]], "routes": [{"dst": "0.0.0.0/0"}],
               "dataDir": "$node_dir/state/cni-leases"}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}
