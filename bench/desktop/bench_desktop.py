"""Benchmarks of the desktop pod, run on this machine with the e2e test's harness.

  * cold start: both containers launched at once (as kubelet does) until the
    first MCP screenshot, and until the first one that shows the Xfce desktop;
  * screenshot and OCR latency through MCP against the raw X grab, interleaved
    in random order per round (screenshot_rounds.py), printed as p50 ratios;
  * idle RSS/PSS and CPU of the desktop (Xvnc + Xfce) and of the sidecar, plus
    the sidecar's peak RSS after a full-screen OCR.

Prints a JSON document; bench/desktop/run.sh stores it under bench/results/.
BENCH_PARTS (cold_start,latency,usage) picks parts; BENCH_ROUNDS, BENCH_OCR_ROUNDS
and BENCH_SCREENSHOT_FORMATS (e.g. "webp,jpeg") shape the latency part.
"""

import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests/desktop-e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import screenshot_rounds  # noqa: E402
from mcp_calls import McpClient  # noqa: E402
from pod import Config, Pod, http_status, tcp_accepts, wait_until  # noqa: E402
from screen import decode, looks_like_xfce_desktop  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
OCR_ROUNDS = int(os.environ.get("BENCH_OCR_ROUNDS", "8"))
# Lossy formats to measure next to the lossless default, each on its own sidecar.
SCREENSHOT_FORMATS = os.environ.get("BENCH_SCREENSHOT_FORMATS", "")
# Which parts to run: cold start, latency (screenshots, OCR), usage (memory, CPU).
PARTS = set(os.environ.get("BENCH_PARTS", "cold_start,latency,usage").split(","))
COLD_STARTS = int(os.environ.get("BENCH_COLD_STARTS", "3"))
IDLE_SETTLE_SECONDS = float(os.environ.get("BENCH_IDLE_SETTLE_SECONDS", "20"))
CPU_WINDOW_SECONDS = float(os.environ.get("BENCH_CPU_WINDOW_SECONDS", "10"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BROWSER = shutil.which("firefox-esr")  # measured only where installed (it is in the image)


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
        # CPU the sidecar used to get ready: unlike wall time, barely moved by other load on the machine.
        sidecar_cpu = process_stats(pod.sidecar.pid)["cpu_ticks"] / CLOCK_TICKS

        def any_screenshot():
            try:
                return bool(client.screenshot_png())
            except Exception:
                return False

        wait_until(any_screenshot, 120, 0.05, "first screenshot")
        first_any = time.monotonic() - started

        def desktop_shown():
            try:
                return looks_like_xfce_desktop(decode(client.screenshot_png()))
            except Exception:
                return False

        wait_until(desktop_shown, 120, 0.05, "first Xfce screenshot")
        first_screenshot = time.monotonic() - started
        return {"x_ready_s": round(x_ready, 2), "healthz_ready_s": round(healthz_ready, 2),
                "sidecar_cpu_s_at_healthz": round(sidecar_cpu, 2),
                "first_screenshot_s": round(first_any, 2),
                "first_desktop_screenshot_s": round(first_screenshot, 2)}
    finally:
        pod.cleanup()


# --- screenshot and OCR latency, interleaved ----------------------------------
def extra_sidecar(pod: Pod, name: str, **env: str):
    """Another sidecar on the same desktop, e.g. with a lossy SCREENSHOT_FORMAT."""
    from pod import LAUNCHER, VENV_PYTHON, AgentProcess, pick_port

    port = pick_port()
    process = AgentProcess(name, [str(VENV_PYTHON), str(LAUNCHER)],
                           pod.sidecar_env() | {"PORT": str(port), "METRICS_PORT": str(pick_port()),
                                                "SCREENSHOT_SCRATCH_DIR": str(pod.config.workdir / name)} | env,
                           pod.config.workdir / f"{name}.log")
    process.start()
    wait_until(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, 120, 0.2, f"{name} healthy")
    return process, f"http://127.0.0.1:{port}/mcp"


def latency(pod: Pod) -> dict:
    os.environ["XAUTHORITY"] = str(pod.config.xauthority)
    raw = screenshot_rounds.RawGrabs(pod.config.display, *pod.config.size)
    servers = {"take_screenshot": pod.config.mcp_url}
    extras = []
    try:
        for image_format in filter(None, SCREENSHOT_FORMATS.split(",")):
            process, url = extra_sidecar(pod, f"sidecar-{image_format}", SCREENSHOT_FORMAT=image_format)
            extras.append(process)
            servers[f"take_screenshot[{image_format}]"] = url
        shots = anyio.run(screenshot_rounds.screenshot_rounds, servers, pod.config.mcp_token, raw, ROUNDS,
                          "take_screenshot")
        shots["ratios_p50"] = screenshot_rounds.ratios(
            shots["variants"], [name for name in shots["variants"] if name.startswith("mcp")] + ["raw_grab_plus_png"],
            ["raw_grab", "raw_grab_plus_png"])
        result = {"screenshot": shots}
        if OCR_ROUNDS:
            ocr = anyio.run(screenshot_rounds.ocr_rounds, pod.config.mcp_url, pod.config.mcp_token, raw, OCR_ROUNDS)
            ocr["ratios_p50"] = screenshot_rounds.ratios(ocr["variants"], ["mcp:take_screenshot_with_ocr"],
                                                         ["raw_grab_plus_ocr"])
            result["ocr"] = ocr
        return result
    finally:
        for process in extras:
            process.stop()
        raw.close()


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
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
                    "load_average_at_start": os.getloadavg()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "resolution": Config.__dataclass_fields__["resolution"].default,
    }
    if "cold_start" in PARTS:
        results["cold_start"] = [cold_start() for _ in range(COLD_STARTS)]
    if not PARTS & {"latency", "usage"}:
        print(json.dumps(results, indent=2))
        return
    pod = Pod(Config())
    try:
        pod.start_desktop()
        pod.start_sidecar()
        client = McpClient(pod.config.mcp_url, pod.config.mcp_token)
        wait_until(lambda: looks_like_xfce_desktop(decode(client.screenshot_png())), 90, 0.5, "Xfce")
        if "usage" in PARTS:
            time.sleep(IDLE_SETTLE_SECONDS)  # let the session finish its start-up work before "idle"
            results["idle_after_start"] = usage(pod)
        if "latency" in PARTS:
            results["latency"] = latency(pod)
        if "usage" in PARTS:
            results["ocr_memory"] = sidecar_peak_after_ocr(pod)
            time.sleep(IDLE_SETTLE_SECONDS)
            results["idle_after_work"] = usage(pod)
            if BROWSER:
                results["idle_with_browser"] = with_browser_open(pod)
    finally:
        pod.cleanup()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
