"""Re-hashes stored originals against the database and sweeps the store for files no row names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db.models import Photo
from station.evidence.store import (
    QUARANTINE_DIR,
    TEMP_PREFIX,
    EvidenceError,
    PhotoStore,
    sha256_hex,
)

#: Strays younger than this are left alone: a capture may be between its file and its row.
DEFAULT_GRACE_S = 600.0


@dataclass(frozen=True)
class PhotoCheck:
    """The outcome of re-hashing one photo."""

    photo_id: str
    inspection_id: str
    status: str  # ok | mismatch | missing
    detail: str = ""


@dataclass(frozen=True)
class Stray:
    """A file in the store that is no evidence: an original without a row, or a temp leftover."""

    key: str
    kind: str  # orphan | temp
    size_bytes: int
    age_s: float


@dataclass
class Sweep:
    """Strays old enough to act on, and how many younger ones were left alone."""

    strays: list[Stray] = field(default_factory=list)
    recent: int = 0

    def count(self, kind: str) -> int:
        return sum(1 for stray in self.strays if stray.kind == kind)


def check_photo(store: PhotoStore, photo: Photo, *, deep: bool = True) -> PhotoCheck:
    """Compare one original's SHA-256 and size with the recorded ones: re-read and re-hashed,
    or (``deep=False``) the checksum the store itself keeps when it keeps one (an S3 object's
    SHA-256 from HeadObject), else re-hashed all the same."""
    try:
        attested = None if deep else store.attested(photo.storage_key)
        if attested is None:
            data = store.get_original(photo.storage_key)
            actual, size = sha256_hex(data), len(data)
        else:
            actual, size = attested
    except EvidenceError as exc:
        return PhotoCheck(photo.id, photo.inspection_id, "missing", str(exc))
    if actual != photo.sha256 or size != photo.size_bytes:
        return PhotoCheck(
            photo.id,
            photo.inspection_id,
            "mismatch",
            f"recorded {photo.sha256[:12]}… ({photo.size_bytes} B), found {actual[:12]}… "
            f"({size} B)",
        )
    return PhotoCheck(photo.id, photo.inspection_id, "ok")


def check_all(session: Session, store: PhotoStore, *, deep: bool = True) -> Iterator[PhotoCheck]:
    """Every photo in the database, oldest first."""
    for photo in session.execute(select(Photo).order_by(Photo.taken_at)).scalars():
        yield check_photo(store, photo, deep=deep)


def referenced_keys(session: Session) -> set[str]:
    return set(session.execute(select(Photo.storage_key)).scalars())


def sweep(session: Session, store: PhotoStore, *, grace_s: float = DEFAULT_GRACE_S,
          now: float | None = None) -> Sweep:
    """Originals no photo row names (a capture killed between file and row) and ``.tmp-*``
    files (a write killed before its rename) anywhere in the store; derivatives are not strays.

    The files are listed before the rows are read, so a capture committed meanwhile counts as
    referenced; one still in flight is younger than ``grace_s`` and left alone.
    """
    files = list(store.files())
    referenced = referenced_keys(session)
    moment = time.time() if now is None else now
    found = Sweep()
    for stored in files:
        name = stored.key.rsplit("/", 1)[-1]
        if name.startswith(TEMP_PREFIX):
            kind = "temp"
        elif stored.key.startswith("originals/") and stored.key not in referenced:
            kind = "orphan"
        else:
            continue
        age = moment - stored.mtime
        if age < grace_s:
            found.recent += 1
        else:
            found.strays.append(Stray(stored.key, kind, stored.size_bytes, age))
    return found


def quarantine_batch(at: datetime | None = None) -> str:
    """The folder name of one repair: its UTC time, e.g. ``20250131T235959Z``."""
    return (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def repair(session: Session, store: PhotoStore, strays: list[Stray],
           batch: str | None = None) -> tuple[str, list[Stray]]:
    """Move ``strays`` aside to ``.quarantine/<batch>/`` (nothing is deleted); the folder and
    the strays moved. Rows are read again first: an original a capture has just recorded (the
    same bytes photographed again) stays where its row expects it."""
    referenced = referenced_keys(session)
    moving = [s for s in strays if s.kind == "temp" or s.key not in referenced]
    batch = batch or quarantine_batch()
    moved = set(store.quarantine([s.key for s in moving], batch))
    return f"{QUARANTINE_DIR}/{batch}", [s for s in moving if s.key in moved]
