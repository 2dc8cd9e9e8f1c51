"""Client side of the RFB 3.8 handshake with VNC authentication (RFC 6143, 7.1-7.3)."""

import socket
import struct

from Crypto.Cipher import DES

SECURITY_NONE = 1
SECURITY_VNC_AUTH = 2


def vnc_auth_response(password: str, challenge: bytes) -> bytes:
    # VNC's DES key is the password (8 bytes, zero padded) with each byte's bits reversed.
    key = bytes(int(f"{byte:08b}"[::-1], 2) for byte in password.encode("latin-1")[:8].ljust(8, b"\0"))
    return DES.new(key, DES.MODE_ECB).encrypt(challenge)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"server closed the connection after {len(data)}/{size} bytes")
        data += chunk
    return data


def handshake(host: str, port: int, password: str, timeout: float = 10) -> dict:
    """Run the handshake up to ServerInit (or the failure reason) and report what happened."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        server_version = _read_exactly(sock, 12)
        sock.sendall(b"RFB 003.008\n")
        (count,) = struct.unpack("!B", _read_exactly(sock, 1))
        if count == 0:
            (length,) = struct.unpack("!I", _read_exactly(sock, 4))
            return {"server_version": server_version, "security_types": [],
                    "reason": _read_exactly(sock, length).decode(errors="replace")}
        security_types = list(_read_exactly(sock, count))
        outcome = {"server_version": server_version, "security_types": security_types}
        if SECURITY_VNC_AUTH not in security_types:
            return outcome
        sock.sendall(bytes([SECURITY_VNC_AUTH]))
        challenge = _read_exactly(sock, 16)
        sock.sendall(vnc_auth_response(password, challenge))
        (status,) = struct.unpack("!I", _read_exactly(sock, 4))
        outcome["authenticated"] = status == 0
        if status != 0:
            (length,) = struct.unpack("!I", _read_exactly(sock, 4))
            outcome["reason"] = _read_exactly(sock, length).decode(errors="replace")
            return outcome
        sock.sendall(b"\x01")  # ClientInit: shared session, like the kagent UI's viewer
        width, height = struct.unpack("!HH", _read_exactly(sock, 4))
        _read_exactly(sock, 16)  # pixel format
        (name_length,) = struct.unpack("!I", _read_exactly(sock, 4))
        outcome.update(width=width, height=height, name=_read_exactly(sock, name_length).decode(errors="replace"))
        return outcome
