"""`station sim camera`: run the synthetic camera standalone, print frames/s, obey stdin commands.

Commands (one per line): ``present CODE SYMBOLOGY`` (e.g. ``present 4006381333931 ean13``),
``clear``, ``fault stall|read_fails|unplugged``, ``heal``, ``quit``.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import TextIO

from drivers.scanner.camera_decode import CameraDecoder, DecoderConfig
from drivers.sim.camera import FAULTS, SUPPORTED_SYMBOLOGIES, SyntheticCamera


def _render_loop(camera: SyntheticCamera, stop: threading.Event, out: TextIO) -> None:
    """Read frames as a capture thread would; print the rate once a second."""
    window_started, frames = time.monotonic(), 0
    while not stop.is_set():
        try:
            ok, _ = camera.read()
        except OSError as exc:
            ok = False
            print(f"read failed: {exc}", file=out, flush=True)
            stop.wait(0.5)
        frames += int(ok)
        elapsed_s = time.monotonic() - window_started
        if elapsed_s >= 1.0:
            print(f"{frames / elapsed_s:.1f} frames/s", file=out, flush=True)
            window_started, frames = time.monotonic(), 0


def obey(camera: SyntheticCamera, line: str, out: TextIO) -> bool:
    """Carry out one command line; False when it says quit."""
    words = line.split()
    if not words:
        return True
    command, rest = words[0], words[1:]
    try:
        if command == "quit":
            return False
        if command == "present" and len(rest) == 2:
            camera.present(rest[0], rest[1])
            reads = CameraDecoder(DecoderConfig(stages=("zxing", "zbar"))).scan(camera.frame())
            seen = ", ".join(f"{e.raw} ({e.symbology})" for e in reads) or "nothing"
            print(f"ok: presenting {rest[0]} ({rest[1]}); a frame decodes as {seen}",
                  file=out, flush=True)
        elif command == "clear":
            camera.clear()
            print("ok: nothing in view", file=out, flush=True)
        elif command == "fault" and len(rest) == 1:
            camera.set_fault(rest[0])
            print(f"ok: fault {rest[0]}", file=out, flush=True)
        elif command == "heal":
            camera.set_fault(None)
            print("ok: no fault", file=out, flush=True)
        else:
            known = ", ".join(str(s) for s in SUPPORTED_SYMBOLOGIES)
            print(f"unknown command {line.strip()!r}; use present CODE SYMBOLOGY ({known}), "
                  f"clear, fault ({', '.join(FAULTS)}), heal, quit", file=sys.stderr, flush=True)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
    return True


def run_sim_camera(width_px: int, height_px: int, fps: float, seconds: float) -> int:
    """Render until quit, end of input (without --seconds) or ``seconds`` have passed."""
    if width_px < 16 or height_px < 16 or fps <= 0:
        print("error: width and height must be at least 16 px and fps above 0", file=sys.stderr)
        return 2
    camera = SyntheticCamera(width_px, height_px, fps=fps)
    stop = threading.Event()
    print(f"synthetic camera {width_px}x{height_px} at {fps:g} fps; commands: present CODE "
          "SYMBOLOGY, clear, fault NAME, heal, quit", flush=True)

    def read_commands() -> None:
        for line in sys.stdin:
            if not obey(camera, line, sys.stdout):
                break
        else:
            if seconds:
                return  # end of input: keep rendering until the time is up
        stop.set()

    renderer = threading.Thread(target=_render_loop, args=(camera, stop, sys.stdout),
                                name="sim-camera", daemon=True)
    renderer.start()
    threading.Thread(target=read_commands, name="sim-camera-stdin", daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait(seconds or None)
    stop.set()
    camera.set_fault(None)
    renderer.join(2.0)
    return 0
