"""SQLAlchemy models of the label and sort tables: totes and print jobs (docs/labels-and-sort.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base
from station.db.types import new_id, utcnow

OPEN_TOTE_SQL = "status = 'open'"


class Tote(Base):
    """A tote or cart in use at a destination: units go in until it is full or closed.

    ``code`` is the barcode on the container; a code is open at most once at a time (the
    database refuses a second open row), and the same physical tote is a new row each time it
    is used again. A closed tote has its manifest (the units' LPNs) and, where the site has a
    GS1 company prefix, an SSCC.
    """

    __tablename__ = "tote"
    __table_args__ = (
        Index("uq_tote_open_code", "code", unique=True,
              sqlite_where=text(OPEN_TOTE_SQL), postgresql_where=text(OPEN_TOTE_SQL)),
        Index("ix_tote_status_destination", "status", "destination"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(60))
    destination: Mapped[str] = mapped_column(String(60))
    station_id: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int] = mapped_column(Integer)
    units_in: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="open")
    sscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))


class LabelPrint(Base):
    """One label to print (a unit's or a tote's), what printer it went to and what came of it.

    Written in the same transaction as the outcome it labels, then sent by the print spooler:
    a printer that is out of paper leaves the row ``failed`` with its reason, never the outcome
    lost. A reprint is a new row (``reprint_of``), audited.
    """

    __tablename__ = "label_print"
    __table_args__ = (Index("ix_label_print_station_status", "station_id", "status"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[str | None] = mapped_column(String(26), index=True)
    tote_id: Mapped[str | None] = mapped_column(String(26), index=True)
    station_id: Mapped[str] = mapped_column(String(64))
    printer: Mapped[str] = mapped_column(String(200), default="")
    layout: Mapped[str] = mapped_column(String(10))
    dpi: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    reprint_of: Mapped[str | None] = mapped_column(String(26))
    requested_by: Mapped[str | None] = mapped_column(String(100))
    #: What a unit's label shows that can change (grade, disposition, destination): a unit
    #: whose outcome changes after its label printed gets a new one.
    printed_as: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_at: Mapped[datetime | None]
