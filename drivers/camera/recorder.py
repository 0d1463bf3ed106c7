"""Unboxing video: the capture thread's frames written as short, complete, durable chunk files.

A ``ChunkRecorder`` reads the newest frame of a running ``CameraCapture`` (the device is never
opened twice) on its own thread, at the recording's own frame rate and width, and writes it with
OpenCV's ``VideoWriter``. Every few seconds it closes the chunk: the writer is released (the file
is then complete and playable), fsynced, renamed from ``.tmp-…`` to ``chunk-<seq>.<ext>`` and its
folder fsynced, so a crash loses at most the chunk being written. Memory stays bounded: the
recorder holds one frame, never a queue; when writing falls behind, the frames it missed are
counted in ``dropped``. The bytes of one recording are bounded by ``max_bytes``: a chunk is
planned from the size of the chunks before it and recording stops before the bound.

The codec is picked at run time from what this OpenCV build can write (``pick_codec``): VP8 in
WebM first (Chromium plays it in a <video> element), then VP9, H.264 MP4, MJPEG AVI.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
Frame = npt.NDArray[np.uint8]

#: Temporary chunk files start so (the same prefix the evidence store uses for its temp files).
TEMP_PREFIX = ".tmp-"
CHUNK_PREFIX = "chunk-"


@dataclass(frozen=True)
class Codec:
    """One way to write video: the writer's fourcc, the file extension and its MIME type."""

    name: str
    fourcc: str
    extension: str
    mime_type: str
    #: True when Chromium plays the file in an HTML5 <video> element.
    browser_plays: bool


#: In order of preference: WebM (VP8, VP9) plays in Chromium; H.264 MP4 needs an encoder this
#: build may lack (the pip wheel of OpenCV has none); MJPEG AVI always works but no browser plays it.
CODECS = (
    Codec("vp8", "VP80", "webm", "video/webm", True),
    Codec("vp9", "VP90", "webm", "video/webm", True),
    Codec("h264", "avc1", "mp4", "video/mp4", True),
    Codec("mjpeg", "MJPG", "avi", "video/x-msvideo", False),
)
CODEC_NAMES = tuple(c.name for c in CODECS)
_usable: dict[str, bool] = {}
_probe_lock = threading.Lock()


def codec_named(name: str) -> Codec:
    """The codec called ``name`` (one of CODEC_NAMES); ValueError otherwise."""
    for codec in CODECS:
        if codec.name == name:
            return codec
    raise ValueError(f"unknown video codec {name!r}; known: {', '.join(CODEC_NAMES)}")


def can_write(codec: Codec) -> bool:
    """True when this OpenCV build writes a readable file with ``codec`` (probed once, cached)."""
    with _probe_lock:
        if codec.name not in _usable:
            _usable[codec.name] = _probe(codec)
        return _usable[codec.name]


def _probe(codec: Codec) -> bool:
    with tempfile.TemporaryDirectory(prefix="station-codec-") as folder:
        path = os.path.join(folder, f"probe.{codec.extension}")
        writer = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*codec.fourcc), 5.0, (64, 48))
        try:
            if not writer.isOpened():
                return False
            for shade in range(0, 250, 50):
                writer.write(np.full((48, 64, 3), shade, np.uint8))
        finally:
            writer.release()
        reader = cv2.VideoCapture(path)
        try:
            ok, _frame = reader.read()
        finally:
            reader.release()
        return bool(ok)


def pick_codec(preferred: str = "auto") -> Codec:
    """``preferred`` if this build can write it, or with "auto" the first writable of CODECS.

    ValueError when none (or not the one asked for) can be written.
    """
    choices = CODECS if preferred == "auto" else (codec_named(preferred),)
    for codec in choices:
        if can_write(codec):
            return codec
    raise ValueError(f"this OpenCV build cannot write {preferred} video" if preferred != "auto"
                     else "this OpenCV build can write none of " + ", ".join(CODEC_NAMES))


@dataclass(frozen=True)
class RecorderSettings:
    """How one recording is made: frame rate, width, chunk length and the byte bound."""

    fps: float = 5.0
    width_px: int = 640
    chunk_s: float = 5.0
    max_bytes: int = 200 * 1024 * 1024
    codec: str = "auto"


@dataclass(frozen=True)
class Chunk:
    """One closed chunk file: complete, fsynced and in place under its final name."""

    path: Path
    sequence: int
    started_at: float
    ended_at: float
    frames: int
    size_bytes: int
    width_px: int
    height_px: int
    codec: Codec


#: ``CameraCapture.wait_frame``: (after_seq, timeout_s) -> (seq, frame) or None.
WaitFrame = Callable[[int, float], "tuple[int, Frame] | None"]
OnChunk = Callable[[Chunk], None]


def chunk_name(sequence: int, codec: Codec) -> str:
    """``chunk-000001.webm``: the final name of a closed chunk."""
    return f"{CHUNK_PREFIX}{sequence:06d}.{codec.extension}"


def parse_chunk_name(name: str) -> int | None:
    """The sequence number in a closed chunk's file name, or None for any other name."""
    if not name.startswith(CHUNK_PREFIX) or "." not in name:
        return None
    digits = name[len(CHUNK_PREFIX):].split(".", 1)[0]
    return int(digits) if digits.isdigit() else None


