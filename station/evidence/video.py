"""Unboxing video evidence: chunk files kept under their SHA-256, their rows, checks and retention.

A closed chunk (drivers/camera/recorder.py) is taken in by ``take_in``: hashed, written durably
and read-only to ``<photo_dir>/videos/ab/cd/<sha256>.<ext>`` (the photo store's layout and
write path), recorded as a ``video_chunk`` row with an audit event in one unit of work, then
removed from the spool folder. ``check_chunks`` re-hashes every chunk still kept (a pruned one is
no problem), ``sweep_videos`` finds video files no row names, ``prune`` applies the retention days.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from drivers.camera.recorder import Chunk
from station.db.models import Inspection
from station.db.types import utcnow
from station.db.video_models import VideoChunk
from station.evidence.integrity import DEFAULT_GRACE_S, Stray
from station.evidence.store import (
    TEMP_PREFIX,
    EvidenceError,
    LocalPhotoStore,
    durable_write,
    sha256_hex,
)
from station.returns.states import OPEN_STATES, InspectionState
from station.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
VIDEO_DIR = "videos"
#: The actor of the audit events the recorder writes (no person pressed a button).
RECORDER_ACTOR = "system:video"
#: Cases that are never pruned whatever their age: still on the bench or waiting for a supervisor.
KEPT_STATES = frozenset(s.value for s in OPEN_STATES) | {InspectionState.FLAGGED.value}


def video_key(sha256: str, extension: str) -> str:
    """videos/ab/cd/abcd….webm: the originals' fan-out, with the container's extension."""
    return f"{VIDEO_DIR}/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


class VideoStore:
    """Chunk files in the local evidence folder (``evidence.photo_dir``), content-addressed."""

    def __init__(self, root: Path, min_free_mb: float = 0) -> None:
        self.root = root
        self._local = LocalPhotoStore(root, min_free_mb)

    def path(self, key: str) -> Path:
        """The file of ``key`` (EvidenceError for a key outside the video folder)."""
        if not key.startswith(f"{VIDEO_DIR}/") or ".." in key.split("/"):
            raise EvidenceError(f"bad video key {key!r}")
        return self.root / key

    def put(self, data: bytes, sha256: str, extension: str) -> str:
        """Keep ``data`` durably and read-only under its hash; the same bytes are not rewritten."""
        key = video_key(sha256, extension)
        target = self.path(key)
        if target.exists():
            if target.stat().st_size != len(data):
                raise EvidenceError(f"stored video {key} has a different size: tampered?")
            return key
        self._local.require_room(self._local.min_free_mb)
        durable_write(target, data)
        return key

    def read(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceError(f"video {key} is missing from {self.root}") from exc

    def delete(self, key: str) -> bool:
        """Remove a chunk file (retention); True when there was one."""
        target = self.path(key)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return True

    def files(self) -> Iterator[tuple[str, int, float]]:
        """(key, bytes, mtime) of every file under videos/ (temp files included)."""
        for stored in self._local.files():
            if stored.key.startswith(f"{VIDEO_DIR}/"):
                yield stored.key, stored.size_bytes, stored.mtime

    def quarantine(self, keys: list[str], batch: str) -> list[str]:
        """Move ``keys`` to ``.quarantine/<batch>/`` beside the photos' (never deleting)."""
        return self._local.quarantine(keys, batch)


