"""Throughput per station and per operator: inspections, completed ones, median minutes per parcel.

The median of received -> completed is computed in the database: ``percentile_cont(0.5)`` on
PostgreSQL; on SQLite (no percentile function) with window functions, the middle one or two rows
of each group by ``row_number()`` over ``count()``, so no rows are loaded into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.orm import Session

from station.analytics import hourly, sqlexpr
from station.analytics.scope import Scope
from station.analytics.slices import slice_of
from station.db.models import Inspection, Operator, Station
from station.db.types import UTCDateTime

#: Key for rows with no operator (an inspection can lose its operator only by data repair).
NOBODY = "-"


@dataclass(frozen=True)
class Throughput:
    """One station or operator: parcels received, finished, and the median minutes per parcel."""

    key: str
    name: str
    inspections: int
    completed: int
    median_minutes: float | None


def medians(session: Session, scope: Scope, column: Any) -> dict[str, float]:
    """Median minutes received -> completed per station / operator (finished inspections only).

    ``column`` is Inspection.station_id or Inspection.operator_id (no operator: key NOBODY).
    When only dates are filtered (or, besides them, only this same key: a station's medians
    with station=bench-2): the finished count per key (from the rollup when it answers
    the scope) gives the middle rank, then one query per key reads the middle one or two with
    LIMIT/OFFSET in duration order. Migration 0004's expression index (key, duration,
    received_at, completed_at) gives that order without sorting and checks the date range
    inside the index. Other filters: PostgreSQL ``percentile_cont``; SQLite (no percentile) one
    window-function pass over the filtered rows.
    """
    dim = "station" if column is Inspection.station_id else "operator"
    minutes = sqlexpr.minutes_between(scope.dialect, Inspection.received_at,
                                      Inspection.completed_at)
    key = func.coalesce(column, NOBODY)
    finished = [*scope.conditions(), Inspection.completed_at.is_not(None)]
    postgres = scope.dialect == "postgresql"
    walk = hourly.date_only(scope) or _only_filter(scope) == dim
    if postgres and not walk:
        rows = session.execute(
            select(key, func.percentile_cont(0.5).within_group(minutes))
            .where(*finished).group_by(key)
        ).all()
        return {str(r[0]): float(r[1]) for r in rows}
    if not walk:
        return _window_medians(session, key, minutes, finished)
    if hourly.usable(scope):
        counts = {str(r[0]): int(r[2] or 0) for r in hourly.totals(session, scope, dim)}
    else:
        counts = {str(r[0]): int(r[1]) for r in session.execute(
            select(key, func.count()).where(*finished).group_by(key)).all()}
    # the indexed expression itself (ix_inspection_<key>_minutes), read as minutes
    duration: Any = Inspection.completed_at - Inspection.received_at if postgres else \
        func.julianday(Inspection.completed_at) - func.julianday(Inspection.received_at)
    as_minutes = func.extract("epoch", duration) / 60.0 if postgres else duration * 1440.0
    # Only the dates (and this key) are filtered here. On SQLite the date range is written
    # on +received_at: a unary "+" keeps a term from choosing the index ("The SQLite Query
    # Optimizer Overview", section "Disqualifying WHERE Clause Terms using Unary-+"), else
    # with a few stations the planner took ix_inspection_received_at and sorted a year of
    # rows (157 ms against 5 ms at 77,000 parcels).
    received = Inspection.received_at if postgres else \
        literal_column("+inspection.received_at", UTCDateTime())
    start, end = scope.bounds
    walk_range = (received >= start, received < end)
    out = {}
    for value, count in counts.items():
        if not count:
            continue
        same = column.is_(None) if value == NOBODY and dim == "operator" else column == value
        middle = session.execute(
            select(as_minutes).where(*walk_range, Inspection.completed_at.is_not(None), same)
            .order_by(duration).limit(2 - count % 2).offset((count - 1) // 2)).scalars().all()
        out[value] = float(sum(middle)) / len(middle)
    return out


def _only_filter(scope: Scope) -> str | None:
    """The one filter set besides the dates, if exactly one is."""
    sliced = slice_of(scope.filters)
    return sliced.split("=", 1)[0] if sliced else None


def _window_medians(session: Session, key: Any, minutes: Any, finished: list[Any]
                    ) -> dict[str, float]:
    """SQLite, other filters than dates: one pass over the filtered rows, the middle one or two
    of each group by ``row_number()`` over ``count()`` (the walk would check the filters row by
    row over the key's whole history)."""
    timed = select(key.label("k"), minutes.label("m")).where(*finished).subquery()
    ranked = select(
        timed.c.k, timed.c.m,
        func.row_number().over(partition_by=timed.c.k, order_by=timed.c.m).label("rn"),
        func.count().over(partition_by=timed.c.k).label("c"),
    ).subquery()
    middle = or_(ranked.c.rn == (ranked.c.c + 1) // 2, ranked.c.rn == (ranked.c.c + 2) // 2)
    rows = session.execute(
        select(ranked.c.k, func.avg(ranked.c.m)).where(middle).group_by(ranked.c.k)
    ).all()
    return {str(r[0]): float(r[1]) for r in rows}


def _throughput(session: Session, scope: Scope, column: Any, names: dict[str, str],
                dim: str) -> list[Throughput]:
    key = func.coalesce(column, NOBODY)
    if hourly.usable(scope):
        rows: Sequence[Any] = hourly.totals(session, scope, dim)
    else:
        done = func.count(Inspection.completed_at)
        rows = session.execute(
            select(key, func.count(), done).where(*scope.conditions()).group_by(key)
            .order_by(func.count().desc(), key)
        ).all()
    median = medians(session, scope, column)
    return [Throughput(str(r[0]), names.get(str(r[0]), str(r[0])), int(r[1]), int(r[2]),
                       median.get(str(r[0]))) for r in rows]


def station_names(session: Session) -> dict[str, str]:
    return {str(i): str(n) for i, n in session.execute(select(Station.id, Station.name)).all()}


def operator_names(session: Session) -> dict[str, str]:
    rows = session.execute(select(Operator.id, Operator.display_name, Operator.username)).all()
    return {str(i): str(d or u) for i, d, u in rows}


def by_station(session: Session, scope: Scope) -> list[Throughput]:
    return _throughput(session, scope, Inspection.station_id, station_names(session),
                       "station")


def by_operator(session: Session, scope: Scope) -> list[Throughput]:
    return _throughput(session, scope, Inspection.operator_id, operator_names(session),
                       "operator")

