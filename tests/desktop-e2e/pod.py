"""Run the desktop pod's two containers as real processes on this machine.

As in the pod: both run as UID 1000 with their own environment, they share only
the X socket directory /tmp/.X11-unix, the sidecar reaches X through the
desktop's `xhost +SI:localuser`, and secrets are files (docs/pod-contract.md).
run.sh runs the tests with a /tmp and a network of their own (private-host.sh),
so that directory, display :0 and the ports (all ephemeral) are the run's alone.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Overridable to measure or test another revision (bench/desktop before/after, a test seen failing).
START_DESKTOP = Path(os.environ.get("DESKTOP_E2E_START_DESKTOP", REPO / "images/desktop/start-desktop.sh"))
LAUNCHER = Path(os.environ.get("DESKTOP_E2E_LAUNCHER", REPO / "images/computer-control-mcp/launcher.py"))
TOOLS_JSON = REPO / "images/computer-control-mcp/tools.json"
AGENT_UID = 1000
X_SOCKET_DIR = Path("/tmp/.X11-unix")
# The agent the pod belongs to, as the plan's AGENT_NAME names it.
AGENT_NAME = "devbot"
VENV_PYTHON = Path(os.environ.get("DESKTOP_E2E_VENV", Path(sys.executable).parents[1])) / "bin/python"
RUN_MARKER_VARIABLE = "DESKTOP_E2E_RUN"


def wait_until(condition, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll `condition` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)


def display_in_use(number: int) -> bool:
    """Like the X server itself: a display is taken while its lock names a live PID."""
    try:
        pid = int(Path(f"/tmp/.X{number}-lock").read_text().strip())
    except (OSError, ValueError):
        pid = None
    if pid is not None:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    # X listens on an abstract socket too, which belongs to the network namespace, not to /tmp: a run on the
    # host's network (the agent-loop tier) sees another run's server there though its /tmp is its own.
    with socket.socket(socket.AF_UNIX) as probe:
        if probe.connect_ex(f"\0/tmp/.X11-unix/X{number}") == 0:
            return True
    socket_path = X_SOCKET_DIR / f"X{number}"
    if not socket_path.exists():
        return False
    with socket.socket(socket.AF_UNIX) as probe:
        return probe.connect_ex(str(socket_path)) == 0


def pick_display() -> str:
    # :0 as in the pod: the run has a /tmp of its own (private-host.sh). A second server of a test takes the next.
    number = next(n for n in range(0, 100) if not display_in_use(n))
    return f":{number}"


def pick_port() -> int:
    """A port the kernel picks (ephemeral range) for a server the test starts: none is fixed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tcp_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def http_status(url: str, headers: dict | None = None, method: str = "GET", timeout: float = 5) -> int:
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=b"{}" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return 0