def _aware(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def take_in(work: UnitOfWork, videos: VideoStore, inspection_id: str, station_id: str,
            chunk: Chunk, *, dropped: int = 0, camera: str = "", recovered: bool = False
            ) -> VideoChunk:
    """Hash the closed chunk, store it, record its row and audit event, remove the spool file.

    A chunk already recorded (a crash between the commit and the removal) is not recorded twice.
    """
    data = chunk.path.read_bytes()
    digest = sha256_hex(data)
    key = videos.put(data, digest, chunk.codec.extension)
    with work() as unit:
        session = unit.session
        row = session.execute(
            select(VideoChunk).where(VideoChunk.inspection_id == inspection_id)
            .where(VideoChunk.sequence == chunk.sequence)).scalar_one_or_none()
        if row is None:
            row = VideoChunk(
                inspection_id=inspection_id, sequence=chunk.sequence, sha256=digest,
                size_bytes=len(data), codec=chunk.codec.name, content_type=chunk.codec.mime_type,
                width=chunk.width_px, height=chunk.height_px, frames=chunk.frames,
                dropped_frames=dropped, started_at=_aware(chunk.started_at),
                ended_at=_aware(chunk.ended_at), storage_key=key, camera=camera[:100],
            )
            session.add(row)
            session.flush()
            unit.audit(actor=RECORDER_ACTOR, action="inspection.video_recorded",
                       entity_type="inspection", entity_id=inspection_id, station_id=station_id,
                       data={"chunk_id": row.id, "sequence": chunk.sequence, "sha256": digest,
                             "size_bytes": len(data), "codec": chunk.codec.name,
                             "seconds": round(chunk.ended_at - chunk.started_at, 1),
                             "dropped_frames": dropped, "recovered": recovered})
    chunk.path.unlink(missing_ok=True)
    return row


def chunks_of(session: Session, inspection_id: str) -> list[VideoChunk]:
    """An inspection's chunks in recording order (pruned ones included)."""
    return list(session.execute(
        select(VideoChunk).where(VideoChunk.inspection_id == inspection_id)
        .order_by(VideoChunk.sequence)).scalars())


@dataclass(frozen=True)
class ChunkCheck:
    """The outcome of re-hashing one chunk: ok | mismatch | missing | pruned (no problem)."""

    chunk_id: str
    inspection_id: str
    sequence: int
    status: str
    detail: str = ""


def check_chunk(videos: VideoStore, chunk: VideoChunk) -> ChunkCheck:
    """Re-read one chunk file and compare its SHA-256 and size with the recorded ones."""
    if chunk.pruned_at is not None:
        return ChunkCheck(chunk.id, chunk.inspection_id, chunk.sequence, "pruned",
                          f"deleted by the retention sweep at {chunk.pruned_at.isoformat()}")
    if chunk.storage_key is None:
        return ChunkCheck(chunk.id, chunk.inspection_id, chunk.sequence, "missing",
                          "the row names no file")
    try:
        data = videos.read(chunk.storage_key)
    except EvidenceError as exc:
        return ChunkCheck(chunk.id, chunk.inspection_id, chunk.sequence, "missing", str(exc))
    actual = sha256_hex(data)
    if actual != chunk.sha256 or len(data) != chunk.size_bytes:
        return ChunkCheck(chunk.id, chunk.inspection_id, chunk.sequence, "mismatch",
                          f"recorded {chunk.sha256[:12]}… ({chunk.size_bytes} B), found "
                          f"{actual[:12]}… ({len(data)} B)")
    return ChunkCheck(chunk.id, chunk.inspection_id, chunk.sequence, "ok")


def check_chunks(session: Session, videos: VideoStore) -> Iterator[ChunkCheck]:
    """Every chunk in the database, oldest first."""
    query = select(VideoChunk).order_by(VideoChunk.recorded_at, VideoChunk.sequence)
    for chunk in session.execute(query).scalars():
        yield check_chunk(videos, chunk)


def _kept_and_pruned(session: Session) -> tuple[set[str], set[str]]:
    """The storage keys of the chunks kept, and the SHA-256 of those pruned."""
    kept = {key for key in session.execute(
        select(VideoChunk.storage_key).where(VideoChunk.pruned_at.is_(None))).scalars() if key}
    pruned = set(session.execute(
        select(VideoChunk.sha256).where(VideoChunk.pruned_at.is_not(None))).scalars())
    return kept, pruned


def sweep_videos(session: Session, videos: VideoStore, *, grace_s: float = DEFAULT_GRACE_S,
                 now: float | None = None) -> tuple[list[Stray], int]:
    """Video files no kept chunk names (orphans) older than ``grace_s``, and how many younger
    ones were left alone. Temp files are the photo sweep's (it walks the whole folder)."""
    files = list(videos.files())
    kept, pruned = _kept_and_pruned(session)
    moment = time.time() if now is None else now
    strays, recent = [], 0
    for key, size, mtime in files:
        name = key.rsplit("/", 1)[-1]
        if name.startswith(TEMP_PREFIX) or key in kept or name.split(".", 1)[0] in pruned:
            continue  # a pruned chunk's file a crash left is the next prune's
        if moment - mtime < grace_s:
            recent += 1
        else:
            strays.append(Stray(key, "orphan", size, moment - mtime))
    return strays, recent


@dataclass(frozen=True)
class Pruned:
    """What one retention sweep did."""

    chunks: int
    inspections: int
    bytes: int
    files_deleted: int


def prune(work: UnitOfWork, videos: VideoStore, retention_days: int,
          now: datetime | None = None, actor: str = "system:retention") -> Pruned:
    """Delete chunks recorded more than ``retention_days`` ago, except of cases still open or
    flagged; one audit event per inspection. The rows stay (``pruned_at`` set, ``storage_key``
    cleared), so verify knows a pruned chunk from a missing one. Files are deleted after the
    commit; a file left by a crash in between is deleted by the next sweep."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    pruned_at = now or utcnow()
    with work() as unit:
        rows = list(unit.session.execute(
            select(VideoChunk, Inspection.state, Inspection.station_id)
            .join(Inspection, Inspection.id == VideoChunk.inspection_id)
            .where(VideoChunk.pruned_at.is_(None)).where(VideoChunk.recorded_at < cutoff)
            .order_by(VideoChunk.inspection_id, VideoChunk.sequence)).tuples())
        by_case: dict[str, list[VideoChunk]] = {}
        stations: dict[str, str] = {}
        for chunk, state, station_id in rows:
            if state in KEPT_STATES:
                continue
            by_case.setdefault(chunk.inspection_id, []).append(chunk)
            stations[chunk.inspection_id] = station_id
        for inspection_id, chunks in by_case.items():
            for chunk in chunks:
                chunk.pruned_at = pruned_at
                chunk.storage_key = None
            unit.audit(actor=actor, action="inspection.video_pruned", entity_type="inspection",
                       entity_id=inspection_id, station_id=stations[inspection_id],
                       data={"sequences": [c.sequence for c in chunks],
                             "sha256": [c.sha256 for c in chunks],
                             "bytes": sum(c.size_bytes for c in chunks),
                             "retention_days": retention_days})
    with work.db.reader() as session:
        kept, pruned = _kept_and_pruned(session)
    deleted = 0
    for key, _size, _mtime in list(videos.files()):
        name = key.rsplit("/", 1)[-1]
        if key not in kept and name.split(".", 1)[0] in pruned and videos.delete(key):
            deleted += 1
    chunks_pruned = sum(len(c) for c in by_case.values())
    return Pruned(chunks_pruned, len(by_case), sum(c.size_bytes for v in by_case.values() for c in v),
                  deleted)
