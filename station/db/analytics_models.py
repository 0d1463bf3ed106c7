"""SQLAlchemy model of the sliced analytics rollup: the hourly counts again per single filter value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base


class AnalyticsSlice(Base):
    """``analytics_hour`` rows counted again inside one slice: the inspections (or units) one
    dashboard filter keeps, e.g. ``slice = "station=bench-2"`` (station/analytics/slices.py).

    Kept in step with analytics_hour: the same dirty hours recount both (rollup.refresh_hour).
    """

    __tablename__ = "analytics_slice"
    __table_args__ = (Index("ix_analytics_slice_hour", "hour"), {"sqlite_with_rowid": False})

    slice: Mapped[str] = mapped_column(String(120), primary_key=True)
    dim: Mapped[str] = mapped_column(String(20), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    key2: Mapped[str] = mapped_column(String(100), primary_key=True)
    key3: Mapped[str] = mapped_column(String(100), primary_key=True)
    inspections: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    overridden: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(BigInteger)