@dataclass
class Config:
    resolution: str = "1280x800"
    display: str = field(default_factory=pick_display)
    vnc_port: int = field(default_factory=pick_port)
    mcp_port: int = field(default_factory=pick_port)
    metrics_port: int = field(default_factory=pick_port)
    vnc_password: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    mcp_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    run_marker: str = field(default_factory=lambda: uuid.uuid4().hex)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="desktop-e2e-")))

    def __post_init__(self):
        self.user = pwd.getpwuid(AGENT_UID).pw_name
        self.home = self.workdir / "home"
        # The sidecar's own $HOME: in the pod it cannot see the desktop's cookie.
        self.sidecar_home = self.workdir / "sidecar-home"
        # The processes' temporary files (Xfce's .xfsm-ICE-*, PulseAudio's pulse-*): a container's /tmp is
        # its own, and a test run must not leave them in this machine's /tmp.
        self.tmp = self.workdir / "tmp"
        # The sidecar's screenshot scratch folder (the image's default is /tmp/computer-control-mcp, its own
        # /tmp in the pod): in the workdir, so that a run outside a private /tmp (the agent loop's) leaves none.
        self.scratch_dir = self.workdir / "computer-control-mcp"
        # The audit trail, where the pod puts it: on the config volume the desktop's home shares.
        self.audit_dir = self.home / ".config/persistent-agents/audit"
        self.vnc_secret_dir = self.workdir / "secrets/vnc"
        self.vnc_password_file = self.vnc_secret_dir / "vnc-password"
        self.mcp_token_file = self.workdir / "secrets/mcp/mcp-token"
        for directory in (self.workdir, self.home, self.sidecar_home, self.tmp, self.workdir / "secrets/vnc",
                          self.workdir / "secrets/mcp"):
            directory.mkdir(parents=True, exist_ok=True)
        self.rotate_vnc_password(self.vnc_password)
        self.write_token(self.mcp_token)
        if os.geteuid() == 0:
            for path in [self.workdir, *self.workdir.rglob("*")]:
                os.chown(path, AGENT_UID, AGENT_UID)
        self.workdir.chmod(0o755)

    @property
    def size(self) -> tuple[int, int]:
        width, height = self.resolution.split("x")
        return int(width), int(height)

    @property
    def mcp_url(self) -> str:
        return f"http://127.0.0.1:{self.mcp_port}/mcp"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    @property
    def healthz_url(self) -> str:
        return f"http://127.0.0.1:{self.mcp_port}/healthz"

    @property
    def xauthority(self) -> Path:
        return self.home / ".Xauthority"

    def rotate_vnc_password(self, password: str) -> None:
        """Update the mounted Secret the way the kubelet's AtomicWriter does.

        The volume holds a timestamped folder with the data, `..data` -> that folder,
        and `vnc-password` -> `..data/vnc-password`; an update writes a new folder and
        renames a new `..data` symlink over the old one, so readers see either the
        old or the new value, under an unchanged path.
        """
        generation = self.vnc_secret_dir / f"..{time.strftime('%Y_%m_%d_%H_%M_%S')}.{uuid.uuid4().hex[:8]}"
        generation.mkdir(parents=True)
        (generation / "vnc-password").write_text(password)
        staged = self.vnc_secret_dir / "..data_tmp"
        staged.symlink_to(generation.name)
        data = self.vnc_secret_dir / "..data"
        previous = data.resolve() if data.is_symlink() else None
        staged.rename(data)
        if not self.vnc_password_file.is_symlink():
            self.vnc_password_file.symlink_to("..data/vnc-password")
        if os.geteuid() == 0:
            for path in (generation, generation / "vnc-password"):
                os.chown(path, AGENT_UID, AGENT_UID)
        if previous is not None:
            shutil.rmtree(previous)
        self.vnc_password = password

    def write_token(self, token: str) -> None:
        # Written in place, like the kubelet updating a mounted Secret.
        self.mcp_token_file.write_text(token)
        if os.geteuid() == 0:
            os.chown(self.mcp_token_file, AGENT_UID, AGENT_UID)

    def base_env(self) -> dict[str, str]:
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "USER": self.user,
            "LOGNAME": self.user,
            "LANG": "C.UTF-8",
            "DISPLAY": self.display,
            "PYTHONDONTWRITEBYTECODE": "1",
            RUN_MARKER_VARIABLE: self.run_marker,
        }


