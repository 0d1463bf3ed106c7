"""The camera-scan thread survives bad frames and its own failure, and shows it as device state."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from drivers.camera.capture import CameraCapture
from drivers.camera.profile import load_camera_profile, shipped_camera_profiles
from drivers.scanner.aim import Symbology
from drivers.scanner.camera_decode import CameraScanSource, DecoderConfig
from drivers.scanner.events import ScanEvent
from drivers.sim.camera import SyntheticCamera
from drivers.state import DeviceState, DeviceStatus

PROFILE = load_camera_profile(Path(shipped_camera_profiles()[0]).parent / "generic-uvc.toml")


class GlitchingCamera:
    """A synthetic camera whose driver sometimes hands out frames no decoder can read."""

    def __init__(self, camera: SyntheticCamera) -> None:
        self.camera = camera
        self.bad: list[npt.NDArray[np.generic]] = []
        self._lock = threading.Lock()

    def glitch(self, *frames: npt.NDArray[np.generic]) -> None:
        with self._lock:
            self.bad.extend(frames)

    def pending(self) -> int:
        with self._lock:
            return len(self.bad)

    def read(self) -> tuple[bool, npt.NDArray[np.uint8] | None]:
        ok, frame = self.camera.read()
        with self._lock:
            if self.bad:
                return True, self.bad.pop(0)  # type: ignore[return-value]
        return ok, frame


class FailingFeed:
    """A frame feed whose first ``failures`` waits raise, as a broken driver would."""

    def __init__(self, capture: CameraCapture, failures: int) -> None:
        self.capture = capture
        self.failures = failures

    def wait_frame(self, after_seq: int = 0, timeout_s: float = 1.0) -> tuple[int, object] | None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("driver fell over")
        return self.capture.wait_frame(after_seq, timeout_s)  # type: ignore[return-value]


def test_two_channel_and_16_bit_frames_are_skipped_and_decoding_goes_on(
    wait_for: Callable[..., bool],
) -> None:
    sim = SyntheticCamera(480, 360, fps=30)
    glitching = GlitchingCamera(sim)
    scans: queue.Queue[ScanEvent] = queue.Queue()
    statuses: list[DeviceStatus] = []
    with CameraCapture(PROFILE, glitching) as capture:
        source = CameraScanSource(
            capture, scans.put, DecoderConfig(hold_s=30.0), on_status=statuses.append,
            bad_frame_limit=1000,
        ).start()
        try:
            bad = [np.zeros((360, 480, 2), np.uint8), np.zeros((360, 480), np.uint16),
                   np.zeros((360, 480, 3), np.uint16)]

            def decoder_saw_bad_frames() -> bool:
                # the decoder takes the newest frame only: keep glitching until it met some
                if glitching.pending() < 3:
                    glitching.glitch(*bad)
                return source.stats.bad_frames >= 1

            assert wait_for(decoder_saw_bad_frames, timeout_s=10)
            glitching.bad.clear()
            sim.present("96385074", Symbology.EAN8, module_px=3)
            assert scans.get(timeout=10).gtin == "00000096385074"
            assert source.alive
        finally:
            source.close()
    assert source.stats.restarts == 0
    assert "8-bit" in source.stats.last_problem or "channels" in source.stats.last_problem


def test_a_camera_sending_only_bad_frames_is_shown_as_error_then_ready_again(
    wait_for: Callable[..., bool],
) -> None:
    sim = SyntheticCamera(320, 240, fps=60)
    glitching = GlitchingCamera(sim)
    statuses: list[DeviceStatus] = []
    glitching.glitch(*[np.zeros((240, 320, 2), np.uint8)] * 40)
    with CameraCapture(PROFILE, glitching) as capture:
        source = CameraScanSource(
            capture, lambda _: None, DecoderConfig(), on_status=statuses.append,
            bad_frame_limit=5,
        ).start()
        try:
            assert wait_for(lambda: any(s.state is DeviceState.ERROR for s in statuses), 10)
            error = next(s for s in statuses if s.state is DeviceState.ERROR)
            assert "2 channels" in error.reason and error.device == "camera"
            assert wait_for(lambda: statuses[-1].state is DeviceState.READY, timeout_s=10)
        finally:
            source.close()


def test_a_dead_decode_loop_reports_error_and_restarts(wait_for: Callable[..., bool]) -> None:
    sim = SyntheticCamera(480, 360, fps=30)
    scans: queue.Queue[ScanEvent] = queue.Queue()
    statuses: list[DeviceStatus] = []
    with CameraCapture(PROFILE, sim) as capture:
        feed = FailingFeed(capture, failures=2)
        source = CameraScanSource(
            feed, scans.put, DecoderConfig(hold_s=30.0), on_status=statuses.append,
            restart_s=0.01,
        ).start()
        try:
            assert wait_for(lambda: source.stats.restarts == 2, timeout_s=10)
            assert statuses[0].state is DeviceState.ERROR
            assert "driver fell over" in statuses[0].reason
            sim.present("96385074", Symbology.EAN8, module_px=3)
            assert scans.get(timeout=10).gtin == "00000096385074"
            assert wait_for(lambda: statuses[-1].state is DeviceState.READY)
        finally:
            source.close()
