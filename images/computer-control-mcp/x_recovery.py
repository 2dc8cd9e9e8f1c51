"""Survive a restart of the desktop's X server without a container restart.

The tools' libraries (pyautogui, EWMHlib, pywinctl, pymonctl, computer_control_mcp
itself) open their X connections at import and keep them in module globals, some
copied by name into other modules. When the desktop container restarts, Xvnc dies
and each of those connections is closed for good. Patching every library's globals
would break silently on the next upgrade; instead the launcher re-executes itself
once the new X server admits it, and the fresh process imports them exactly as at
start. Meanwhile the server keeps answering: tool calls get an error that says the
desktop is restarting, /healthz says unhealthy (readiness), /livez stays healthy
(nothing a container restart would fix).

The MCP listening socket survives the exec (an inherited descriptor named in
LAUNCHER_LISTEN_FD), so a request that arrives while the new process starts waits
in the kernel's accept queue instead of being refused.
"""

import logging
import os
import select
import socket
import sys
import threading
import time
from typing import Callable

import Xlib.display

log = logging.getLogger("x-recovery")

LISTEN_FD_VARIABLE = "LAUNCHER_LISTEN_FD"
RECOVERIES_VARIABLE = "LAUNCHER_X_RECOVERIES"
POLL_SECONDS = 0.2


def listening_socket(host: str, port: int) -> tuple[socket.socket, int]:
    """The MCP port's socket, inherited from the process we were exec'd from or bound now.

    Returns the socket for uvicorn and a duplicate descriptor kept for the next exec:
    uvicorn closes the socket it serves on when it shuts down.
    """
    inherited = os.environ.pop(LISTEN_FD_VARIABLE, None)
    if inherited is not None:
        sock = socket.socket(fileno=int(inherited))
        os.set_inheritable(sock.fileno(), False)
    else:
        # Made as uvicorn makes it (getaddrinfo's protocol, TCP): asyncio turns Nagle's algorithm off
        # only on connections whose socket says IPPROTO_TCP, and with it on, a small response waits
        # ~40 ms for the client's delayed ACK (socket.create_server's protocol 0 did exactly that).
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    return sock, os.dup(sock.fileno())


def reexec(kept_listen_fd: int) -> None:
    """Replace this process by a fresh launcher that takes over the listening socket."""
    os.set_inheritable(kept_listen_fd, True)
    env = dict(os.environ)
    env[LISTEN_FD_VARIABLE] = str(kept_listen_fd)
    env[RECOVERIES_VARIABLE] = str(recoveries_so_far() + 1)
    logging.shutdown()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def recoveries_so_far() -> int:
    try:
        return int(os.environ.get(RECOVERIES_VARIABLE, "0"))
    except ValueError:
        return 0


class XRecovery:
    """Notices that the X server went away, waits for a new one to admit us, then calls `restart`.

    Loss is seen at once on a connection of our own (the server closing it wakes a
    select), or reported by whoever found a dead connection (`report_lost`, e.g.
    /healthz finding the tools' connection closed while the server still runs).
    """

    def __init__(self, display: str, restart: Callable[[], None]):
        self.display = display
        self.restart = restart
        self.lost_reason: str | None = None
        self._lost = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="x-recovery", daemon=True).start()

    def report_lost(self, reason: str) -> None:
        if not self._lost.is_set():
            self.lost_reason = reason
            log.warning("X display %s lost (%s): tool calls fail until a new X server admits us, then the "
                        "sidecar re-executes itself to reconnect", self.display, reason)
            self._lost.set()

    def _run(self) -> None:
        try:
            connection = Xlib.display.Display(self.display)
        except Exception as error:  # the server died between the launcher's wait and now
            self.report_lost(f"{type(error).__name__}: {error}")
        else:
            self._watch(connection)
        self._wait_for_a_server()
        log.info("X display %s admits us again after %s: re-executing the sidecar", self.display, self.lost_reason)
        self.restart()

    def _watch(self, connection: Xlib.display.Display) -> None:
        fd = connection.fileno()
        while not self._lost.is_set():
            readable, _, _ = select.select([fd], [], [], POLL_SECONDS)
            if not readable:
                continue
            try:
                # We select no events: readable means the server closed the connection.
                while connection.pending_events():
                    connection.next_event()
            except Exception as error:  # ConnectionClosedError and friends
                self.report_lost(f"the X server closed the connection ({type(error).__name__})")
                return
        try:
            connection.close()
        except Exception:
            pass

    def _wait_for_a_server(self) -> None:
        # The new desktop admits our UID (xhost +SI:localuser) only after Xvnc is up; until
        # then the connection is refused or unauthorised, and we keep trying.
        while True:
            try:
                Xlib.display.Display(self.display).close()
                return
            except Exception:
                time.sleep(POLL_SECONDS)
