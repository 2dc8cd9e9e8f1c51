"""The run meets nothing of the host's or of another run's (private-host.sh): its /tmp (the X socket
directory and lock files), /dev/shm and network are its own, and its servers listen on ephemeral ports."""

import os

from pod import X_SOCKET_DIR


def test_the_run_has_a_tmp_a_dev_shm_and_a_network_of_its_own(pod):
    # Recorded by private-host.sh before it entered the namespaces.
    outside = dict(item.split("=", 1) for item in os.environ.get("PRIVATE_HOST_OUTSIDE", "").split())
    assert outside, "not run through private-host.sh"
    for name, path in (("tmp", "/tmp"), ("shm", "/dev/shm")):
        assert str(os.stat(path).st_dev) != outside[name], f"{path} is the host's"
    assert os.readlink("/proc/self/ns/net") != outside["net"], "the network is the host's"
    # The pod's own display number and socket directory, whatever the host has there.
    assert pod.config.display == ":0"
    assert (X_SOCKET_DIR / "X0").is_socket()
    assert os.stat(X_SOCKET_DIR).st_dev == os.stat("/tmp").st_dev


def test_servers_listen_on_ephemeral_ports(pod):
    low, high = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    for port in (pod.config.vnc_port, pod.config.mcp_port, pod.config.metrics_port):
        assert low <= port <= high, f"port {port} is not from the ephemeral range {low}-{high}"
