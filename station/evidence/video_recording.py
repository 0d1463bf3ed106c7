"""The bench records while a parcel is open: starts a chunk recorder at identification, stops it at
confirm (or flag), per category, and takes every closed chunk into the evidence.

The bench daemon learns of state changes from its own commits: a session listener notes a flush
that created an inspection or changed its state, and wakes the watcher thread after the commit.
The watcher then reads which inspection is open on this bench (one narrow query) and starts or
stops the recorder; it also looks every ``poll_s`` seconds, so a change made elsewhere (another
process on the same database) and a restart mid-parcel are followed too. Chunks left in the spool
folder by a crash are taken in at start; a chunk that was being written is lost (at most
``video.chunk_s`` seconds), its temp file removed.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Any

import cv2
from sqlalchemy import event, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from drivers.camera.recorder import (
    CODECS,
    TEMP_PREFIX,
    Chunk,
    ChunkRecorder,
    RecorderSettings,
    WaitFrame,
    codec_named,
    parse_chunk_name,
    pick_codec,
)
from station.config import ConfigError, VideoSection
from station.db.models import Inspection
from station.db.video_models import VideoChunk
from station.evidence.video import VideoStore, take_in
from station.returns.states import OPEN_STATES
from station.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
MB = 1024 * 1024
_WAKE_KEY = "video_recording_wake"
_OPEN = [s.value for s in OPEN_STATES]


def records_categories(config: VideoSection, categories: list[str]) -> bool:
    """True when a parcel whose lines have ``categories`` is recorded ('general' without lines)."""
    if not config.enabled:
        return False
    if not config.categories:
        return True
    return bool(set(categories or ["general"]) & set(config.categories))


class BenchVideo:
    """Records this bench's open parcel; ``start()`` once the camera runs, ``stop()`` at exit."""

    def __init__(self, config: VideoSection, work: UnitOfWork, videos: VideoStore,
                 station_id: str, frames: WaitFrame, camera: str = "camera",
                 poll_s: float = 5.0) -> None:
        self.config = config
        self.work = work
        self.videos = videos
        self.station_id = station_id
        self.camera = camera
        self.poll_s = poll_s
        self._frames = frames
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._recorder: ChunkRecorder | None = None
        #: The inspection being (or last) recorded; a recording that hit its bound stays ended.
        self.inspection_id: str | None = None
        self._listening = False
        self._dropped_before = 0

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> BenchVideo:
        """Take in chunks a crash left, listen to commits, start the watcher thread.

        ConfigError when this OpenCV build cannot write the configured ``video.codec``."""
        if self._thread is not None:
            return self
        try:
            pick_codec(self.config.codec)
        except ValueError as exc:
            raise ConfigError(f"video.codec = {self.config.codec!r}: {exc}") from None
        self.recover()
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "after_commit", self._after_commit)
        self._listening = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="bench-video", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the chunk being written (it is taken in) and end the watcher."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(15.0)
            self._thread = None
        self._stop_recorder()
        if self._listening:
            event.remove(Session, "after_flush", self._after_flush)
            event.remove(Session, "after_commit", self._after_commit)
            self._listening = False

    @property
    def recording(self) -> bool:
        """True while a recorder runs."""
        return self._recorder is not None and self._recorder.running

    @property
    def recorder(self) -> ChunkRecorder | None:
        """The current (or last) recorder, for its counters."""
        return self._recorder

    def wake(self) -> None:
        """Look at the open inspection now."""
        self._wake.set()

    # -- commits of this process ----------------------------------------------------------------
    def _ours(self, session: Session) -> bool:
        return session.bind is self.work.db.engine

    def _after_flush(self, session: Session, _context: Any) -> None:
        if not self._ours(session):
            return
        for row in list(session.new) + list(session.dirty):
            if isinstance(row, Inspection) and (
                row in session.new or inspect(row).attrs.state.history.has_changes()
            ):
                session.info[_WAKE_KEY] = True
                return

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(_WAKE_KEY, False):
            self._wake.set()

    # -- the watcher ----------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except SQLAlchemyError as exc:  # a busy or unreachable database: try at the next look
                log.warning("bench video: cannot read the open inspection: %s", exc)
            except Exception:
                log.exception("bench video: watcher step failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def reconcile(self) -> None:
        """Start recording the open inspection, or stop when there is none (or another one)."""
        open_id, categories = self._open_inspection()
        wanted = open_id if open_id and records_categories(self.config, categories) else None
        if wanted == self.inspection_id:
            return
        self._stop_recorder()
        self.inspection_id = wanted
        if wanted is not None:
            self._start_recorder(wanted)

    def _open_inspection(self) -> tuple[str | None, list[str]]:
        with self.work.db.reader() as session:
            found = session.execute(
                select(Inspection.id).where(Inspection.station_id == self.station_id)
                .where(Inspection.state.in_(_OPEN)).order_by(Inspection.received_at.desc())
                .limit(1)).scalar_one_or_none()
            if found is None:
                return None, []
            inspection = session.get(Inspection, found)
            rma = inspection.rma if inspection is not None else None
            categories = [i.category for i in rma.items if i.category] if rma is not None else []
            return found, categories

    def _start_recorder(self, inspection_id: str) -> None:
        with self.work.db.reader() as session:
            last, used = session.execute(
                select(func.max(VideoChunk.sequence), func.sum(VideoChunk.size_bytes))
                .where(VideoChunk.inspection_id == inspection_id)).one()
        budget = self.config.max_mb_per_parcel * MB - int(used or 0)
        if budget <= 0:
            log.info("bench video: %s already has its %d MB of video", inspection_id,
                     self.config.max_mb_per_parcel)
            return
        settings = RecorderSettings(fps=self.config.fps, width_px=self.config.width_px,
                                    chunk_s=self.config.chunk_s, max_bytes=budget,
                                    codec=self.config.codec)
        folder = self.config.spool_dir / inspection_id
        recorder = ChunkRecorder(self._frames, folder, settings,
                                 lambda chunk: self._take_in(inspection_id, chunk),
                                 first_sequence=int(last or 0) + 1, name="video-recorder")
        self._dropped_before = 0
        self._recorder = recorder.start()
        log.info("bench video: recording %s (%s, %g fps, %d px wide)", inspection_id,
                 recorder.codec.name, settings.fps, settings.width_px)

    def _stop_recorder(self) -> None:
        recorder = self._recorder
        if recorder is not None:
            recorder.stop()
            log.info("bench video: stopped (%d chunks, %d frames, %d dropped)%s",
                     recorder.chunks_closed, recorder.frames_written, recorder.dropped,
                     f": {recorder.stopped_because}" if recorder.stopped_because else "")

    def _take_in(self, inspection_id: str, chunk: Chunk) -> None:
        recorder = self._recorder
        total = recorder.dropped if recorder is not None else 0
        dropped, self._dropped_before = total - self._dropped_before, total
        take_in(self.work, self.videos, inspection_id, self.station_id, chunk,
                dropped=max(0, dropped), camera=self.camera)

    # -- after a crash --------------------------------------------------------------------------
    def recover(self) -> int:
        """Take in closed chunks left in the spool folder; remove half-written ones. How many."""
        root = self.config.spool_dir
        if not root.is_dir():
            return 0
        taken = 0
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            for path in sorted(folder.iterdir()):
                if path.name.startswith(TEMP_PREFIX):
                    log.warning("bench video: %s was being written when the bench stopped; "
                                "its seconds are lost", path)
                    path.unlink(missing_ok=True)
                    continue
                chunk = _chunk_from_file(path, self.config.fps)
                if chunk is None:
                    continue
                try:
                    take_in(self.work, self.videos, folder.name, self.station_id, chunk,
                            camera=self.camera, recovered=True)
                    taken += 1
                except (SQLAlchemyError, OSError, ValueError) as exc:
                    log.error("bench video: chunk %s not taken in: %s", path, exc)
            if not any(folder.iterdir()):
                shutil.rmtree(folder, ignore_errors=True)
        return taken


def _chunk_from_file(path: Path, fps: float) -> Chunk | None:
    """A closed chunk file described from itself (frames, size) and its modification time."""
    sequence = parse_chunk_name(path.name)
    extension = path.suffix.lstrip(".")
    if sequence is None:
        return None
    reader = cv2.VideoCapture(str(path))
    try:
        code = int(reader.get(cv2.CAP_PROP_FOURCC) or 0)
        fourcc = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).upper()
        codec = next((c for c in CODECS if c.extension == extension
                      and (c.fourcc.upper() == fourcc or c.extension != "webm")), None)
        if codec is None and extension == "webm":
            codec = codec_named("vp8")
        if codec is None:
            return None
        frames = int(reader.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        width = int(reader.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(reader.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    finally:
        reader.release()
    stat = path.stat()
    return Chunk(path, sequence, stat.st_mtime - max(frames, 1) / fps, stat.st_mtime, frames,
                 stat.st_size, width, height, codec)
