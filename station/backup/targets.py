"""Where a backup goes: a folder, or an S3-compatible bucket under a prefix laid out the same way.

Both hold the layout of station.backup.manifest (``evidence/<key>`` shared by every backup,
``<UTC time>/`` per backup). In a bucket every object is uploaded with its SHA-256
(x-amz-checksum-sha256, which the server checks against the bytes it received: Amazon S3 User
Guide, "Checking object integrity"), so `aws s3 sync s3://BUCKET/PREFIX DIR` gives a folder
`station restore --from DIR` takes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from station.backup.manifest import BackupError, BackupFile, sha256_file
from station.backup.manifest import verify as verify_folder
from station.config import EvidenceSection
from station.evidence.store import TEMP_PREFIX


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_durably(source: Path, target: Path, mode: int = 0o440) -> None:
    """Copy to a temp file beside ``target``, fsync, rename into place, fsync the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{TEMP_PREFIX}{target.name}")
    try:
        with source.open("rb") as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(target.parent)


class Target(Protocol):
    """A backup root that files are put into and read back from."""

    def describe(self) -> str: ...

    def has(self, relative: str, digest: str, size: int) -> bool: ...

    def put(self, relative: str, source: Path, digest: str, mode: int) -> None: ...

    def put_bytes(self, relative: str, body: bytes) -> None: ...

    def verify(self, files: list[BackupFile]) -> list[str]: ...


class FolderTarget:
    """A folder on this PC (a USB disk, a mounted share)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def has(self, relative: str, digest: str, size: int) -> bool:
        path = self.root / relative
        return path.is_file() and sha256_file(path) == (digest, size)

    def put(self, relative: str, source: Path, digest: str, mode: int) -> None:
        target = self.root / relative
        if target.resolve() == source.resolve():
            return  # made in place (the database snapshot)
        if target.exists():  # a damaged copy from an earlier backup
            target.chmod(0o640)
            target.unlink()
        copy_durably(source, target, mode)

    def put_bytes(self, relative: str, body: bytes) -> None:
        path = self.root / relative
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, body)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if path.read_bytes() != body:
            raise BackupError(f"{path}: read back differs from what was written")

    def verify(self, files: list[BackupFile]) -> list[str]:
        from station.backup.manifest import Manifest

        return verify_folder(Manifest("", "", "", None, {}, {}, files), self.root)


class S3Target:
    """``s3://BUCKET/PREFIX`` on the server and with the credentials of the [evidence] s3_* settings."""

    def __init__(self, url: str, section: EvidenceSection) -> None:
        import boto3
        from botocore.config import Config

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise BackupError(f"{url!r}: use s3://BUCKET/PREFIX")
        self.bucket = parts.netloc
        prefix = parts.path.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        config = Config(region_name=section.s3_region, connect_timeout=section.s3_timeout_s,
                        read_timeout=section.s3_timeout_s,
                        retries={"max_attempts": 2, "mode": "standard"},
                        s3={"addressing_style": section.s3_addressing_style},
                        signature_version="s3v4", request_checksum_calculation="when_required",
                        response_checksum_validation="when_required")
        self.endpoint = section.s3_endpoint_url or f"the SDK endpoint of {section.s3_region}"
        self.client: Any = boto3.session.Session().client(
            "s3", endpoint_url=section.s3_endpoint_url or None,
            aws_access_key_id=section.s3_access_key.get_secret_value() or None,
            aws_secret_access_key=section.s3_secret_key.get_secret_value() or None, config=config)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix} at {self.endpoint}"

    def _call(self, doing: str, call: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if doing == "HeadObject" and str(code) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise BackupError(f"S3 bucket {self.bucket}: {doing} failed ({code})") from None
        except BotoCoreError as exc:
            raise BackupError(f"S3 bucket {self.bucket} at {self.endpoint}: {doing} failed "
                              f"({type(exc).__name__})") from None

    def _checksum(self, relative: str) -> tuple[str | None, int] | None:
        from station.evidence.store_s3 import checksum_hex

        head = self._call("HeadObject", self.client.head_object, Key=self.prefix + relative,
                          ChecksumMode="ENABLED")
        if head is None:
            return None
        stored = checksum_hex(str(head.get("ChecksumSHA256") or "")) or None
        return stored, int(head.get("ContentLength", -1))

    def has(self, relative: str, digest: str, size: int) -> bool:
        return self._checksum(relative) == (digest, size)

    def put(self, relative: str, source: Path, digest: str, mode: int) -> None:
        from station.evidence.store_s3 import checksum_b64

        with source.open("rb") as body:
            self._call("PutObject", self.client.put_object, Key=self.prefix + relative, Body=body,
                       ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum_b64(digest))

    def put_bytes(self, relative: str, body: bytes) -> None:
        import hashlib

        from station.evidence.store_s3 import checksum_b64

        self._call("PutObject", self.client.put_object, Key=self.prefix + relative, Body=body,
                   ChecksumAlgorithm="SHA256",
                   ChecksumSHA256=checksum_b64(hashlib.sha256(body).hexdigest()))
        got = self._call("GetObject", self.client.get_object, Key=self.prefix + relative)
        if got["Body"].read() != body:
            raise BackupError(f"s3://{self.bucket}/{self.prefix}{relative}: read back differs")

    def verify(self, files: list[BackupFile]) -> list[str]:
        """Evidence by the checksum the server computed on receipt; everything else (and an
        object the server keeps no SHA-256 for) downloaded again and re-hashed."""
        import hashlib

        problems = []
        for entry in files:
            found = self._checksum(entry.path)
            if found is None or found[1] != entry.size or found[0] not in (entry.sha256, None):
                problems.append(f"{entry.path}: the bucket holds {found} instead of "
                                f"{entry.sha256[:16]}… ({entry.size} B)")
                continue
            if entry.role != "evidence" or found[0] is None:  # no stored checksum: re-read it
                got = self._call("GetObject", self.client.get_object, Key=self.prefix + entry.path)
                digest, stream = hashlib.sha256(), got["Body"]
                while chunk := stream.read(1024 * 1024):
                    digest.update(chunk)
                if digest.hexdigest() != entry.sha256:
                    problems.append(f"{entry.path}: downloaded again, its SHA-256 differs")
        return problems


def open_target(where: str, section: EvidenceSection) -> Target:
    """A folder path or ``s3://BUCKET/PREFIX``."""
    if where.startswith("s3://"):
        return S3Target(where, section)
    return FolderTarget(Path(where))
