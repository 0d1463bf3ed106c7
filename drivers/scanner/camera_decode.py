"""Camera barcode decoding: a cascade of readers and image stages within a per-frame time budget.

Measured on real photos, ZBar reads EAN-13 better than zxing-cpp and zxing-cpp reads QR and
DataMatrix better, so the cascade runs both before it spends time on image stages. A read whose
EAN/UPC check digit fails is dropped; the same code seen again within ``hold_s`` is not repeated.

Hands-free reading (``scan``, the camera-scan thread) looks first: drivers.scanner.first_look
finds the regions that may hold a code on a strided sample of the frame, and the cascade runs on
the full-resolution crops of those regions only; a frame without one costs no reader at all, and
a frame showing the same scene as the last one read (that held no code) is skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from drivers.scanner import decode_stages as st
from drivers.scanner.aim import Symbology
from drivers.scanner.events import ScanEvent
from drivers.scanner.first_look import Look, LookConfig, SceneWatch, look_at, sampled, thumbnail
from drivers.scanner.interpret import ScanRejected, check_digit_ok, interpret
from drivers.scanner.plausibility import DEFAULT_MIN_CHARS, implausible
from drivers.state import DeviceState, DeviceStatus

Frame = npt.NDArray[np.uint8]
log = logging.getLogger(__name__)
Stage = Callable[[st.Grey, "DecoderConfig"], Iterator[tuple[st.Grey, st.Affine, str]]]

#: Every stage, in the default order (cheapest and most productive first).
ALL_STAGES = ("zxing", "zbar", "crops", "equalize", "threshold", "rotate45", "invert")
_CHECKED = frozenset({Symbology.EAN13, Symbology.EAN8, Symbology.UPCA})


@dataclass(frozen=True)
class DecoderConfig:
    """Which stages run, how long a frame may take, and how long a repeated code is held back."""

    stages: tuple[str, ...] = ALL_STAGES
    budget_ms: float = 60.0
    hold_s: float = 2.0
    max_crops: int = 3
    source: str = "camera"
    min_chars: int = DEFAULT_MIN_CHARS
    #: ``scan`` looks first (first_look) and reads only the candidate regions; off: whole frames.
    first_look: bool = True
    look: LookConfig = field(default_factory=LookConfig)
    #: ``scan`` skips a frame of the same scene as the last frame read, if that held no code ...
    skip_unchanged: bool = True
    #: ... but not more than this many in a row (a code held still that was hard to read).
    unchanged_retry_frames: int = 15

    def __post_init__(self) -> None:
        unknown = [name for name in self.stages if name not in ALL_STAGES]
        if unknown:
            raise ValueError(f"unknown decode stage(s) {unknown}; known: {list(ALL_STAGES)}")
        if self.unchanged_retry_frames < 0:
            raise ValueError("unchanged_retry_frames must be 0 or more")


@dataclass(frozen=True)
class DecodeResult:
    """One code in a frame: data, symbology, AIM id, corners in the frame, stage that read it."""

    text: str
    symbology: Symbology
    aim_id: str
    corners: st.Corners
    stage: str
    reader: str

    @property
    def raw(self) -> str:
        """What a hardware scanner with AIM ids switched on would have sent."""
        return self.aim_id + self.text


@dataclass
class DecodeReport:
    """All results of one frame, plus which stages ran and how long it took."""

    results: list[DecodeResult] = field(default_factory=list)
    stages_run: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    rejected: list[str] = field(default_factory=list)
    #: Regions the first look found (hands-free reading only).
    candidates: int = 0
    #: Why no reader ran: "no candidate", "unchanged" (hands-free reading only), else "".
    skipped: str = ""


def plausible(symbology: Symbology, text: str) -> bool:
    """False for an EAN/UPC read whose length or GS1 check digit is wrong (a misread)."""
    if symbology in _CHECKED:
        # UPC-A travels as 13 digits (leading 0), so it is checked as the EAN-13 it is.
        as_checked = Symbology.EAN13 if symbology is Symbology.UPCA else symbology
        return check_digit_ok(str(as_checked), text)
    return bool(text)


# -- stages: each yields (image, affine frame->image, reader names) ---------------------------
def _full(grey: st.Grey, _: DecoderConfig, reader: str) -> Iterator[tuple[st.Grey, st.Affine, str]]:
    yield grey, st.identity(), reader


def _crops(grey: st.Grey, config: DecoderConfig) -> Iterator[tuple[st.Grey, st.Affine, str]]:
    for crop, affine in st.candidate_crops(grey, max_crops=config.max_crops):
        yield crop, affine, "zxing+zbar"


def _mapped(
    transform: Callable[[st.Grey], st.Grey], reader: str
) -> Stage:
    def stage(grey: st.Grey, _: DecoderConfig) -> Iterator[tuple[st.Grey, st.Affine, str]]:
        yield transform(grey), st.identity(), reader

    return stage


def _rotate45(grey: st.Grey, _: DecoderConfig) -> Iterator[tuple[st.Grey, st.Affine, str]]:
    for angle in (45.0, -45.0):
        image, affine = st.rotated(grey, angle)
        yield image, affine, "zbar+zxing"


_STAGES: dict[str, Stage] = {
    "zxing": lambda grey, config: _full(grey, config, "zxing"),
    "zbar": lambda grey, config: _full(grey, config, "zbar"),
    "crops": _crops,
    "equalize": _mapped(st.equalised, "zxing+zbar"),
    "threshold": _mapped(st.adaptive_threshold, "zxing+zbar"),
    "rotate45": _rotate45,
    "invert": _mapped(st.inverted, "zbar"),
}
_READERS = {"zxing": st.read_zxing, "zbar": st.read_zbar}


def frame_problem(frame: object) -> str | None:
    """Why ``frame`` is not an image the decoder reads (None when it is: 8-bit grey/BGR/BGRA)."""
    if not isinstance(frame, np.ndarray):
        return f"frame is {type(frame).__name__}, not an image array"
    if frame.dtype != np.uint8:
        return f"frame has {frame.dtype} pixels, not 8-bit"
    if frame.ndim == 3 and frame.shape[2] not in (1, 3, 4):
        return f"frame has {frame.shape[2]} channels, not 1, 3 or 4"
    if frame.ndim not in (2, 3):
        return f"frame has {frame.ndim} dimensions, not 2 or 3"
    if frame.shape[0] < 8 or frame.shape[1] < 8:
        return f"frame of {frame.shape[1]}x{frame.shape[0]} pixels is too small"
    return None


def to_grey(frame: Frame) -> st.Grey:
    """Grey copy of a BGR / BGRA frame (grey frames pass through); ValueError for other frames."""
    problem = frame_problem(frame)
    if problem is not None:
        raise ValueError(problem)
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 1:
        return frame[:, :, 0]
    code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(frame, code)  # type: ignore[return-value]


def _then(stage: st.Affine, base: st.Affine) -> st.Affine:
    """The affine ``base`` (frame -> region) followed by ``stage`` (region -> stage image)."""
    out = np.empty((2, 3))
    out[:, :2] = stage[:, :2] @ base[:, :2]
    out[:, 2] = stage[:, :2] @ base[:, 2] + stage[:, 2]
    return out


class CameraDecoder:
    """Runs the cascade on frames; ``scan`` adds de-duplication and ScanEvent mapping."""

    def __init__(self, config: DecoderConfig | None = None) -> None:
        self.config = config or DecoderConfig()
        self._last_seen: dict[tuple[str, str], float] = {}
        self._scene = SceneWatch()
        self._unchanged_in_a_row = 0
        self._last_read_found = False
        #: The report of the last ``scan`` (what the scan thread counts).
        self.last_report = DecodeReport()

    def decode(self, frame: Frame) -> DecodeReport:
        """Every plausible code in ``frame``; stops at the first stage that reads something."""
        started = time.perf_counter()
        report = DecodeReport()
        self._cascade(report, [(to_grey(frame), st.identity())],
                      started + self.config.budget_ms / 1000.0)
        report.elapsed_ms = (time.perf_counter() - started) * 1000.0
        return report

    def read(self, frame: Frame) -> DecodeReport:
        """The first look, then the cascade on the full-resolution crop of each candidate only.

        A frame where the first look sees no candidate is reported empty without any reader.
        """
        started = time.perf_counter()
        problem = frame_problem(frame)
        if problem is not None:
            raise ValueError(problem)
        small, step = sampled(frame, self.config.look.analysis_width_px)
        look = look_at(small, step, frame.shape[1], frame.shape[0], self.config.look)
        return self._read_look(frame, look, started)

    def hands_free(self, frame: Frame) -> DecodeReport:
        """``read`` that skips what has not changed since a read that found nothing.

        A frame of the same scene is skipped before the first look; of a changed frame only the
        candidates whose part of the scene moved are read. Every ``unchanged_retry_frames``-th
        frame in a row is read whole anyway.
        """
        started = time.perf_counter()
        problem = frame_problem(frame)
        if problem is not None:
            raise ValueError(problem)
        config = self.config
        small, step = sampled(frame, config.look.analysis_width_px)
        thumb = thumbnail(small)
        if (config.skip_unchanged and not self._last_read_found
                and self._unchanged_in_a_row < config.unchanged_retry_frames
                and self._scene.unchanged(thumb)):
            self._unchanged_in_a_row += 1
            return DecodeReport(skipped="unchanged",
                                elapsed_ms=(time.perf_counter() - started) * 1000.0)
        height, width = frame.shape[:2]
        look = look_at(small, step, width, height, config.look)
        if (config.skip_unchanged and not self._last_read_found and look.candidates
                and self._unchanged_in_a_row < config.unchanged_retry_frames):
            # read only the candidates whose part of the scene moved (a hand, a parcel)
            moved = [box for box in look.candidates
                     if not self._scene.unchanged_within(thumb, box, width, height)]
            if not moved:
                self._unchanged_in_a_row += 1
                return DecodeReport(stages_run=["first_look"], candidates=len(look.candidates),
                                    skipped="unchanged",
                                    elapsed_ms=(time.perf_counter() - started) * 1000.0)
            look.candidates = moved
        self._unchanged_in_a_row = 0
        report = self._read_look(frame, look, started)
        self._scene.remember(thumb)
        self._last_read_found = bool(report.results)
        return report

    def _read_look(self, frame: Frame, look: Look, started: float) -> DecodeReport:
        report = DecodeReport(stages_run=["first_look"], candidates=len(look.candidates))
        regions: list[tuple[st.Grey, st.Affine]] = []
        for box in look.candidates:
            if box.width < 8 or box.height < 8:
                continue
            crop = to_grey(frame[box.y:box.y + box.height, box.x:box.x + box.width])
            base = np.array([[1.0, 0.0, -box.x], [0.0, 1.0, -box.y]])
            regions.append((np.ascontiguousarray(crop), base))
        deadline = started + self.config.budget_ms / 1000.0
        if regions:
            self._cascade(report, regions, deadline)
            if not report.results and "crops" in self.config.stages and \
                    time.perf_counter() < deadline:
                # the localiser framing the code itself in the whole frame: a blurred matrix
                # code it frames tighter is read there when its first-look crop is not
                report.stages_run.append("frame")
                self._cascade(report, [(to_grey(frame), st.identity())], deadline, ("crops",))
        else:
            report.skipped = "no candidate"
        report.elapsed_ms = (time.perf_counter() - started) * 1000.0
        return report

    def _cascade(
        self, report: DecodeReport, regions: list[tuple[st.Grey, st.Affine]], deadline: float,
        stages: tuple[str, ...] | None = None,
    ) -> None:
        """The stages in order; each runs on every region before the next, costlier one starts.

        ``regions`` are (grey image, affine frame -> image): the whole frame, or candidate crops.
        """
        for index, name in enumerate(self.config.stages if stages is None else stages):
            if index and time.perf_counter() > deadline:
                break
            report.stages_run.append(name)
            for region, base in regions:
                # the first stage reads every region whatever the clock says, as it reads a frame
                if index and time.perf_counter() > deadline:
                    break
                for image, affine, readers in _STAGES[name](region, self.config):
                    self._read_into(report, image, _then(affine, base), readers, name, deadline)
                    if report.results or time.perf_counter() > deadline:
                        break
                if report.results:
                    break
            if report.results:
                break

    def _read_into(
        self, report: DecodeReport, image: st.Grey, affine: st.Affine, readers: str, stage: str,
        deadline: float,
    ) -> None:
        seen = {(r.symbology, r.text) for r in report.results}
        for index, reader in enumerate(readers.split("+")):
            if index and time.perf_counter() > deadline:
                return  # the budget is checked before each reader, so one reader may overrun
            for read in _READERS[reader](image):
                if not plausible(read.symbology, read.text):
                    report.rejected.append(f"{read.symbology}:{read.text}")
                    continue
                if (read.symbology, read.text) in seen:
                    continue
                seen.add((read.symbology, read.text))
                corners = st.map_back(read.corners, affine)
                report.results.append(
                    DecodeResult(read.text, read.symbology, read.aim_id, corners, stage, reader)
                )
            if report.results:
                return

    def fresh(self, results: list[DecodeResult], now: float | None = None) -> list[DecodeResult]:
        """Results not seen within ``hold_s``; every sighting restarts the hold of its code."""
        now = time.monotonic() if now is None else now
        fresh: list[DecodeResult] = []
        for result in results:
            key = (str(result.symbology), result.text)
            last = self._last_seen.get(key)
            self._last_seen[key] = now
            if last is None or now - last > self.config.hold_s:
                fresh.append(result)
        if len(self._last_seen) > 256:
            horizon = now - self.config.hold_s
            self._last_seen = {k: t for k, t in self._last_seen.items() if t >= horizon}
        return fresh

    def scan(self, frame: Frame, now: float | None = None) -> list[ScanEvent]:
        """Decode ``frame`` (hands-free unless ``first_look`` is off) and return new ScanEvents.

        Codes seen within ``hold_s`` are not repeated. The same plausibility checks as the
        hardware scanners apply (length, content, check digits, GS1 data in GS1 symbologies);
        ValueError when the frame is no readable image.
        """
        events: list[ScanEvent] = []
        report = self.hands_free(frame) if self.config.first_look else self.decode(frame)
        self.last_report = report
        for result in self.fresh(report.results, now):
            try:
                event = interpret(result.raw, self.config.source, str(result.symbology))
            except ScanRejected:
                continue  # binary QR content and the like: not a scan the station can use
            if implausible(event, self.config.min_chars) is None:
                events.append(event)
        return events


class FrameFeed(Protocol):
    """What the scan source needs from a camera (drivers.camera.capture.CameraCapture has it)."""

    def wait_frame(self, after_seq: int = 0, timeout_s: float = 1.0) -> tuple[int, Frame] | None:
        ...


@dataclass
class ScanSourceStats:
    """What the decode thread did: frames decoded, frames skipped and why, restarts."""

    frames_decoded: int = 0
    #: Of the frames decoded: no reader ran (the first look saw no code), the scene was unchanged.
    frames_without_candidate: int = 0
    frames_unchanged: int = 0
    bad_frames: int = 0
    decode_errors: int = 0
    restarts: int = 0
    last_problem: str = ""


class CameraScanSource:
    """Decodes the newest camera frame on its own thread and hands new codes to ``on_scan``.

    Frames that arrive while one is being decoded are skipped (always the latest, never a queue).
    A frame the decoder cannot read (16-bit, 2 channels ...) and a decoder exception are counted
    and skipped; ``bad_frame_limit`` of them in a row, or a failure of the loop itself, reports
    the camera as ERROR through ``on_status``, and the loop starts again after ``restart_s``.
    The next decoded frame reports READY again.
    """

    def __init__(
        self, feed: FrameFeed, on_scan: Callable[[ScanEvent], None],
        config: DecoderConfig | None = None, *,
        on_status: Callable[[DeviceStatus], None] | None = None, device: str = "camera",
        bad_frame_limit: int = 30, restart_s: float = 1.0,
    ) -> None:
        self.decoder = CameraDecoder(config)
        self._feed = feed
        self._on_scan = on_scan
        self._on_status = on_status
        self.device = device
        self.bad_frame_limit = bad_frame_limit
        self.restart_s = restart_s
        self.stats = ScanSourceStats()
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def frames_decoded(self) -> int:
        """Frames decoded so far."""
        return self.stats.frames_decoded

    @property
    def alive(self) -> bool:
        """True while the decode thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> CameraScanSource:
        """Start decoding (idempotent; a dead thread is replaced); returns self."""
        if not self.alive:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="camera-scan", daemon=True)
            self._thread.start()
        return self

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the decode thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _report(self, state: DeviceState, reason: str) -> None:
        self._failing = state is DeviceState.ERROR
        if self._on_status is None:
            return
        try:
            self._on_status(DeviceStatus(self.device, state, reason))
        except Exception:  # a listener's bug must not stop decoding
            log.exception("camera scan status listener failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._decode_loop()
            except Exception as exc:  # the loop itself broke: say so, start it again
                log.exception("camera barcode reading stopped")
                self.stats.restarts += 1
                self.stats.last_problem = f"decoder stopped: {exc!r}"
                self._report(DeviceState.ERROR, f"barcode reading stopped ({exc!r}); restarting")
                self._stop.wait(self.restart_s)

    def _decode_loop(self) -> None:
        seq = 0
        in_a_row = 0
        while not self._stop.is_set():
            newest = self._feed.wait_frame(seq, timeout_s=0.2)
            if newest is None:
                continue
            seq, frame = newest
            problem = frame_problem(frame)
            events: list[ScanEvent] = []
            if problem is not None:
                self.stats.bad_frames += 1
            else:
                try:
                    events = self.decoder.scan(frame)
                except Exception as exc:  # one frame the readers choke on is skipped
                    log.debug("camera frame not decoded", exc_info=True)
                    problem = f"decoder failed on a frame: {exc!r}"
                    self.stats.decode_errors += 1
            if problem is not None:
                self.stats.last_problem = problem
                in_a_row += 1
                if in_a_row >= self.bad_frame_limit and not self._failing:
                    self._report(DeviceState.ERROR, f"{in_a_row} frames in a row unreadable: {problem}")
                continue
            in_a_row = 0
            self.stats.frames_decoded += 1
            skipped = self.decoder.last_report.skipped
            if skipped == "no candidate":
                self.stats.frames_without_candidate += 1
            elif skipped == "unchanged":
                self.stats.frames_unchanged += 1
            if self._failing:
                self._report(DeviceState.READY, "barcode reading again")
            for event in events:
                try:
                    self._on_scan(event)
                except Exception:  # a listener's bug must not stop decoding
                    log.exception("camera scan listener failed")
