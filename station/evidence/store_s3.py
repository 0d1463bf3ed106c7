"""S3-compatible photo store (boto3): originals under <prefix><sha256>, uploaded with a verified SHA-256.

Coded to the S3 API, not to one vendor (Amazon S3 API Reference: PutObject, HeadObject,
GetObject, ListObjectsV2, CopyObject, DeleteObject, HeadBucket; "Checking object integrity" in
the Amazon S3 User Guide; "Locking objects with Object Lock" in the same guide). The photo rows
keep their storage key ``originals/ab/cd/<sha256>``: the bucket key is derived from it, so a
migrated store needs no row rewritten. Thumbnails are derivatives: they stay in a local cache
folder (``evidence.photo_dir``) and are made again from the original when missing.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from station.config import EvidenceSection
from station.evidence.store import (
    QUARANTINE_DIR,
    EvidenceError,
    LocalPhotoStore,
    PhotoStoreReadOnly,
    PhotoStoreUnavailable,
    StoredFile,
    StoredObject,
    original_key,
    sha256_hex,
)

_ORIGINAL = re.compile(r"originals/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_SHA = re.compile(r"[0-9a-f]{64}")
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_REFUSED = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"})


@dataclass(frozen=True)
class S3Options:
    """Where the bucket is and how to write to it; the keys are never shown (repr=False)."""

    bucket: str
    endpoint_url: str = ""
    region: str = "us-east-1"
    prefix: str = ""
    access_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    addressing_style: str = "path"
    object_lock: str = "none"  # none | governance | compliance
    retention_days: int = 0
    presign_expiry_s: int = 300
    serve: str = "redirect"  # redirect | proxy
    timeout_s: float = 10.0

    @classmethod
    def from_section(cls, section: EvidenceSection) -> S3Options:
        return cls(
            bucket=section.s3_bucket, endpoint_url=section.s3_endpoint_url,
            region=section.s3_region, prefix=section.s3_prefix,
            access_key=section.s3_access_key.get_secret_value(),
            secret_key=section.s3_secret_key.get_secret_value(),
            addressing_style=section.s3_addressing_style, object_lock=section.s3_object_lock,
            retention_days=section.s3_retention_days,
            presign_expiry_s=section.s3_presign_expiry_s, serve=section.s3_serve,
            timeout_s=section.s3_timeout_s,
        )


def checksum_b64(sha256: str) -> str:
    """The SHA-256 as the S3 API carries it (x-amz-checksum-sha256: base64 of the digest)."""
    return base64.b64encode(bytes.fromhex(sha256)).decode("ascii")


def checksum_hex(value: str) -> str | None:
    """A full-object x-amz-checksum-sha256 as hex; None for a composite (multipart) one."""
    if "-" in value:
        return None
    try:
        return base64.b64decode(value, validate=True).hex()
    except ValueError:
        return None


def content_type_of(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return "application/octet-stream"


def _code(exc: ClientError) -> str:
    error: dict[str, Any] = exc.response.get("Error", {})
    return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))


class S3PhotoStore:
    """A bucket on any S3-compatible server; thumbnails cached in ``cache_dir``."""

    def __init__(self, options: S3Options, cache_dir: Path, min_free_mb: float = 0) -> None:
        self.options = options
        self.bucket = options.bucket
        self.prefix = options.prefix
        self.cache = LocalPhotoStore(cache_dir, min_free_mb)
        config = Config(
            region_name=options.region, connect_timeout=options.timeout_s,
            read_timeout=options.timeout_s, retries={"max_attempts": 2, "mode": "standard"},
            s3={"addressing_style": options.addressing_style},
            signature_version="s3v4", request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client: Any = boto3.session.Session().client(
            "s3", endpoint_url=options.endpoint_url or None,
            aws_access_key_id=options.access_key or None,
            aws_secret_access_key=options.secret_key or None, config=config,
        )

    def describe(self) -> str:
        where = self.options.endpoint_url or f"the SDK endpoint of {self.options.region}"
        return f"S3 bucket {self.bucket} at {where} (prefix {self.prefix!r})"

    # keys -----------------------------------------------------------------------------------
    def object_key(self, storage_key: str) -> str:
        """``originals/ab/cd/<sha>`` -> ``<prefix><sha>``; anything else is a bad key."""
        match = _ORIGINAL.fullmatch(storage_key)
        if match is None or match[3][:2] != match[1] or match[3][2:4] != match[2]:
            raise EvidenceError(f"bad storage key {storage_key!r}")
        return self.prefix + match[3]

    def _unavailable(self, exc: Exception, doing: str) -> PhotoStoreUnavailable | PhotoStoreReadOnly:
        """The domain error for a failed call, naming the bucket, never a key or secret."""
        if isinstance(exc, ClientError):
            code = _code(exc)
            if code in _REFUSED:
                return PhotoStoreReadOnly(f"S3 bucket {self.bucket} refused {doing} ({code})")
            return PhotoStoreUnavailable(f"S3 bucket {self.bucket}: {doing} failed ({code})")
        return PhotoStoreUnavailable(f"S3 bucket {self.bucket}: {doing} failed "
                                     f"({type(exc).__name__})")

    def _head(self, key: str) -> dict[str, Any] | None:
        """HeadObject with the stored checksum; None when there is no such object."""
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key,
                                                           ChecksumMode="ENABLED")
            return head
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise self._unavailable(exc, "HeadObject") from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc, "HeadObject") from exc

    # originals ------------------------------------------------------------------------------
    def _same_object(self, key: str, head: dict[str, Any], digest: str, size: int) -> None:
        stored = checksum_hex(str(head.get("ChecksumSHA256") or ""))
        if int(head.get("ContentLength", -1)) != size or (stored is not None and stored != digest):
            raise EvidenceError(f"stored original {key} differs from its SHA-256: tampered?")

    def put_original(self, data: bytes, sha256: str | None = None) -> StoredObject:
        """Upload ``data`` under its SHA-256 with that checksum (the server refuses a body
        that does not match it) and ``If-None-Match: *``; an object already there is checked,
        never rewritten. Returns only after the server has acknowledged the upload."""
        if not data:
            raise EvidenceError("empty photo")
        digest = sha256 or sha256_hex(data)
        storage_key = original_key(digest)
        key = self.object_key(storage_key)
        head = self._head(key)
        if head is None:
            head = self._upload(key, data, digest)
        if head is not None:
            self._same_object(key, head, digest, len(data))
        return StoredObject(digest, len(data), storage_key)

    def _lock_arguments(self) -> dict[str, Any]:
        if self.options.object_lock == "none":
            return {}
        until = datetime.now(UTC) + timedelta(days=self.options.retention_days)
        return {"ObjectLockMode": self.options.object_lock.upper(),
                "ObjectLockRetainUntilDate": until}

    def _upload(self, key: str, data: bytes, digest: str) -> dict[str, Any] | None:
        """PutObject; the HeadObject of the winner when another writer was first (412)."""
        try:
            answer = self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type_of(data),
                IfNoneMatch="*", ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum_b64(digest),
                **self._lock_arguments(),
            )
        except ClientError as exc:
            if _code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return self._head(key)
            if _code(exc) in ("BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"):
                raise EvidenceError(f"S3 bucket {self.bucket} refused the upload: its body does "
                                    f"not match its SHA-256 ({_code(exc)})") from exc
            raise self._unavailable(exc, "PutObject") from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc, "PutObject") from exc
        echoed = checksum_hex(str(answer.get("ChecksumSHA256") or ""))
        if echoed is not None and echoed != digest:
            raise EvidenceError(f"S3 bucket {self.bucket} stored a different SHA-256 for {key}")
        return None

    def get_original(self, storage_key: str) -> bytes:
        key = self.object_key(storage_key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            body: bytes = answer["Body"].read()
            return body
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise EvidenceError(f"original {storage_key} is missing from S3 bucket "
                                    f"{self.bucket}") from exc
            raise self._unavailable(exc, "GetObject") from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc, "GetObject") from exc

    def exists(self, storage_key: str) -> bool:
        return self._head(self.object_key(storage_key)) is not None

    def attested(self, storage_key: str) -> tuple[str, int] | None:
        """The SHA-256 (hex) and size the server keeps for the object, read with HeadObject
        ``ChecksumMode=ENABLED`` without downloading it; None when it keeps no full-object
        SHA-256 (then the original is re-hashed); EvidenceError when the object is missing."""
        head = self._head(self.object_key(storage_key))
        if head is None:
            raise EvidenceError(f"original {storage_key} is missing from S3 bucket {self.bucket}")
        stored = checksum_hex(str(head.get("ChecksumSHA256") or ""))
        return None if stored is None else (stored, int(head.get("ContentLength", -1)))

    def presigned_url(self, storage_key: str, content_type: str) -> str | None:
        """A GET URL for the original that works without credentials for presign_expiry_s;
        None with ``serve = "proxy"`` (the app then serves the bytes it reads itself)."""
        if self.options.serve == "proxy":
            return None
        try:
            url: str = self.client.generate_presigned_url(
                "get_object", ExpiresIn=self.options.presign_expiry_s,
                Params={"Bucket": self.bucket, "Key": self.object_key(storage_key),
                        "ResponseContentType": content_type},
            )
            return url
        except BotoCoreError as exc:
            raise self._unavailable(exc, "presigning GetObject") from exc

    # derivatives: the local cache -----------------------------------------------------------
    def put_derivative(self, name: str, data: bytes) -> str:
        return self.cache.put_derivative(name, data)

    def get_derivative(self, name: str) -> bytes | None:
        return self.cache.get_derivative(name)

    # room, readiness ------------------------------------------------------------------------
    def require_room(self, min_free_mb: float) -> None:
        """A bucket reports no free space: originals are never refused for room here."""
        return None

    def free_mb(self) -> float:
        """Free space of the local thumbnail cache (the bucket reports none)."""
        return self.cache.free_mb()

    def probe_writable(self) -> None:
        """HeadBucket with these credentials: PhotoStoreUnavailable / ReadOnly when it fails
        (writes nothing: a probe object under Object Lock could never be removed)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise self._unavailable(exc, "HeadBucket") from exc

    # the sweep ------------------------------------------------------------------------------
    def files(self) -> Iterator[StoredFile]:
        """Every original in the bucket under the prefix, by its storage key (other objects,
        the quarantine among them, are not the station's)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                      Prefix=self.prefix)
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    rest = str(item["Key"])[len(self.prefix):]
                    if _SHA.fullmatch(rest):
                        modified: datetime = item["LastModified"]
                        yield StoredFile(original_key(rest), int(item["Size"]),
                                         modified.timestamp())
        except (ClientError, BotoCoreError) as exc:
            raise self._unavailable(exc, "ListObjectsV2") from exc

    def quarantine(self, keys: list[str], batch: str) -> list[str]:
        """Copy each original to ``<prefix>.quarantine/<batch>/<sha>``, then delete it (under
        Object Lock the delete only adds a delete marker: the locked version stays)."""
        moved = []
        for storage_key in keys:
            key = self.object_key(storage_key)
            target = f"{self.prefix}{QUARANTINE_DIR}/{batch}/{key[len(self.prefix):]}"
            try:
                self.client.copy_object(Bucket=self.bucket, Key=target,
                                        CopySource={"Bucket": self.bucket, "Key": key},
                                        ChecksumAlgorithm="SHA256")
                self.client.delete_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    continue
                raise self._unavailable(exc, "moving an object aside") from exc
            except BotoCoreError as exc:
                raise self._unavailable(exc, "moving an object aside") from exc
            moved.append(storage_key)
        return moved
