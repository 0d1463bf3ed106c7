"""Photo stores: originals kept under their SHA-256, written durably, never rewritten."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from station.returns.errors import DomainError

#: Every temporary file the store writes starts so; one found later is a leftover of a crash.
TEMP_PREFIX = ".tmp-"
#: Where `station evidence verify --repair` moves files aside (never deleting them).
QUARANTINE_DIR = ".quarantine"
MB = 1024 * 1024
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


class EvidenceError(ValueError):
    """Evidence that cannot be stored or read; the message says why."""


class PhotoStoreError(DomainError):
    """The photo store cannot take a new original now; nothing was stored or recorded."""


class PhotoStoreFull(PhotoStoreError):
    """No space (or quota) left, or less free than the configured floor (evidence.min_free_mb)."""

    def __init__(self, detail: str) -> None:
        super().__init__("photo_store_full", f"photo storage is full: {detail}")


class PhotoStoreReadOnly(PhotoStoreError):
    """The photo folder cannot be written (read-only file system, permissions)."""

    def __init__(self, detail: str) -> None:
        super().__init__("photo_store_read_only", f"photo storage is read-only: {detail}")


class PhotoStoreUnavailable(PhotoStoreError):
    """The photo store cannot be reached or refused the write (an S3 endpoint down, a bucket
    missing, credentials refused)."""

    def __init__(self, detail: str) -> None:
        super().__init__("photo_store_unavailable", f"photo storage cannot be reached: {detail}")


def storage_error(exc: OSError) -> PhotoStoreError | None:
    """The domain error for a failed write: full (ENOSPC, EDQUOT), read-only (EROFS, EACCES,
    EPERM); None for anything else (an I/O error is not a full disk)."""
    detail = f"{errno.errorcode.get(exc.errno or 0, 'error')}: {exc.strerror or exc}"
    if exc.errno in FULL_ERRNOS:
        return PhotoStoreFull(detail)
    if exc.errno in READ_ONLY_ERRNOS:
        return PhotoStoreReadOnly(detail)
    return None


def _raise_as_storage_error(exc: OSError) -> None:
    mapped = storage_error(exc)
    if mapped is not None:
        raise mapped from exc


@dataclass(frozen=True)
class StoredObject:
    """Where an original landed and what it is."""

    sha256: str
    size_bytes: int
    storage_key: str


@dataclass(frozen=True)
class StoredFile:
    """One file found in the store, for the integrity sweep."""

    key: str
    size_bytes: int
    mtime: float


class PhotoStore(Protocol):
    """What every backend (local folder, S3-compatible bucket) offers."""

    def put_original(self, data: bytes, sha256: str | None = None) -> StoredObject: ...

    def get_original(self, storage_key: str) -> bytes: ...

    def exists(self, storage_key: str) -> bool: ...

    def put_derivative(self, name: str, data: bytes) -> str: ...

    def get_derivative(self, name: str) -> bytes | None: ...

    def describe(self) -> str: ...

    def require_room(self, min_free_mb: float) -> None: ...

    def probe_writable(self) -> None: ...

    def free_mb(self) -> float: ...

    def files(self) -> Iterator[StoredFile]: ...

    def quarantine(self, keys: list[str], batch: str) -> list[str]: ...

    def attested(self, storage_key: str) -> tuple[str, int] | None: ...

    def presigned_url(self, storage_key: str, content_type: str) -> str | None: ...


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def original_key(sha256: str) -> str:
    """originals/ab/cd/abcd...: two fan-out levels keep folders small."""
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(folder: Path) -> list[Path]:
    """``mkdir -p``; the folders it created, outermost first (their parents need an fsync)."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


def _fsync_new(folder: Path, created: list[Path]) -> None:
    """Make a rename into ``folder`` durable, and every folder made for it on the way."""
    _fsync_dir(folder)
    for made in created:
        _fsync_dir(made.parent)


def durable_write(target: Path, data: bytes) -> None:
    """Write to a temp file beside ``target``, fsync it, rename it into place, fsync the folder.

    Every failure removes the temp file (only a killed process leaves one, which `station
    evidence verify` finds); a full disk or a read-only folder raises PhotoStoreFull or
    PhotoStoreReadOnly.
    """
    try:
        created = _make_dirs(target.parent)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
    except OSError as exc:
        _raise_as_storage_error(exc)
        raise
    renamed = False
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp_name, 0o440)
        os.replace(tmp_name, target)
        renamed = True
        _fsync_new(target.parent, created)
    except OSError as exc:
        _raise_as_storage_error(exc)
        raise
    finally:
        if not renamed:  # an unlink the folder refuses leaves a leftover verify reports
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the file system holding ``path``."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    stats = os.statvfs(probe)
    return stats.f_bavail * stats.f_frsize


