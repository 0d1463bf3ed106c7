"""Photo stores: originals kept under their SHA-256, written durably, never rewritten."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class EvidenceError(ValueError):
    """Evidence that cannot be stored or read; the message says why."""


@dataclass(frozen=True)
class StoredObject:
    """Where an original landed and what it is."""

    sha256: str
    size_bytes: int
    storage_key: str


class PhotoStore(Protocol):
    """What every backend (local folder, S3-compatible bucket) offers."""

    def put_original(self, data: bytes) -> StoredObject: ...

    def get_original(self, storage_key: str) -> bytes: ...

    def exists(self, storage_key: str) -> bool: ...

    def put_derivative(self, name: str, data: bytes) -> str: ...

    def get_derivative(self, name: str) -> bytes | None: ...

    def describe(self) -> str: ...


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


def durable_write(target: Path, data: bytes) -> None:
    """Write to a temp file beside ``target``, fsync, rename into place, fsync the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.chmod(tmp_name, 0o440)
        os.replace(tmp_name, target)
    except OSError:
        os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)


class LocalPhotoStore:
    """A folder on the bench PC (default ./var/photos)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"local folder {self.root}"

    def _path(self, key: str) -> Path:
        if ".." in key.split("/") or key.startswith("/"):
            raise EvidenceError(f"bad storage key {key!r}")
        return self.root / key

    def put_original(self, data: bytes) -> StoredObject:
        if not data:
            raise EvidenceError("empty photo")
        digest = sha256_hex(data)
        key = original_key(digest)
        path = self._path(key)
        if path.exists():
            # Content-addressed: the same bytes are already there; never rewrite an original.
            if path.stat().st_size != len(data):
                raise EvidenceError(f"stored original {key} has a different size: tampered?")
        else:
            durable_write(path, data)
        return StoredObject(digest, len(data), key)

    def get_original(self, storage_key: str) -> bytes:
        try:
            return self._path(storage_key).read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceError(f"original {storage_key} is missing from {self.root}") from exc

    def exists(self, storage_key: str) -> bool:
        return self._path(storage_key).exists()

    def put_derivative(self, name: str, data: bytes) -> str:
        key = f"derived/{name}"
        durable_write(self._path(key), data)
        return key

    def get_derivative(self, name: str) -> bytes | None:
        path = self._path(f"derived/{name}")
        return path.read_bytes() if path.exists() else None
