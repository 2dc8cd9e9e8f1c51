"""Desktop recording benchmark: the two designs of issue 24 on one desktop, against the same session
unrecorded, interleaved.

- `none`: the browser view runs (as in the pod) but records nothing;
- `rfb`: the browser view records RFB framebuffer updates (images/browser-view/src/recording: Tight,
  5 updates a second at most, a segment per 120 s);
- `video`: ffmpeg grabs the X screen 5 times a second (x11grab over MIT-SHM), drops unchanged frames
  (mpdecimate) and encodes H.264 (libx264 veryfast, CRF 28) into 120-s segments.

Per round and condition: the workload (workload.py: idle, or active typing and scrolling) runs for
BENCH_SECONDS (default 120, one segment); CPU seconds of the X server, of the rest of the desktop and of
the recorder, the recorder's peak RSS and PSS, and the bytes written. Prints JSON; a summary on stderr."""

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO / "tests/browser-view"), str(REPO / "tests/desktop-e2e")]

from bridge import Bridge  # noqa: E402
from conftest import x_grab  # noqa: E402
from pod import AGENT_UID, AgentProcess, Config, Pod, wait_until  # noqa: E402
from screen import looks_like_xfce_desktop  # noqa: E402
from workload import WORKLOADS, Keyboard  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "120"))
FPS = 5
SEGMENT_SECONDS = 120
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CONDITIONS = ["none", "rfb", "video"]


def cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kib(pid: int) -> tuple[int, int]:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    except OSError:
        return 0, 0
    fields = {name: int(value.split()[0]) for name, value in (line.split(":", 1) for line in lines)}
    return fields["Rss"], fields["Pss"]


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())


