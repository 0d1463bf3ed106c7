"""Re-hashes stored originals against the database: tampered and missing photos are named."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db.models import Photo
from station.evidence.store import EvidenceError, PhotoStore, sha256_hex


@dataclass(frozen=True)
class PhotoCheck:
    """The outcome of re-hashing one photo."""

    photo_id: str
    inspection_id: str
    status: str  # ok | mismatch | missing
    detail: str = ""


def check_photo(store: PhotoStore, photo: Photo) -> PhotoCheck:
    """Re-read one original and compare its SHA-256 and size with the recorded ones."""
    try:
        data = store.get_original(photo.storage_key)
    except EvidenceError as exc:
        return PhotoCheck(photo.id, photo.inspection_id, "missing", str(exc))
    actual = sha256_hex(data)
    if actual != photo.sha256 or len(data) != photo.size_bytes:
        return PhotoCheck(
            photo.id,
            photo.inspection_id,
            "mismatch",
            f"recorded {photo.sha256[:12]}… ({photo.size_bytes} B), found {actual[:12]}… "
            f"({len(data)} B)",
        )
    return PhotoCheck(photo.id, photo.inspection_id, "ok")


def check_all(session: Session, store: PhotoStore) -> Iterator[PhotoCheck]:
    """Every photo in the database, oldest first."""
    for photo in session.execute(select(Photo).order_by(Photo.taken_at)).scalars():
        yield check_photo(store, photo)
