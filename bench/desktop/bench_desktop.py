"""Benchmarks of the desktop pod, run on this machine with the e2e test's harness.

  * cold start: both containers launched at once (as kubelet does) until the
    first MCP screenshot that shows the Xfce desktop;
  * screenshot round trip through MCP (p50/p95), against the floor of grabbing
    the same screen directly (X11 GetImage, xwd) and the tool's own work (mss grab
    + PNG encode), all in the same run;
  * idle RSS/PSS and CPU of the desktop (Xvnc + Xfce) and of the sidecar, plus
    the sidecar's peak RSS after a full-screen OCR.

Prints a JSON document; bench/desktop/run.sh stores it under bench/results/.
"""

import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests/desktop-e2e"))

from mcp import ClientSession  # noqa: E402
from mcp.client.streamable_http import streamablehttp_client  # noqa: E402
from mcp_calls import McpClient  # noqa: E402
from pod import Config, Pod, http_status, tcp_accepts, wait_until  # noqa: E402
from screen import decode, looks_like_xfce_desktop  # noqa: E402

ROUND_TRIPS = int(os.environ.get("BENCH_ROUND_TRIPS", "40"))
COLD_STARTS = int(os.environ.get("BENCH_COLD_STARTS", "3"))
IDLE_SETTLE_SECONDS = float(os.environ.get("BENCH_IDLE_SETTLE_SECONDS", "20"))
CPU_WINDOW_SECONDS = float(os.environ.get("BENCH_CPU_WINDOW_SECONDS", "10"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BROWSER = shutil.which("firefox-esr")  # measured only where installed (it is in the image)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary_ms(samples: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(samples, 0.50) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "mean_ms": round(statistics.fmean(samples) * 1000, 1),
        "n": len(samples),
    }


def timed(action, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


# --- cold start -------------------------------------------------------------
def cold_start() -> dict:
    pod = Pod(Config())
    client = McpClient(pod.config.mcp_url, pod.config.mcp_token)
    try:
        started = time.monotonic()
        # Both containers start together; the launcher waits for X on its own.
        pod.launch_desktop()
        pod.launch_sidecar()
        wait_until(lambda: pod.x_accepts_cookie() and tcp_accepts(pod.config.vnc_port), 60, 0.05, "Xvnc")
        x_ready = time.monotonic() - started
        wait_until(lambda: http_status(pod.config.healthz_url) == 200, 120, 0.05, "healthz")
        healthz_ready = time.monotonic() - started

        def desktop_shown():
            try:
                return looks_like_xfce_desktop(decode(client.screenshot_png()))
            except Exception:
                return False

        wait_until(desktop_shown, 120, 0.05, "first Xfce screenshot")
        first_screenshot = time.monotonic() - started
        return {"x_ready_s": round(x_ready, 2), "healthz_ready_s": round(healthz_ready, 2),
                "first_desktop_screenshot_s": round(first_screenshot, 2)}
    finally:
        pod.cleanup()


# --- screenshot round trip ---------------------------------------------------
def mcp_round_trips(pod: Pod) -> dict:
    client = McpClient(pod.config.mcp_url, pod.config.mcp_token)
    client.screenshot_png()  # warm-up
    per_call_session = timed(client.screenshot_png, ROUND_TRIPS)

    async def in_one_session():
        headers = {"Authorization": f"Bearer {pod.config.mcp_token}"}
        async with streamablehttp_client(pod.config.mcp_url, headers=headers) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                samples = []
                for _ in range(ROUND_TRIPS):
                    started = time.perf_counter()
                    await session.call_tool("take_screenshot", {})
                    samples.append(time.perf_counter() - started)
                return samples

    png_bytes = len(client.screenshot_png())
    return {"mcp_new_session_per_call": summary_ms(per_call_session),
            "mcp_call_in_open_session": summary_ms(anyio.run(in_one_session)),
            "png_bytes": png_bytes}


def direct_floors(pod: Pod) -> dict:
    import mss
    import Xlib.X
    import Xlib.display
    from PIL import Image

    os.environ["XAUTHORITY"] = str(pod.config.xauthority)
    os.environ["DISPLAY"] = pod.config.display
    display = Xlib.display.Display(pod.config.display)
    root = display.screen().root
    width, height = pod.config.size

    def x11_get_image():
        root.get_image(0, 0, width, height, Xlib.X.ZPixmap, 0xFFFFFFFF)

    def xwd():
        subprocess.run(["xwd", "-root", "-silent", "-display", pod.config.display], stdout=subprocess.DEVNULL, check=True)

    grabber = mss.mss()

    def mss_grab():
        grabber.grab(grabber.monitors[0])

    def mss_grab_and_png():
        shot = grabber.grab(grabber.monitors[0])
        Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX").save(io.BytesIO(), format="PNG")

    floors = {
        "x11_get_image": summary_ms(timed(x11_get_image, ROUND_TRIPS)),
        "xwd_process": summary_ms(timed(xwd, ROUND_TRIPS)),
        "mss_grab": summary_ms(timed(mss_grab, ROUND_TRIPS)),
        "mss_grab_plus_png_encode": summary_ms(timed(mss_grab_and_png, ROUND_TRIPS)),
    }
    display.close()
    return floors


# --- memory and CPU ------------------------------------------------------------
def process_stats(pid: int) -> dict | None:
    proc = Path(f"/proc/{pid}")
    try:
        status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
        rollup = (proc / "smaps_rollup").read_text()
        stat = (proc / "stat").read_text()
    except (OSError, ValueError):
        return None
    pss_kib = next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    fields = stat[stat.rindex(")") + 2:].split()
    return {
        "name": stat[stat.index("(") + 1: stat.rindex(")")],
        "rss_kib": int(status.get("VmRSS", "0 kB").split()[0]),
        "hwm_kib": int(status.get("VmHWM", "0 kB").split()[0]),
        "pss_kib": pss_kib,
        "cpu_ticks": int(fields[11]) + int(fields[12]),
    }


def container_pids(pod: Pod) -> dict[str, list[int]]:
    sidecar = {pod.sidecar.pid}
    desktop = [pid for pid in pod.marked_pids() if pid not in sidecar and process_stats(pid)]
    # setpriv execs the real program, so the sidecar's PID is the Python process.
    return {"desktop": desktop, "computer-control": sorted(sidecar)}


def usage(pod: Pod) -> dict:
    groups = container_pids(pod)
    before = {name: {pid: process_stats(pid) for pid in pids} for name, pids in groups.items()}
    time.sleep(CPU_WINDOW_SECONDS)  # the measurement window itself
    result = {}
    for name, pids in groups.items():
        after = {pid: process_stats(pid) for pid in pids}
        alive = [pid for pid in pids if before[name].get(pid) and after.get(pid)]
        ticks = sum(after[pid]["cpu_ticks"] - before[name][pid]["cpu_ticks"] for pid in alive)
        result[name] = {
            "rss_mib": round(sum(after[pid]["rss_kib"] for pid in alive) / 1024, 1),
            "pss_mib": round(sum(after[pid]["pss_kib"] for pid in alive) / 1024, 1),
            "idle_cpu_millicores": round(ticks / CLOCK_TICKS / CPU_WINDOW_SECONDS * 1000, 1),
            "processes": len(alive),
            "largest": sorted(((after[pid]["name"], round(after[pid]["rss_kib"] / 1024, 1)) for pid in alive),
                              key=lambda item: -item[1])[:5],
        }
    return result


def sidecar_peak_after_ocr(pod: Pod) -> dict:
    client = McpClient(pod.config.mcp_url, pod.config.mcp_token)
    started = time.perf_counter()
    client.call("take_screenshot_with_ocr", {}, timeout=120)
    seconds = time.perf_counter() - started
    stats = process_stats(pod.sidecar.pid)
    return {"full_screen_ocr_s": round(seconds, 2), "sidecar_peak_rss_mib": round(stats["hwm_kib"] / 1024, 1),
            "sidecar_rss_after_ocr_mib": round(stats["rss_kib"] / 1024, 1)}


def with_browser_open(pod: Pod) -> dict:
    """Idle usage with firefox-esr showing a local page, as an agent's desktop often has."""
    from pod import AgentProcess

    page = pod.config.home / "page.html"
    page.write_text("<html><body><h1>agent desktop</h1>" + "<p>lorem ipsum</p>" * 200 + "</body></html>")
    os.chown(page, 1000, 1000)
    env = pod.config.base_env() | {"XAUTHORITY": str(pod.config.xauthority), "MOZ_CRASHREPORTER_DISABLE": "1"}
    browser = AgentProcess("browser", [BROWSER, "--new-instance", page.as_uri()], env, pod.config.workdir / "browser.log")
    browser.start()
    client = McpClient(pod.config.mcp_url, pod.config.mcp_token)
    wait_until(lambda: any("Mozilla Firefox" in w["title"] for w in client.windows()), 60, 0.5, "browser window")
    time.sleep(IDLE_SETTLE_SECONDS)
    return usage(pod)


def main() -> None:
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
        "resolution": Config.__dataclass_fields__["resolution"].default,
        "cold_start": [cold_start() for _ in range(COLD_STARTS)],
    }
    pod = Pod(Config())
    try:
        pod.start_desktop()
        pod.start_sidecar()
        client = McpClient(pod.config.mcp_url, pod.config.mcp_token)
        wait_until(lambda: looks_like_xfce_desktop(decode(client.screenshot_png())), 90, 0.5, "Xfce")
        time.sleep(IDLE_SETTLE_SECONDS)  # let the session finish its start-up work before "idle"
        results["idle_after_start"] = usage(pod)
        results["screenshot_round_trip"] = mcp_round_trips(pod)
        results["direct_grab_floor"] = direct_floors(pod)
        results["ocr"] = sidecar_peak_after_ocr(pod)
        time.sleep(IDLE_SETTLE_SECONDS)
        results["idle_after_work"] = usage(pod)
        if BROWSER:
            results["idle_with_browser"] = with_browser_open(pod)
    finally:
        pod.cleanup()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
