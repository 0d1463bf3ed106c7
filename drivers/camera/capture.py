"""USB camera capture: a reader thread keeps the latest frame; stills, preview, device state."""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from drivers.camera.preview import PreviewEncoder, encode_jpeg
from drivers.camera.profile import CameraProfile
from drivers.camera.quality import QualityMetrics, assess, measure_for
from drivers.state import DeviceState, DeviceStatus

Frame = npt.NDArray[np.uint8]
StatusCallback = Callable[[DeviceStatus], None]
log = logging.getLogger(__name__)

#: Pause after a failed read or open so a dead device does not spin a core.
RETRY_PAUSE_S = 0.05
#: Wait between attempts to reopen a device index / path that stopped delivering.
REOPEN_INTERVAL_S = 1.0


class FrameSource(Protocol):
    """Anything that hands out frames like cv2.VideoCapture (the synthetic camera does)."""

    def read(self) -> tuple[bool, Frame | None]: ...


class StillSource(Protocol):
    """A frame source with a still-capture mode: stills bigger than its stream frames."""

    def still_frame(self) -> Frame: ...


@dataclass(frozen=True)
class Still:
    """One evidence photo: the JPEG bytes as stored, their hash, size and quality verdict."""

    jpeg: bytes
    sha256: str
    width_px: int
    height_px: int
    metrics: QualityMetrics
    problems: list[str]
    at: float = field(default_factory=time.time)


