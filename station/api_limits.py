"""API limits kept in the database so every worker and node agrees: rate buckets, Idempotency-Key replies.

Rate limit: one token bucket per API key in ``api_rate_bucket``. A worker takes tokens with one
``INSERT .. ON CONFLICT DO UPDATE .. WHERE .. RETURNING`` (atomic on SQLite and PostgreSQL,
across threads, processes and nodes: the row is locked by the upsert). To keep a write off
every request it takes a small lease of tokens at once (``lease_tokens``: 1 for a small
bucket, burst / 20 for a big one, 10 at the default 200) and spends them locally for at most
``LEASE_S``; tokens leased by a worker are gone from the shared bucket, so all workers together
never exceed it (an unspent lease is simply lost). The refill uses Unix time, so the nodes'
clocks must agree (NTP), as they must for everything else that is timestamped.

Idempotency: the first reply to (API key, Idempotency-Key) is stored in the same transaction
as the write it answers; a second request with that key either finds it and replays it, or,
when both ran at once, loses the race at the primary key (``IntegrityError``), is rolled back
whole and replays the winner's reply. Replies older than ``IDEMPOTENCY_TTL`` are deleted.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from station.db.api_models import ApiIdempotencyKey, ApiRateBucket
from station.db.engine import Database

RATE_PER_S = 50.0
BURST = 200.0
#: A worker spends a lease of tokens for at most this long before it asks the bucket again.
LEASE_S = 1.0
IDEMPOTENCY_TTL = timedelta(hours=24)


class RateLimiter:
    """A token bucket per API key in the database, taken in small leases per worker."""

    def __init__(self, rate_per_s: float = RATE_PER_S, burst: float = BURST) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least one request")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.lease_tokens = max(1, min(int(burst // 20), 1000))
        self._leases: dict[str, tuple[int, float]] = {}  # key id -> (tokens, monotonic expiry)
        self._lock = threading.Lock()

    def take(self, db: Database, key_id: str) -> float:
        """0 when allowed, else seconds until a token is free."""
        now = time.monotonic()
        with self._lock:
            left, until = self._leases.get(key_id, (0, 0.0))
            if left > 0 and now < until:
                self._leases[key_id] = (left - 1, until)
                return 0.0
        granted, wait_s = self._take_from_bucket(db, key_id)
        if granted:
            with self._lock:
                self._leases[key_id] = (granted - 1, time.monotonic() + LEASE_S)
        return wait_s

    def _take_from_bucket(self, db: Database, key_id: str) -> tuple[int, float]:
        """Lease tokens from the shared bucket: (tokens granted, 0) or (0, seconds to wait)."""
        at = time.time()
        row = ApiRateBucket
        refill = row.tokens + (at - row.refilled_at) * self.rate_per_s
        capped = case((refill > self.burst, self.burst), else_=refill)
        grant = case((capped >= self.lease_tokens, self.lease_tokens), else_=1)
        first = min(self.lease_tokens, int(self.burst))
        with db.transaction() as session:
            make_insert = (postgresql.insert if db.dialect == "postgresql" else sqlite.insert)
            insert = make_insert(row).values(api_key_id=key_id, tokens=self.burst - first,
                                             refilled_at=at, granted=first)
            upsert = insert.on_conflict_do_update(
                index_elements=[row.api_key_id],
                set_={"tokens": capped - grant, "refilled_at": at, "granted": grant},
                where=capped >= 1,
            ).returning(row.granted)
            granted = session.execute(upsert).scalar()
            if granted is not None:
                return int(granted), 0.0
            tokens, refilled_at = session.execute(
                select(row.tokens, row.refilled_at).where(row.api_key_id == key_id)
            ).one()
        now_tokens = min(self.burst, tokens + max(at - refilled_at, 0.0) * self.rate_per_s)
        return 0, max((1 - now_tokens) / self.rate_per_s, 0.001)


@dataclass(frozen=True)
class StoredReply:
    """The first reply to an Idempotency-Key, and the body it answered (by hash)."""

    body_sha256: str
    status_code: int
    response: dict[str, Any]


def key_digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode("utf-8", "surrogateescape")).hexdigest()


def find_reply(session: Session, api_key_id: str, idempotency_key: str,
               now: datetime) -> StoredReply | None:
    """The stored reply to this key, or None (never seen, or older than IDEMPOTENCY_TTL)."""
    row = session.execute(
        select(ApiIdempotencyKey.body_sha256, ApiIdempotencyKey.status_code,
               ApiIdempotencyKey.response, ApiIdempotencyKey.created_at).where(
            ApiIdempotencyKey.api_key_id == api_key_id,
            ApiIdempotencyKey.key_sha256 == key_digest(idempotency_key),
        )
    ).first()
    if row is None or row.created_at <= now - IDEMPOTENCY_TTL:
        return None
    return StoredReply(row.body_sha256, row.status_code, row.response)


def store_reply(session: Session, api_key_id: str, idempotency_key: str, body_sha256: str,
                status_code: int, response: dict[str, Any], now: datetime) -> None:
    """Keep the reply in the caller's transaction; IntegrityError at flush if another won.

    Expired replies (of every key) are deleted first, so an expired key can be used again.
    """
    session.execute(delete(ApiIdempotencyKey).where(
        ApiIdempotencyKey.created_at <= now - IDEMPOTENCY_TTL))
    session.add(ApiIdempotencyKey(
        api_key_id=api_key_id, key_sha256=key_digest(idempotency_key), body_sha256=body_sha256,
        status_code=status_code, response=response, created_at=now,
    ))
    session.flush()
