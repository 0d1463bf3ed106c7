"""SQLAlchemy models of the fleet: each bench's heartbeat row and the centrally published policy files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base
from station.db.types import utcnow

#: What can be published centrally: the grading policy and the site's sort rules.
PUBLICATION_KINDS = ("policy", "sort_rules")


class BenchHeartbeat(Base):
    """One bench of the fleet as it last reported itself (one row per station, upserted)."""

    __tablename__ = "bench_heartbeat"

    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(200), default="")
    software_version: Mapped[str] = mapped_column(String(50), default="")
    policy_version: Mapped[str] = mapped_column(String(50), default="")
    sort_rules_version: Mapped[str | None] = mapped_column(String(50))
    #: Device name -> {"state": ready|connecting|error|disconnected, "detail": short reason}.
    devices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: {"open_inspection": id or null, "done_today": n}.
    queue: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The bench's own heartbeat period: up / stale / down are judged against it.
    heartbeat_s: Mapped[int] = mapped_column(Integer, default=15)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the bench stopped cleanly (cleared by its next start).
    stopped_at: Mapped[datetime | None]


class PolicyPublication(Base):
    """One version of the policy (or the sort rules) published for every bench; never changed."""

    __tablename__ = "policy_publication"
    __table_args__ = (
        UniqueConstraint("kind", "version", name="uq_policy_publication_kind_version"),
        CheckConstraint("kind IN ('policy','sort_rules')", name="kind"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
