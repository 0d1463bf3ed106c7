"""SQLAlchemy model of an offline bench's sync bookkeeping: which spooled inspections central confirmed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base
from station.db.types import utcnow


class SpoolSync(Base):
    """A finished inspection of this bench's spool that the central database holds (station/sync/).

    A finished inspection (completed, flagged, reviewed) without this row is waiting to sync.
    Written after central's commit; a crash between the two leaves it waiting, and the retry
    finds the inspection centrally by its id (made at the bench) and only writes this row.
    """

    __tablename__ = "spool_sync"

    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), primary_key=True)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The central audit event that recorded the sync (None: central had it already).
    central_audit_seq: Mapped[int | None] = mapped_column(BigInteger)
    #: Why central put it in the supervisor queue instead (rma_cancelled, ...), or None.
    conflict: Mapped[str | None] = mapped_column(String(40))


class SpoolForwarded(Base):
    """A later event of this bench's spool (a sort, a tote closed) that central holds too."""

    __tablename__ = "spool_forwarded"

    #: The spool's outbox row; central keeps the event under the same id (idempotent).
    outbox_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    forwarded_at: Mapped[datetime] = mapped_column(default=utcnow)
