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
