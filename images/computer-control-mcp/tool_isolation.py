"""Run computer-control-mcp's tools one at a time, off the event loop, with no litter.

Upstream the tools are plain sync functions that FastMCP calls on its event loop,
so one slow call (OCR takes seconds to tens of seconds) freezes every other
request, `/healthz` included, and kubelet would restart a busy but healthy
container. Here each sync tool runs in a worker thread and an async lock keeps
GUI actions strictly sequential (interleaved keystrokes from two calls would be
garbage). Kagent's RemoteMCPServer timeout (30 s by default) still caps a call
from the agent's side; the thread then finishes on its own.

Screenshots: upstream writes every capture to a fresh `tempfile.mkdtemp()` in
/tmp and never deletes it. We point those directories into one private scratch
directory, turn the returned file-backed image into an in-memory one, and empty
the scratch directory after every call (safe because calls are sequential).
"""

import functools
import shutil
import tempfile
import time
from pathlib import Path
from types import ModuleType

import anyio
from mcp.server.fastmcp import FastMCP, Image


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


class ToolActivity:
    """Which tool holds the GUI right now, so /healthz can report one that never returns."""

    def __init__(self):
        self.tool: str | None = None
        self.since = 0.0

    def busy_seconds(self) -> float:
        return time.monotonic() - self.since if self.tool else 0.0


def isolate_tools(mcp: FastMCP, core: ModuleType, scratch_dir: Path) -> ToolActivity:
    scratch_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    empty_directory(scratch_dir)  # leftovers of a previous, killed run
    core.tempfile = ScratchTempfile(scratch_dir)
    gui_lock = anyio.Lock()
    activity = ToolActivity()

    for tool in mcp._tool_manager.list_tools():
        tool.fn = _sequential(tool.name, tool.fn, tool.is_async, gui_lock, scratch_dir, activity)
        tool.is_async = True
    return activity


def _sequential(name, fn, fn_is_async: bool, gui_lock: anyio.Lock, scratch_dir: Path, activity: ToolActivity):
    @functools.wraps(fn)
    async def run(**kwargs):
        async with gui_lock:
            activity.tool, activity.since = name, time.monotonic()
            try:
                if fn_is_async:
                    result = await fn(**kwargs)
                else:
                    result = await anyio.to_thread.run_sync(functools.partial(fn, **kwargs))
                return in_memory(result)
            finally:
                activity.tool = None
                empty_directory(scratch_dir)

    return run
