import uuid

from pod import wait_until
from rfb import SECURITY_VNC_AUTH, handshake


def test_vnc_demands_vnc_authentication_and_accepts_the_password(pod):
    outcome = handshake("127.0.0.1", pod.config.vnc_port, pod.config.vnc_password)
    assert outcome["server_version"] == b"RFB 003.008\n"
    assert outcome["security_types"] == [SECURITY_VNC_AUTH], "VNC must not offer unauthenticated access"
    assert outcome["authenticated"] is True
    assert (outcome["width"], outcome["height"]) == pod.config.size


def test_vnc_rejects_a_wrong_password(pod):
    outcome = handshake("127.0.0.1", pod.config.vnc_port, "wrong-pw")
    assert outcome["authenticated"] is False


def wait_for_rotation_noticed(pod, rotations_before: int) -> None:
    # Waiting on the log, not on handshakes: failed VNC logins count towards Xvnc's
    # blacklist. Without the log line (a start script that never notices) the
    # handshakes after the timeout decide.
    try:
        wait_until(lambda: pod.desktop.log_tail(400).count("VNC password rotated") > rotations_before, 10, 0.2,
                   "start-desktop.sh noticing the rotation")
    except TimeoutError:
        pass


def test_a_rotated_vnc_password_is_used_without_a_restart(pod):
    """The kubelet swaps the Secret's `..data` symlink; Xvnc must take the new password, not the old."""
    old, new = pod.config.vnc_password, uuid.uuid4().hex[:8]
    xvnc_before = pod.xvnc_pid()
    try:
        pod.config.rotate_vnc_password(new)
        wait_for_rotation_noticed(pod, pod.desktop.log_tail(400).count("VNC password rotated"))
        assert handshake("127.0.0.1", pod.config.vnc_port, new)["authenticated"] is True
        assert handshake("127.0.0.1", pod.config.vnc_port, old)["authenticated"] is False
        assert pod.xvnc_pid() == xvnc_before, "Xvnc was restarted"
    finally:
        rotations = pod.desktop.log_tail(400).count("VNC password rotated")
        pod.config.rotate_vnc_password(old)
        wait_for_rotation_noticed(pod, rotations)
    assert handshake("127.0.0.1", pod.config.vnc_port, old)["authenticated"] is True


def test_an_empty_rotated_vnc_password_keeps_the_previous_one(pod):
    old = pod.config.vnc_password
    errors = pod.desktop.log_tail(400).count("keeping the previous VNC password")
    try:
        pod.config.rotate_vnc_password("")
        wait_until(lambda: pod.desktop.log_tail(400).count("keeping the previous VNC password") > errors, 10, 0.2,
                   "start-desktop.sh refusing the empty password")
        assert handshake("127.0.0.1", pod.config.vnc_port, old)["authenticated"] is True
    finally:
        rotations = pod.desktop.log_tail(400).count("VNC password rotated")
        pod.config.rotate_vnc_password(old)
        wait_for_rotation_noticed(pod, rotations)
