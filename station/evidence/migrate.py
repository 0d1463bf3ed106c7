"""`station evidence migrate --to s3`: copies every local original to the bucket and verifies it; a killed run resumes.

Progress is one line per verified SHA-256 in a file under ``data_dir`` (appended, flushed and
fsynced before the next object), so a rerun skips what an earlier run finished; an object
uploaded by a run killed before its line was written is found in the bucket, verified there
and not uploaded again. Rows are not changed: their storage keys stay valid for the bucket.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db.models import Photo
from station.evidence.store import EvidenceError, LocalPhotoStore, sha256_hex
from station.evidence.store_s3 import S3Options, S3PhotoStore

_HEX = frozenset("0123456789abcdef")


@dataclass
class MigrationReport:
    """What one run did: originals already done, found in the bucket, copied, and problems."""

    total: int = 0
    already: int = 0
    present: int = 0
    copied: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def verified(self) -> int:
        return self.already + self.present + self.copied


def progress_path(data_dir: Path, options: S3Options) -> Path:
    """One progress file per target (endpoint, bucket, prefix): a new target starts afresh."""
    target = f"{options.endpoint_url}\n{options.bucket}\n{options.prefix}".encode()
    return data_dir / f"evidence-migrate-s3-{hashlib.sha256(target).hexdigest()[:12]}.done"


class Progress:
    """The SHA-256s verified in the bucket so far; a line torn by a kill is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> set[str]:
        if not self.path.exists():
            return set()
        lines = self.path.read_text(encoding="ascii", errors="replace").splitlines()
        return {line for line in lines if len(line) == 64 and set(line) <= _HEX}

    def record(self, sha256: str) -> None:
        """Append one SHA-256 durably (the file starts on a new line after a torn write)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            size = os.fstat(fd).st_size
            torn = size and os.pread(fd, 1, size - 1) != b"\n"
            os.write(fd, (b"\n" if torn else b"") + sha256.encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)


def verified_in_bucket(target: S3PhotoStore, storage_key: str, sha256: str, size: int) -> bool | None:
    """True when the object is there with this SHA-256 and size (the server's checksum, else
    re-hashed by download), False when it is there but different, None when it is missing."""
    try:
        attested = target.attested(storage_key)
        if attested is None:
            data = target.get_original(storage_key)
            attested = (sha256_hex(data), len(data))
    except EvidenceError:
        return None
    return attested == (sha256, size)


def originals(session: Session) -> list[tuple[str, str, int]]:
    """(storage key, SHA-256, size) of every original the rows name, once each."""
    rows = session.execute(
        select(Photo.storage_key, Photo.sha256, Photo.size_bytes).distinct()
        .order_by(Photo.storage_key)
    ).all()
    return [(str(key), str(sha), int(size)) for key, sha, size in rows]


def migrate_to_s3(session: Session, source: LocalPhotoStore, target: S3PhotoStore,
                  progress: Progress, on_object: Callable[[str, str], None] | None = None
                  ) -> MigrationReport:
    """Copy and verify every original the rows name; ``on_object(sha256, outcome)`` after each
    one. A bucket that cannot be reached raises PhotoStoreError (the progress so far is kept)."""
    report = MigrationReport()
    done = progress.load()
    for storage_key, sha256, size in originals(session):
        report.total += 1
        if sha256 in done:
            report.already += 1
            continue
        outcome = _migrate_one(source, target, storage_key, sha256, size, report)
        if outcome in ("present", "copied"):
            progress.record(sha256)
            done.add(sha256)
        if on_object is not None:
            on_object(sha256, outcome)
    return report


def _migrate_one(source: LocalPhotoStore, target: S3PhotoStore, storage_key: str, sha256: str,
                 size: int, report: MigrationReport) -> str:
    there = verified_in_bucket(target, storage_key, sha256, size)
    if there:
        report.present += 1
        return "present"
    if there is False:
        report.problems.append(f"{storage_key}: the bucket holds different bytes under this "
                               "key; left as it is")
        return "problem"
    try:
        data = source.get_original(storage_key)
    except EvidenceError as exc:
        report.problems.append(f"{storage_key}: {exc}")
        return "problem"
    if sha256_hex(data) != sha256 or len(data) != size:
        report.problems.append(f"{storage_key}: the local file does not match its recorded "
                               "SHA-256; not copied")
        return "problem"
    try:
        target.put_original(data, sha256)
    except EvidenceError as exc:
        report.problems.append(f"{storage_key}: {exc}")
        return "problem"
    if not verified_in_bucket(target, storage_key, sha256, size):
        report.problems.append(f"{storage_key}: uploaded but the bucket does not confirm its "
                               "SHA-256")
        return "problem"
    report.copied += 1
    return "copied"
