"""Unboxing video: RSS and CPU of a real `station run --demo` (simulated devices, 1080p stills) while
a parcel is open, with recording on against the same daemon with recording off.

For each mode a fresh daemon starts in its own temporary folder (``python -m station.cli run
--demo``, ``STATION_DEVICES__SIM_CAMERA_SIZE=[1920, 1080]``, ``STATION_VIDEO__ENABLED`` true or
false). This script opens one of the demo's parcels on the daemon's bench through the station's
own service on the same SQLite file (the daemon's watcher sees it at its next look, within 5 s),
waits until the first chunk is recorded (recording on) and then reads ``VmRSS`` of the daemon
from ``/proc/<pid>/status`` and its CPU time from ``/proc/<pid>/stat`` once a second for
``SECONDS`` seconds. Goal: RSS below 250 MB with recording on. The simulated camera's stream is
640x360 (its stills are 1920x1080); the recording is ``video.width_px`` wide (640) at
``video.fps`` (5). A second pair of runs puts the capture thread on a 1920x1080 synthetic stream
(15 fps) in a process of its own, without and with the recorder, for what a real 1080p camera
adds. The machine is shared with other work while this runs: CPU figures are noisy.

    .venv/bin/python -m bench.bench_video      (BENCH_VIDEO_SECONDS=20)
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import write_result

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_VIDEO_SECONDS", "20"))
RSS_GOAL_MB = 250.0
START_TIMEOUT_S = 90.0
LAUNCHER = "import sys\nfrom station.cli import main\nsys.exit(main(sys.argv[1:]))\n"
OPEN_PARCEL = """
import sys
from station.config import load_settings
from station.context import build
ctx = build(load_settings())
inspection = ctx.inspections.receive(sys.argv[1], ctx.settings.station.id, None, "bench")
print(inspection.id)
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status_kb(pid: int) -> dict[str, int]:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def _cpu_s(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _chunks(db: Path, inspection_id: str) -> tuple[int, int, int]:
    """(chunks, bytes, dropped frames) recorded for the inspection so far."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT count(*), coalesce(sum(size_bytes), 0), "
                           "coalesce(sum(dropped_frames), 0) FROM video_chunk "
                           "WHERE inspection_id = ?", (inspection_id,)).fetchone()
    finally:
        conn.close()
    return int(row[0]), int(row[1]), int(row[2])


def run_mode(recording: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-video-") as folder:
        workdir = Path(folder)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT),
               "STATION_DEVICES__SIM_CAMERA_SIZE": "[1920, 1080]",
               "STATION_VIDEO__ENABLED": "true" if recording else "false",
               "STATION_WEB__IDLE_LOCK_S": "86400"}
        env.pop("STATION_CONFIG", None)
        base = [sys.executable, "-c", LAUNCHER]
        subprocess.run([*base, "db", "upgrade"], cwd=workdir, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        log = workdir / "run.log"
        with log.open("wb") as out:
            daemon = subprocess.Popen([*base, "run", "--demo", "--port", str(_free_port())],
                                      cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            labels = _wait_started(daemon, log)
            opened = subprocess.run([sys.executable, "-c", OPEN_PARCEL, labels[0]], cwd=workdir,
                                    env=env, check=True, capture_output=True, text=True)
            inspection_id = opened.stdout.strip().splitlines()[-1]
            db = workdir / "var" / "station.db"
            if recording:
                deadline = time.monotonic() + 30
                while _chunks(db, inspection_id)[0] == 0:
                    if time.monotonic() > deadline:
                        raise RuntimeError("no chunk recorded:\n" + log.read_text()[-2000:])
                    time.sleep(0.2)
            rss: list[int] = []
            cpu_start, wall_start = _cpu_s(daemon.pid), time.monotonic()
            end = wall_start + SECONDS
            while time.monotonic() < end:
                rss.append(_status_kb(daemon.pid)["VmRSS"])
                time.sleep(1.0)
            cpu = (_cpu_s(daemon.pid) - cpu_start) / (time.monotonic() - wall_start)
            hwm = _status_kb(daemon.pid)["VmHWM"]
            chunks, size, dropped = _chunks(db, inspection_id)
        finally:
            daemon.terminate()
            try:
                daemon.wait(20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(5)
    return {
        "recording": recording,
        "rss_max_mb": round(max(rss) / 1024, 1),
        "rss_last_mb": round(rss[-1] / 1024, 1),
        "rss_first_mb": round(rss[0] / 1024, 1),
        "vm_hwm_mb": round(hwm / 1024, 1),
        "cpu_share_of_one_core": round(cpu, 3),
        "samples": len(rss),
        "chunks_recorded": chunks,
        "video_bytes": size,
        "dropped_frames": dropped,
    }


STREAM_1080P = """
import sys, tempfile, time
from pathlib import Path
from drivers.camera.capture import CameraCapture
from drivers.camera.recorder import ChunkRecorder, RecorderSettings
from drivers.sim.camera import SyntheticCamera
from station.devices.adapters import camera_profile_named
camera = SyntheticCamera(1920, 1080, fps=15.0)
capture = CameraCapture(camera_profile_named("generic-uvc"), camera).start()
capture.wait_frame(0, 10.0)
closed = []
if sys.argv[1] == "on":
    spool = Path(tempfile.mkdtemp(prefix="bench-video-spool-"))
    def taken(chunk):
        closed.append((chunk.size_bytes, chunk.frames))
        chunk.path.unlink()
    recorder = ChunkRecorder(capture.wait_frame, spool, RecorderSettings(), taken).start()
print("ready", flush=True)
sys.stdin.readline()
print(len(closed), sum(c[0] for c in closed), sum(c[1] for c in closed), flush=True)
"""


def run_stream_1080p(recording: bool) -> dict[str, Any]:
    """The capture thread on a 1920x1080 stream at 15 fps, with or without the recorder (its
    default: 640 px, 5 fps, 5 s chunks): RSS and CPU of that process alone."""
    process = subprocess.Popen([sys.executable, "-c", STREAM_1080P, "on" if recording else "off"],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None and process.stdin is not None
    try:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the 1080p stream process did not start")
        time.sleep(2.0)  # past the first chunk's writer set-up
        rss: list[int] = []
        cpu_start, wall_start = _cpu_s(process.pid), time.monotonic()
        while time.monotonic() < wall_start + SECONDS:
            rss.append(_status_kb(process.pid)["VmRSS"])
            time.sleep(1.0)
        cpu = (_cpu_s(process.pid) - cpu_start) / (time.monotonic() - wall_start)
        process.stdin.write("\n")
        process.stdin.flush()
        chunks, size, frames = (int(v) for v in process.stdout.readline().split())
    finally:
        process.kill()
        process.wait(10)
    return {"recording": recording, "rss_max_mb": round(max(rss) / 1024, 1),
            "cpu_share_of_one_core": round(cpu, 3), "chunks_closed": chunks,
            "video_bytes": size, "frames_written": frames}


def _wait_started(daemon: subprocess.Popen[bytes], log: Path) -> list[str]:
    deadline = time.monotonic() + START_TIMEOUT_S
    text = ""
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if re.search(r"simulated devices: open (\S+)", text):
            labels = re.findall(r"\(label (\S+)\)", text)
            if not labels:
                raise RuntimeError("the demo printed no parcel label:\n" + text[-2000:])
            return labels
        if daemon.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"station run did not start:\n{text[-2000:]}")


def main() -> dict[str, Any]:
    off = run_mode(recording=False)
    on = run_mode(recording=True)
    stream_off = run_stream_1080p(recording=False)
    stream_on = run_stream_1080p(recording=True)
    return write_result("bench_video", {
        "what": "RSS and CPU of station run --demo (simulated devices, 1920x1080 stills, 640x360 "
                "stream) with a parcel open, unboxing video off and on (VP8 WebM, 640 px, 5 fps, "
                "5 s chunks)",
        "seconds": SECONDS,
        "off": off,
        "on": on,
        "rss_added_by_recording_mb": round(on["rss_max_mb"] - off["rss_max_mb"], 1),
        "cpu_added_by_recording": round(on["cpu_share_of_one_core"] - off["cpu_share_of_one_core"], 3),
        "goal_mb": RSS_GOAL_MB,
        "goal_met": on["rss_max_mb"] < RSS_GOAL_MB,
        "stream_1080p": {
            "what": "capture thread on a 1920x1080 synthetic stream at 15 fps in its own process, "
                    "without and with the recorder (scaled to 640x360, 5 fps)",
            "off": stream_off, "on": stream_on,
            "rss_added_by_recording_mb": round(stream_on["rss_max_mb"] - stream_off["rss_max_mb"], 1),
            "cpu_added_by_recording": round(stream_on["cpu_share_of_one_core"]
                                            - stream_off["cpu_share_of_one_core"], 3),
        },
        "note": "the machine is shared with other work while this runs; CPU figures are noisy",
    })


if __name__ == "__main__":
    main()