class CameraCapture:
    """Reads a camera on its own thread; callers get the latest frame and never an exception.

    ``source`` is a device index or path (opened with cv2.VideoCapture, V4L2 on Linux) or any
    object with ``read() -> (ok, frame)``. State changes go to ``on_status``.
    """

    def __init__(
        self,
        profile: CameraProfile,
        source: int | str | FrameSource,
        on_status: StatusCallback | None = None,
        name: str = "camera",
    ) -> None:
        self.profile = profile
        self.name = name
        self._source_spec = source
        self._on_status = on_status
        self._device: cv2.VideoCapture | None = None
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._seq = 0
        self._last_frame_at = 0.0
        self._stop = threading.Event()
        self._status = DeviceStatus(name, DeviceState.DISCONNECTED)
        self._preview = PreviewEncoder(profile.preview_width_px, profile.preview_jpeg_quality)
        self._threads: list[threading.Thread] = []

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> CameraCapture:
        """Start the reader and watchdog threads (idempotent); returns self."""
        if self._threads:
            return self
        self._stop.clear()
        for target, suffix in ((self._read_loop, "reader"), (self._watch_loop, "watchdog")):
            thread = threading.Thread(target=target, name=f"{self.name}-{suffix}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the threads, release the device and report DISCONNECTED."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads.clear()
        self._release()
        self._set_status(DeviceState.DISCONNECTED, "closed")

    def __enter__(self) -> CameraCapture:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what callers use -------------------------------------------------------------------
    @property
    def status(self) -> DeviceStatus:
        """The current device state with its reason."""
        return self._status

    def latest(self) -> tuple[int, Frame] | None:
        """(sequence number, frame) of the newest frame, or None before the first one.

        The frame is shared, not copied: treat it as read-only.
        """
        with self._cond:
            return None if self._frame is None else (self._seq, self._frame)

    def wait_frame(self, after_seq: int = 0, timeout_s: float = 1.0) -> tuple[int, Frame] | None:
        """Block until a frame newer than ``after_seq`` arrives; None on timeout or close."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._frame is None or self._seq <= after_seq:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stop.is_set():
                    return None
                self._cond.wait(remaining)
            return self._seq, self._frame

    def still(self) -> Still | None:
        """Evidence photo of the newest frame at the profile's JPEG quality; None without frames.

        A source with ``still_frame()`` (the synthetic camera's still mode) takes the still
        itself, bigger than the stream it decodes and previews.
        """
        newest = self.latest()
        if newest is None or self._status.state is not DeviceState.READY:
            return None
        frame = newest[1]
        take_still = getattr(self._source_spec, "still_frame", None)
        if callable(take_still):
            try:
                frame = take_still()
            except Exception:  # a source's still mode failing falls back to the stream frame
                log.exception("%s: still capture failed; using the stream frame", self.name)
        # The quality metrics run beside the JPEG encode (OpenCV releases the GIL in both), so
        # the operator waits for the longer of the two, not for their sum.
        measured: list[QualityMetrics] = []
        measuring = threading.Thread(target=lambda: measured.append(
            measure_for(frame, self.profile.quality)), name=f"{self.name}-quality", daemon=True)
        measuring.start()
        jpeg = encode_jpeg(frame, self.profile.jpeg_quality)
        digest = hashlib.sha256(jpeg).hexdigest() if jpeg else ""
        measuring.join()
        if not jpeg or not measured:
            return None
        metrics = measured[0]
        return Still(
            jpeg=jpeg,
            sha256=digest,
            width_px=int(frame.shape[1]),
            height_px=int(frame.shape[0]),
            metrics=metrics,
            problems=assess(metrics, self.profile.quality),
        )

    def preview_jpeg(self) -> bytes:
        """Reduced-size JPEG of the newest frame for the MJPEG preview; b"" without frames."""
        newest = self.latest()
        if newest is None:
            return b""
        return self._preview.jpeg_for(*newest)

    # -- threads ----------------------------------------------------------------------------
    def _read_loop(self) -> None:
        source: FrameSource | None = None
        next_open_at = 0.0
        while not self._stop.is_set():
            if source is None:
                if time.monotonic() < next_open_at:
                    self._stop.wait(RETRY_PAUSE_S)
                    continue
                source = self._open()
                next_open_at = time.monotonic() + REOPEN_INTERVAL_S
                if source is None:
                    continue
            try:
                ok, frame = source.read()
            except Exception as exc:  # a driver or sim fault must become state, not a crash
                self._set_status(DeviceState.ERROR, f"camera read failed: {exc}")
                ok, frame = False, None
            if ok and _is_frame(frame):
                assert frame is not None
                self._publish(frame)
                continue
            if self._device is not None and self._stale():
                self._set_status(DeviceState.ERROR, "camera stopped delivering frames; reopening")
                self._release()
                source = None
            self._stop.wait(RETRY_PAUSE_S)

    def _watch_loop(self) -> None:
        period_s = min(0.25, self.profile.frame_timeout_s / 4)
        started_at = time.monotonic()
        while not self._stop.wait(period_s):
            with self._cond:
                last = self._last_frame_at or started_at
            silent_s = time.monotonic() - last
            if silent_s > self.profile.frame_timeout_s and self._status.state in (
                DeviceState.READY,
                DeviceState.CONNECTING,
            ):
                self._set_status(
                    DeviceState.ERROR, f"no frame from camera for {silent_s:.1f} s"
                )

    def _publish(self, frame: Frame) -> None:
        with self._cond:
            self._frame = frame
            self._seq += 1
            self._last_frame_at = time.monotonic()
            self._cond.notify_all()
        if self._status.state is not DeviceState.READY:
            height, width = frame.shape[:2]
            self._set_status(DeviceState.READY, f"streaming {width}x{height}")

    def _stale(self) -> bool:
        with self._cond:
            last = self._last_frame_at
        return last == 0.0 or time.monotonic() - last > self.profile.frame_timeout_s

    def _open(self) -> FrameSource | None:
        spec = self._source_spec
        if not isinstance(spec, int | str):
            self._set_status(DeviceState.CONNECTING, "synthetic or custom frame source")
            return spec
        self._set_status(DeviceState.CONNECTING, f"opening {spec}")
        try:
            device = _open_video_capture(spec, self.profile)
        except cv2.error as exc:
            self._set_status(DeviceState.ERROR, f"cannot open camera {spec}: {exc}")
            return None
        if not device.isOpened():
            self._set_status(DeviceState.ERROR, f"cannot open camera {spec}")
            device.release()
            return None
        self._device = device
        self._last_frame_at = time.monotonic()  # the frame timeout starts at open
        return device  # type: ignore[return-value]

    def _release(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.release()
            except cv2.error as exc:
                log.warning("%s: release failed: %s", self.name, exc)

    def _set_status(self, state: DeviceState, reason: str) -> None:
        if self._status.state is state and self._status.reason == reason:
            return
        self._status = DeviceStatus(self.name, state, reason)
        if self._on_status is None:
            return
        try:
            self._on_status(self._status)
        except Exception:  # a listener's bug must not stop the camera
            log.exception("%s: status listener failed", self.name)


def _is_frame(frame: object) -> bool:
    return isinstance(frame, np.ndarray) and frame.ndim in (2, 3) and frame.size > 0


def _open_video_capture(spec: int | str, profile: CameraProfile) -> cv2.VideoCapture:
    """Open a device index or path with the profile's mode (V4L2 on Linux for devices)."""
    is_device = isinstance(spec, int) or spec.startswith("/dev/")
    backend = cv2.CAP_V4L2 if is_device and sys.platform.startswith("linux") else cv2.CAP_ANY
    device = cv2.VideoCapture(spec, backend)
    if is_device and device.isOpened():
        if profile.fourcc != "H264":
            device.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*profile.fourcc))
        device.set(cv2.CAP_PROP_FRAME_WIDTH, profile.width_px)
        device.set(cv2.CAP_PROP_FRAME_HEIGHT, profile.height_px)
        device.set(cv2.CAP_PROP_FPS, profile.fps)
        device.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return device
