#!/usr/bin/env python3
"""Runs a command as root of a user namespace of its own, with its own mount and PID namespaces, /proc and
/run, as the kubelet runs a pod with `hostUsers: false`: IDs 0-65535 inside are HOST_ID..HOST_ID+65535 on
the host, so the command is root inside and an unprivileged user outside.

    userns-run.py HOST_ID -- command [args...]

util-linux's `unshare --map-users` goes through newuidmap, which allows only the ranges /etc/subuid grants
(a shared host file); as root of the host this writes the maps itself before anything is executed (an
execve by a user the namespace does not map drops the namespace's capabilities). SIGTERM and SIGINT reach
the command; if this wrapper dies, the command is killed. Needs root.
"""

import ctypes
import os
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
COUNT = 65536

libc = ctypes.CDLL("libc.so.6", use_errno=True)


def check(result: int, what: str) -> None:
    if result != 0:
        print(f"userns-run: {what}: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        os._exit(1)


def forward_signals_to(pid: int) -> None:
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda received, _frame: os.kill(pid, received))


def wait_for(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        except InterruptedError:
            continue


def in_namespaces(ready_w: int, mapped_r: int, command: list[str]) -> None:
    """The child: new user and mount namespaces, mapped by the parent; then a PID namespace whose first
    process mounts its own /proc and /run and executes the command."""
    check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL), "prctl")
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare user+mount")
    os.write(ready_w, b"1")
    if os.read(mapped_r, 1) != b"1":
        os._exit(1)
    os.setresgid(0, 0, 0)
    os.setgroups([])
    os.setresuid(0, 0, 0)
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    check(libc.unshare(CLONE_NEWPID), "unshare pid")
    first = os.fork()
    if first == 0:
        check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL), "prctl")
        check(libc.mount(b"proc", b"/proc", b"proc", 0, None), "mount /proc")
        # The daemon's sockets and locks live under /run, as in a container.
        check(libc.mount(b"tmpfs", b"/run", b"tmpfs", 0, b"mode=755"), "mount /run")
        os.execvp(command[0], command)
    forward_signals_to(first)
    os._exit(wait_for(first))


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    host_id = int(sys.argv[1])
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(ready_r)
        os.close(mapped_w)
        in_namespaces(ready_w, mapped_r, sys.argv[3:])
    os.close(ready_w)
    os.close(mapped_r)
    forward_signals_to(child)
    if os.read(ready_r, 1) != b"1":
        return wait_for(child) or 1
    for kind in ("uid_map", "gid_map"):
        with open(f"/proc/{child}/{kind}", "w") as handle:
            handle.write(f"0 {host_id} {COUNT}\n")
    os.write(mapped_w, b"1")
    return wait_for(child)


if __name__ == "__main__":
    sys.exit(main())