def _fsync_path(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ChunkRecorder:
    """Records frames from ``wait_frame`` into ``folder`` until ``stop()``; see the module text.

    ``on_chunk`` is called on the recorder's thread with each closed chunk (an exception there
    is logged and recording goes on). ``first_sequence`` numbers the first chunk (a recording
    resumed after a restart goes on from the chunks it already has).
    """

    def __init__(self, wait_frame: WaitFrame, folder: Path, settings: RecorderSettings,
                 on_chunk: OnChunk, *, first_sequence: int = 1, name: str = "recorder") -> None:
        if settings.fps <= 0 or settings.chunk_s <= 0 or settings.width_px < 16:
            raise ValueError("recording needs fps > 0, chunk_s > 0 and width_px >= 16")
        self.codec = pick_codec(settings.codec)
        self.settings = settings
        self.folder = folder
        self.name = name
        self._wait_frame = wait_frame
        self._on_chunk = on_chunk
        self._sequence = first_sequence
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Frame slots missed because writing fell behind (the frame was not written).
        self.dropped = 0
        self.frames_written = 0
        self.chunks_closed = 0
        self.bytes_closed = 0
        #: Why recording ended early ("" while it runs or after a plain stop()).
        self.stopped_because = ""

    @property
    def running(self) -> bool:
        """True while the recorder thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> ChunkRecorder:
        """Start the recorder thread (idempotent); returns self."""
        if self._thread is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Close the chunk being written (it is kept) and end the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._record()
        except Exception:  # a writer or disk fault ends this recording, never the daemon
            log.exception("%s: recording failed", self.name)
            self.stopped_because = "recording failed (see the log)"

    def _record(self) -> None:
        interval = 1.0 / self.settings.fps
        seq = 0
        while not self._stop.is_set():
            frames_allowed = self._frames_allowed()
            if frames_allowed < 1:
                self.stopped_because = f"size bound reached ({self.settings.max_bytes} bytes)"
                log.info("%s: %s", self.name, self.stopped_because)
                return
            seq = self._write_chunk(seq, interval, frames_allowed)

    def _frames_allowed(self) -> int:
        """Frames the next chunk may hold: its length, cut to what the byte bound leaves."""
        per_chunk = max(1, round(self.settings.chunk_s * self.settings.fps))
        left = self.settings.max_bytes - self.bytes_closed
        if self.frames_written and self.bytes_closed:
            per_frame = self.bytes_closed / self.frames_written
        else:  # nothing measured yet: a pessimistic guess (a twentieth of the raw frame)
            width = self.settings.width_px
            per_frame = width * width * 9 / 16 * 3 / 20
        # The container's own header and index, and a margin for a busier scene than before.
        usable = left * 0.8 - 16 * 1024
        return min(per_chunk, int(usable // (per_frame * 1.5))) if usable > 0 else 0

    def _write_chunk(self, seq: int, interval: float, frames_allowed: int) -> int:
        fd, temp_name = tempfile.mkstemp(dir=self.folder, prefix=TEMP_PREFIX,
                                         suffix=f".{self.codec.extension}")
        os.close(fd)
        temp = Path(temp_name)
        writer: cv2.VideoWriter | None = None
        size: tuple[int, int] | None = None
        frames = 0
        started_at = ended_at = time.time()
        next_due = time.monotonic()
        try:
            while frames < frames_allowed and not self._stop.is_set():
                newest = self._wait_frame(seq, min(1.0, interval * 4))
                now = time.monotonic()
                if newest is None:
                    continue
                if now < next_due:
                    self._stop.wait(next_due - now)
                    continue
                seq, frame = newest
                if writer is None:
                    size = _record_size(frame, self.settings.width_px)
                    writer = cv2.VideoWriter(temp_name, cv2.VideoWriter.fourcc(*self.codec.fourcc),
                                             self.settings.fps, size)
                    if not writer.isOpened():
                        raise OSError(f"cannot open a {self.codec.name} writer on {temp_name}")
                    started_at = time.time()
                assert size is not None
                writer.write(_fit(frame, size))
                frames += 1
                ended_at = time.time()
                next_due += interval
                behind = time.monotonic() - next_due
                if behind > interval:  # the writer fell behind: skip the slots it missed
                    missed = int(behind // interval)
                    self.dropped += missed
                    next_due += missed * interval
        finally:
            if writer is not None:
                writer.release()
        if frames == 0:
            temp.unlink(missing_ok=True)
            return seq
        assert size is not None
        self._close_chunk(temp, frames, started_at, ended_at, size)
        return seq

    def _close_chunk(self, temp: Path, frames: int, started_at: float, ended_at: float,
                     size: tuple[int, int]) -> None:
        """fsync the finished file, rename it to its final name, fsync the folder, report it."""
        final = self.folder / chunk_name(self._sequence, self.codec)
        _fsync_path(temp)
        os.replace(temp, final)
        _fsync_path(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        size_bytes = final.stat().st_size
        chunk = Chunk(final, self._sequence, started_at, ended_at, frames, size_bytes,
                      size[0], size[1], self.codec)
        self._sequence += 1
        self.frames_written += frames
        self.chunks_closed += 1
        self.bytes_closed += size_bytes
        try:
            self._on_chunk(chunk)
        except Exception:  # the file stays in the folder; the station picks it up later
            log.exception("%s: chunk %s was written but not taken in", self.name, final.name)


def _record_size(frame: Frame, width_px: int) -> tuple[int, int]:
    """(width, height) of the recording: the frame scaled down to ``width_px`` (never up), even."""
    height, width = frame.shape[:2]
    if width > width_px:
        height = round(height * width_px / width)
        width = width_px
    return width - width % 2, height - height % 2


def _fit(frame: Frame, size: tuple[int, int]) -> Frame:
    """The frame as a BGR image of ``size`` (grey frames made BGR; bigger frames scaled down)."""
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)  # type: ignore[assignment]
    if (frame.shape[1], frame.shape[0]) != size:
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)  # type: ignore[assignment]
    return frame