class Peak(threading.Thread):
    """Samples a process's RSS and PSS twice a second; keeps the peaks."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.rss, self.pss, self.running = pid, 0, 0, True
        self.start()

    def run(self) -> None:
        while self.running:
            rss, pss = memory_kib(self.pid)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            time.sleep(0.5)

    def stop(self) -> tuple[int, int]:
        self.running = False
        self.join()
        return self.rss, self.pss


def start_recorder(pod: Pod, condition: str, folder: Path):
    """The process that records (or, for `none`, the browser view that does not); returns it and its pid."""
    if condition == "video":
        env = pod.config.base_env() | {"XAUTHORITY": str(pod.config.xauthority)}
        width, height = pod.config.size
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "1",
                "-framerate", str(FPS), "-video_size", f"{width}x{height}", "-i", pod.config.display,
                "-vf", "mpdecimate", "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "veryfast", "-crf", "28",
                "-pix_fmt", "yuv420p", "-g", str(FPS * 10), "-f", "segment", "-segment_time", str(SEGMENT_SECONDS),
                "-segment_format", "mp4", "-segment_format_options", "movflags=+frag_keyframe+empty_moov",
                "-reset_timestamps", "1", str(folder / "%05d.mp4")]
        process = AgentProcess("ffmpeg", argv, env, pod.config.workdir / "ffmpeg.log")
        process.start()
        return process, process.pid
    extra = {"RECORDING_DIR": str(folder), "RECORDING_FPS": str(FPS),
             "RECORDING_SEGMENT_SECONDS": str(SEGMENT_SECONDS)} if condition == "rfb" else {}
    bridge = Bridge(pod.config, pod.config.vnc_port, name=f"browser-view-{condition}", extra_env=extra)
    bridge.start()
    return bridge, bridge.process.pid


def round_once(pod: Pod, keyboard: Keyboard, workload: str, condition: str) -> dict:
    folder = pod.config.workdir / f"recording-{condition}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    os.chown(folder, AGENT_UID, AGENT_UID)
    recorder, pid = start_recorder(pod, condition, folder)
    time.sleep(1)  # the recorder's first full frame (part of what a segment costs)
    desktop = [p for p in pod.marked_pids() if p != pid]
    before = {p: cpu_seconds(p) for p in desktop}
    recorder_before = cpu_seconds(pid)
    xvnc = pod.xvnc_pid()
    peak = Peak(pid)
    started = time.monotonic()
    WORKLOADS[workload](keyboard, SECONDS)
    elapsed = time.monotonic() - started
    xvnc_cpu = cpu_seconds(xvnc) - before.get(xvnc, 0)
    desktop_cpu = sum(cpu_seconds(p) - before.get(p, 0) for p in desktop)
    recorder_cpu = cpu_seconds(pid) - recorder_before
    rss, pss = peak.stop()
    recorder.stop()
    written = folder_bytes(folder)
    shutil.rmtree(folder, ignore_errors=True)
    return {"workload": workload, "condition": condition, "seconds": round(elapsed, 1),
            "xvnc_cpu_s": round(xvnc_cpu, 2), "desktop_cpu_s": round(desktop_cpu, 2),
            "recorder_cpu_s": round(recorder_cpu, 2), "recorder_peak_rss_kib": rss, "recorder_peak_pss_kib": pss,
            "bytes": written, "bytes_per_hour": round(written * 3600 / elapsed)}


def summary(rounds: list[dict]) -> dict:
    out = {}
    for workload in WORKLOADS:
        base = [r for r in rounds if r["workload"] == workload and r["condition"] == "none"]
        base_desktop = statistics.median(r["desktop_cpu_s"] for r in base) if base else 0
        base_recorder = statistics.median(r["recorder_cpu_s"] for r in base) if base else 0
        for condition in CONDITIONS:
            picked = [r for r in rounds if r["workload"] == workload and r["condition"] == condition]
            if not picked:
                continue
            med = lambda key: statistics.median(r[key] for r in picked)  # noqa: E731
            total = med("desktop_cpu_s") + med("recorder_cpu_s")
            out[f"{workload}/{condition}"] = {
                "rounds": len(picked),
                "desktop_cpu_percent": round(100 * med("desktop_cpu_s") / SECONDS, 2),
                "xvnc_cpu_percent": round(100 * med("xvnc_cpu_s") / SECONDS, 2),
                "recorder_cpu_percent": round(100 * med("recorder_cpu_s") / SECONDS, 2),
                "overhead_cpu_percent": round(100 * (total - base_desktop - base_recorder) / SECONDS, 2),
                "recorder_peak_rss_mib": round(med("recorder_peak_rss_kib") / 1024, 1),
                "recorder_peak_pss_mib": round(med("recorder_peak_pss_kib") / 1024, 1),
                "mib_per_hour": round(med("bytes_per_hour") / 2**20, 1),
            }
    return out


def main() -> None:
    pod = Pod(Config(resolution="1280x800"))
    terminal = None
    try:
        pod.start_desktop()
        wait_until(lambda: looks_like_xfce_desktop(x_grab(pod)), 90, interval=0.5, what="Xfce desktop drawn")
        env = pod.config.base_env() | {"XAUTHORITY": str(pod.config.xauthority)}
        terminal = AgentProcess("terminal", ["xfce4-terminal", "--disable-server", "--geometry=100x30+80+60"], env,
                                pod.config.workdir / "terminal.log")
        terminal.start()
        time.sleep(3)
        keyboard = Keyboard(pod.config.display, str(pod.config.xauthority))
        rounds = []
        order = random.Random(11)
        for number in range(ROUNDS):
            for workload in WORKLOADS:
                conditions = CONDITIONS[:]
                order.shuffle(conditions)
                for condition in conditions:
                    result = round_once(pod, keyboard, workload, condition)
                    result["round"] = number
                    rounds.append(result)
                    print(json.dumps(result), file=sys.stderr)
        keyboard.close()
        result = {"machine": os.uname().nodename, "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
                  "resolution": pod.config.resolution, "seconds_per_round": SECONDS, "fps": FPS,
                  "segment_seconds": SEGMENT_SECONDS, "load_average_at_end": os.getloadavg(),
                  "rounds": rounds, "summary": summary(rounds)}
        print(json.dumps(result, indent=1))
        print(json.dumps(result["summary"], indent=1), file=sys.stderr)
    finally:
        if terminal:
            terminal.stop()
        pod.cleanup()


if __name__ == "__main__":
    main()