class LocalPhotoStore:
    """A folder on the bench PC (default ./var/photos).

    ``min_free_mb``: new originals are refused (PhotoStoreFull) while less is free, so the disk
    never fills up under the database and the files already confirmed.
    """

    def __init__(self, root: Path, min_free_mb: float = 0) -> None:
        self.root = root
        self.min_free_mb = min_free_mb

    def describe(self) -> str:
        return f"local folder {self.root}"

    def _path(self, key: str) -> Path:
        if ".." in key.split("/") or key.startswith("/"):
            raise EvidenceError(f"bad storage key {key!r}")
        return self.root / key

    def free_mb(self) -> float:
        return free_bytes(self.root) / MB

    def require_room(self, min_free_mb: float) -> None:
        """PhotoStoreFull when less than ``min_free_mb`` is free where the originals go."""
        if min_free_mb <= 0:
            return
        free = self.free_mb()
        if free < min_free_mb:
            raise PhotoStoreFull(f"{free:.1f} MB free, below the {min_free_mb:g} MB floor "
                                 "(evidence.min_free_mb)")

    def probe_writable(self) -> None:
        """Create, fsync and remove a probe file: PhotoStoreFull / PhotoStoreReadOnly if not."""
        probe = self.root / f"{TEMP_PREFIX}probe-{secrets.token_hex(4)}"
        try:
            _make_dirs(self.root)
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                try:
                    os.write(fd, b"probe")
                    os.fsync(fd)
                finally:
                    os.close(fd)
            finally:
                probe.unlink()
        except OSError as exc:
            _raise_as_storage_error(exc)
            raise

    def put_original(self, data: bytes, sha256: str | None = None) -> StoredObject:
        """Keep ``data`` under its SHA-256 (durably; an original already there is not rewritten).

        ``sha256``: the digest the caller just computed of exactly these bytes, so a photo is
        hashed once (``InspectionService.add_photo``); hashed here without it.
        """
        if not data:
            raise EvidenceError("empty photo")
        digest = sha256 or sha256_hex(data)
        key = original_key(digest)
        path = self._path(key)
        if path.exists():
            # Content-addressed: the same bytes are already there; never rewrite an original.
            if path.stat().st_size != len(data):
                raise EvidenceError(f"stored original {key} has a different size: tampered?")
        else:
            self.require_room(self.min_free_mb)
            durable_write(path, data)
        return StoredObject(digest, len(data), key)

    def get_original(self, storage_key: str) -> bytes:
        try:
            return self._path(storage_key).read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceError(f"original {storage_key} is missing from {self.root}") from exc

    def exists(self, storage_key: str) -> bool:
        return self._path(storage_key).exists()

    def attested(self, storage_key: str) -> tuple[str, int] | None:
        """None: a folder vouches for nothing, the original is re-hashed to check it."""
        return None

    def presigned_url(self, storage_key: str, content_type: str) -> str | None:
        """None: the app serves a local original's bytes itself."""
        return None

    def put_derivative(self, name: str, data: bytes) -> str:
        key = f"derived/{name}"
        self.require_room(self.min_free_mb)
        durable_write(self._path(key), data)
        return key

    def get_derivative(self, name: str) -> bytes | None:
        path = self._path(f"derived/{name}")
        return path.read_bytes() if path.exists() else None

    def files(self) -> Iterator[StoredFile]:
        """Every file in the store (originals, derivatives, leftovers), not the quarantine."""
        if not self.root.is_dir():
            return
        for folder, dirs, names in os.walk(self.root):
            here = Path(folder)
            if here == self.root:
                dirs[:] = [d for d in dirs if d != QUARANTINE_DIR]
            for name in names:
                path = here / name
                try:
                    stat = path.lstat()
                except FileNotFoundError:  # gone while we looked (a temp file renamed)
                    continue
                yield StoredFile(path.relative_to(self.root).as_posix(), stat.st_size,
                                 stat.st_mtime)

    def quarantine(self, keys: list[str], batch: str) -> list[str]:
        """Move ``keys`` to ``.quarantine/<batch>/<key>`` (same relative paths), never deleting;
        the keys moved (one gone meanwhile is skipped)."""
        target_root = self.root / QUARANTINE_DIR / batch
        moved = []
        for key in keys:
            source = self._path(key)
            target = target_root / key
            if not source.exists():
                continue
            try:
                created = _make_dirs(target.parent)
                os.replace(source, target)
                _fsync_new(target.parent, created)
                _fsync_dir(source.parent)
            except OSError as exc:
                _raise_as_storage_error(exc)
                raise
            moved.append(key)
        return moved