class AgentProcess:
    """One container's main process, run as UID 1000 in its own process group."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        prefix: list[str] = []
        if os.geteuid() == 0:
            prefix = ["setpriv", f"--reuid={AGENT_UID}", f"--regid={AGENT_UID}", "--init-groups"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                prefix + self.argv, env=self.env, cwd=self.env["HOME"], stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_exit(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self, timeout: float = 20) -> int | None:
        if self.process is None:
            return None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Pod:
    def __init__(self, config: Config):
        self.config = config
        self.desktop: AgentProcess | None = None
        self.sidecar: AgentProcess | None = None

    # --- desktop container -------------------------------------------------
    def launch_desktop(self) -> None:
        c = self.config
        env = c.base_env() | {
            "RESOLUTION": c.resolution,
            "VNC_PORT": str(c.vnc_port),
            "VNC_PASSWORD_FILE": str(c.vnc_password_file),
        }
        self.desktop = AgentProcess("desktop", [str(START_DESKTOP)], env, c.workdir / "desktop.log")
        self.desktop.start()

    def start_desktop(self, timeout: float = 60) -> None:
        self.launch_desktop()
        try:
            wait_until(lambda: self.x_accepts_cookie() and tcp_accepts(self.config.vnc_port) or not self.desktop.alive(),
                       timeout, what="Xvnc ready")
        finally:
            if not self.desktop.alive():
                raise RuntimeError(f"start-desktop.sh exited early:\n{self.desktop.log_tail()}")

    def x_client(self, xauthority: str | None, user_is_agent: bool) -> subprocess.CompletedProcess:
        """Open an X connection from a separate process; returns its outcome."""
        env = {"PATH": "/usr/bin:/bin", "DISPLAY": self.config.display, "HOME": "/nonexistent",
               "XAUTHORITY": xauthority or "/nonexistent"}
        prefix = []
        if user_is_agent and os.geteuid() == 0:
            prefix = ["setpriv", f"--reuid={AGENT_UID}", f"--regid={AGENT_UID}", "--init-groups"]
        return subprocess.run(prefix + ["xset", "q"], env=env, capture_output=True, text=True, timeout=10)

    def x_accepts_cookie(self) -> bool:
        return self.config.xauthority.exists() and self.x_client(str(self.config.xauthority), False).returncode == 0

    def pointer_position(self) -> tuple[int, int]:
        """Where the X server says the pointer is, asked over our own connection."""
        import Xlib.display

        os.environ["XAUTHORITY"] = str(self.config.xauthority)
        display = Xlib.display.Display(self.config.display)
        try:
            pointer = display.screen().root.query_pointer()
            return pointer.root_x, pointer.root_y
        finally:
            display.close()

    def xvnc_pid(self) -> int:
        return self.child_pid_named("Xvnc")

    def child_pid_named(self, command: str) -> int:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            if name == command[:15] and int(fields[2]) == self.desktop.pid:  # fields[2] = pgid
                return int(proc.name)
        raise LookupError(f"no {command} in the desktop's process group")

    # --- computer-control container ---------------------------------------
    def sidecar_env(self) -> dict[str, str]:
        c = self.config
        return c.base_env() | {
            "HOME": str(c.sidecar_home),
            "HOST": "0.0.0.0",
            "PORT": str(c.mcp_port),
            "METRICS_PORT": str(c.metrics_port),
            "MCP_AUTH_TOKEN_FILE": str(c.mcp_token_file),
            "SCREENSHOT_SCRATCH_DIR": str(c.scratch_dir),
            "AUDIT_DIR": str(c.audit_dir),
            "AGENT_NAME": AGENT_NAME,
        }

    def launch_sidecar(self) -> None:
        self.sidecar = AgentProcess("computer-control", [str(VENV_PYTHON), str(LAUNCHER)], self.sidecar_env(),
                                    self.config.workdir / "computer-control.log")
        self.sidecar.start()

    def start_sidecar(self, timeout: float = 120) -> None:
        self.launch_sidecar()
        try:
            wait_until(lambda: http_status(self.config.healthz_url) == 200 or not self.sidecar.alive(), timeout,
                       interval=0.2, what="sidecar /healthz 200")
        finally:
            if not self.sidecar.alive():
                raise RuntimeError(f"launcher.py exited early:\n{self.sidecar.log_tail()}")

    # --- whole pod ----------------------------------------------------------
    def stop(self) -> None:
        for part in (self.sidecar, self.desktop):
            if part is not None:
                part.stop()
        self.kill_leftovers()

    def marked_pids(self) -> list[int]:
        """Processes started on behalf of this run (they inherit the run marker)."""
        marker = f"{RUN_MARKER_VARIABLE}={self.config.run_marker}".encode()
        pids = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit() and int(proc.name) != os.getpid():
                try:
                    if marker in (proc / "environ").read_bytes().split(b"\0"):
                        pids.append(int(proc.name))
                except OSError:
                    continue
        return pids

    def kill_leftovers(self) -> None:
        # After a SIGKILL of the desktop (no clean stop) whatever it started lives
        # on here; in a container it would die with the container.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.marked_pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            try:
                wait_until(lambda: not self.marked_pids(), 10, what="session processes gone")
                return
            except TimeoutError:
                continue

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.config.workdir, ignore_errors=True)
