"""Platform API keys: created with scopes, stored as a SHA-256 hash plus a lookup prefix, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from station import audit
from station.db.models import ApiKey
from station.db.types import new_id, utcnow
from station.returns.errors import DomainError, NotFound

SCOPES = ("returns:write", "inspections:read", "photos:read", "webhooks:admin", "fleet:read")
KEY_MARK = "rsk"
#: last_used_at is written at most this often per key (no write on every request).
LAST_USED_RESOLUTION = timedelta(minutes=1)
#: A verified key is trusted by this process for at most this long without asking the database
#: again: a revocation (or a new scope set) reaches every other worker and node within it; in the
#: process that revokes it is immediate (``forget_verified``).
VERIFIED_TTL_S = 1.0


def _hash(secret: str) -> str:
    # The secret carries 256 random bits, so a fast hash is enough (no password stretching).
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scopes(scopes: Sequence[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise DomainError(
            "invalid_scope",
            f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}",
        )
    return sorted(set(scopes))


def create_api_key(session: Session, name: str, scopes: Sequence[str]) -> tuple[ApiKey, str]:
    """A new key; the returned secret (``rsk_<prefix>_<random>``) is shown once, never stored."""
    if not name.strip() or len(name) > 200:
        raise DomainError("invalid_name", "an API key needs a name of 1-200 characters")
    prefix = f"{KEY_MARK}_{secrets.token_hex(6)}"
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        id=new_id(), name=name.strip(), prefix=prefix, key_hash=_hash(secret),
        scopes=check_scopes(scopes), created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.append(session, actor="apikey", action="apikey.created", entity_type="api_key",
                 entity_id=row.id, data={"name": row.name, "scopes": row.scopes})
    return row, secret


@dataclass(frozen=True)
class LiveKey:
    """What a request needs of a verified, unrevoked API key."""

    id: str
    name: str
    scopes: tuple[str, ...]
    last_used_at: datetime | None


class _VerifiedKeys:
    """Keys this process verified in the last VERIFIED_TTL_S, by the SHA-256 of their secret.

    Only the digest is kept (never the secret); a hit needs the exact secret, since a different
    secret has a different SHA-256. Unknown, wrong and revoked keys are never kept.
    """

    MAX_KEYS = 1000

    def __init__(self) -> None:
        self._keys: dict[str, tuple[LiveKey, float]] = {}  # digest -> (key, monotonic expiry)
        self._lock = threading.Lock()

    def get(self, digest: str) -> LiveKey | None:
        with self._lock:
            hit = self._keys.get(digest)
        if hit is None or time.monotonic() >= hit[1]:
            return None
        return hit[0]

    def put(self, digest: str, key: LiveKey) -> None:
        with self._lock:
            if len(self._keys) >= self.MAX_KEYS:
                self._keys.clear()
            self._keys[digest] = (key, time.monotonic() + VERIFIED_TTL_S)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


_verified = _VerifiedKeys()


def forget_verified() -> None:
    """Drop every key this process trusts without asking (after a revocation, in tests)."""
    _verified.clear()


def authenticate(session: Session, secret: str) -> LiveKey | None:
    """The live key for ``secret``, or None (unknown, wrong, or revoked).

    One narrow Core SELECT by the indexed prefix (no ORM object: this runs on every request),
    unless this process verified the same secret less than VERIFIED_TTL_S ago.
    """
    digest = _hash(secret)
    known = _verified.get(digest)
    if known is not None:
        return known
    key = _lookup(session, secret, digest)
    if key is not None:
        _verified.put(digest, key)
    return key


def _lookup(session: Session, secret: str, digest: str) -> LiveKey | None:
    prefix, sep, _ = secret.partition("_")
    prefix, sep, _ = secret[len(prefix) + 1:].partition("_") if prefix == KEY_MARK else ("", "", "")
    if not sep or not prefix:
        return None
    row = session.execute(
        select(ApiKey.id, ApiKey.name, ApiKey.scopes, ApiKey.key_hash, ApiKey.revoked_at,
               ApiKey.last_used_at).where(ApiKey.prefix == f"{KEY_MARK}_{prefix}")
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, digest):
        return None
    return LiveKey(row.id, row.name, tuple(row.scopes), row.last_used_at)


class _Used(Protocol):
    @property
    def last_used_at(self) -> datetime | None: ...


def stale_last_use(key: _Used, now: datetime | None = None) -> bool:
    """True when the key's last_used_at should be written (at most every LAST_USED_RESOLUTION)."""
    now = now or utcnow()
    return key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION


def mark_used(session: Session, key_id: str, now: datetime | None = None) -> None:
    """Record that the key was used now (a separate short write: checking a key only reads)."""
    row = session.get(ApiKey, key_id)
    if row is not None and stale_last_use(row, now):
        row.last_used_at = now or utcnow()
        forget_verified()  # the next check reads the new last_used_at (one write a minute)


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.execute(select(ApiKey).order_by(ApiKey.created_at)).scalars())


def revoke_api_key(session: Session, key: str) -> ApiKey:
    """Revoke by id or prefix; revoking twice is harmless."""
    row = session.execute(
        select(ApiKey).where((ApiKey.id == key) | (ApiKey.prefix == key))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("apikey_not_found", f"no API key {key}")
    forget_verified()
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.append(session, actor="apikey", action="apikey.revoked", entity_type="api_key",
                     entity_id=row.id, data={"name": row.name})
    return row
