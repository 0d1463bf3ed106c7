"""SQLAlchemy models of the API's shared limits: per-key rate buckets and Idempotency-Key replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base


class ApiRateBucket(Base):
    """The token bucket of one API key, shared by every worker and node (station/api_limits.py)."""

    __tablename__ = "api_rate_bucket"

    api_key_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    #: Wall-clock seconds (Unix time) of the last refill: every node's clock is NTP-synchronised.
    refilled_at: Mapped[float] = mapped_column(Float)
    #: Tokens the last successful take handed to its worker (read back with RETURNING).
    granted: Mapped[int] = mapped_column(Integer)


class ApiIdempotencyKey(Base):
    """The first reply to an Idempotency-Key of one API key, replayed to every retry for 24 h."""

    __tablename__ = "api_idempotency_key"
    __table_args__ = (Index("ix_api_idempotency_key_created_at", "created_at"),)

    api_key_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    #: SHA-256 of the header's value (any length of key fits; the key itself is not kept).
    key_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
