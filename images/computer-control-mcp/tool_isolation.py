"""Run computer-control-mcp's tools one at a time on one GUI thread, with no litter.

Upstream the tools are plain sync functions that FastMCP calls on its event loop,
so one slow call (OCR takes seconds) freezes every other request, `/healthz`
included, and kubelet would restart a busy but healthy container. Here every
sync tool runs on a single dedicated worker thread: GUI actions stay strictly
sequential (interleaved keystrokes from two calls would be garbage) and the
screenshot tools keep one X connection on that thread (screen_capture.py).
Kagent's RemoteMCPServer timeout still caps a call from the agent's side; the
thread then finishes on its own.

Stuck tools: each call gets a budget, what the call itself asked for (the wait of
`wait_milliseconds`, the `duration` of `drag_mouse`) plus STUCK_TOOL_SECONDS.
Only a call past its own budget makes `/healthz` fail, so a legitimate long
wait never gets the container restarted mid-call.

Screenshots: upstream writes captures to a fresh `tempfile.mkdtemp()` in /tmp and
never deletes them (still the case on its window-capture path). We point those
directories into one private scratch directory, turn a returned file-backed
image into an in-memory one, and empty the scratch directory after every call.
"""

import asyncio
import functools
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Callable

import anyio
from mcp.server.fastmcp import FastMCP, Image
from mcp.server.fastmcp.exceptions import ToolError


class ScratchTempfile:
    """Stand-in for the `tempfile` module inside computer_control_mcp.core."""

    def __init__(self, scratch_dir: Path):
        self.scratch_dir = scratch_dir

    def mkdtemp(self, suffix=None, prefix=None, dir=None):
        return tempfile.mkdtemp(suffix=suffix, prefix=prefix, dir=self.scratch_dir)

    def __getattr__(self, name):
        return getattr(tempfile, name)


def empty_directory(path: Path) -> None:
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def in_memory(result):
    # The file is about to be deleted; FastMCP reads a path-backed Image only later.
    if isinstance(result, Image) and result.path is not None:
        return Image(data=result.path.read_bytes(), format=result.path.suffix.lstrip(".") or "png")
    return result


def own_duration_seconds(tool: str, arguments: dict) -> float:
    """How long a call legitimately takes by its own arguments (0 for most tools)."""
    try:
        if tool == "wait_milliseconds":
            return max(0.0, float(arguments.get("milliseconds", 0)) / 1000)
        if tool == "drag_mouse":
            return max(0.0, float(arguments.get("duration", 0.5)))
    except (TypeError, ValueError):
        pass
    return 0.0


class ToolActivity:
    """Whether the call holding the GUI has run past its own budget."""

    def __init__(self, grace_seconds: float):
        self.grace_seconds = grace_seconds
        self.deadline: float | None = None

    def start(self, tool: str, arguments: dict) -> None:
        self.deadline = time.monotonic() + own_duration_seconds(tool, arguments) + self.grace_seconds

    def finish(self) -> None:
        self.deadline = None

    def stuck(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline


class GuiWorker:
    """The one thread every GUI tool runs on."""

    def __init__(self):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gui")

    async def run(self, fn, /, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(fn, **kwargs))


def isolate_tools(mcp: FastMCP, core: ModuleType, scratch_dir: Path, grace_seconds: float,
                  unavailable: Callable[[], str | None] = lambda: None) -> ToolActivity:
    """`unavailable()` says why the GUI cannot be used now (e.g. the X server is restarting), or None."""
    scratch_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    empty_directory(scratch_dir)  # leftovers of a previous, killed run
    core.tempfile = ScratchTempfile(scratch_dir)
    gui_lock = anyio.Lock()
    worker = GuiWorker()
    activity = ToolActivity(grace_seconds)

    for tool in mcp._tool_manager.list_tools():
        tool.fn = _sequential(tool.name, tool.fn, tool.is_async, gui_lock, worker, scratch_dir, activity, unavailable)
        tool.is_async = True
    return activity


def _sequential(name, fn, fn_is_async: bool, gui_lock: anyio.Lock, worker: GuiWorker, scratch_dir: Path,
                activity: ToolActivity, unavailable: Callable[[], str | None]):
    @functools.wraps(fn)
    async def run(**kwargs):
        # The lock also orders upstream's async tool (drag_mouse) with the thread's work.
        async with gui_lock:
            # Said plainly instead of a dead connection's "Display connection closed by server".
            if reason := unavailable():
                raise ToolError(f"{name} cannot run: {reason}")
            activity.start(name, kwargs)
            try:
                if fn_is_async:
                    result = await fn(**kwargs)
                else:
                    result = await worker.run(fn, **kwargs)
                return in_memory(result)
            finally:
                activity.finish()
                empty_directory(scratch_dir)

    return run
