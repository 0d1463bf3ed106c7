"""Throughput per station and per operator: inspections, completed ones, median minutes per parcel.

The median of received -> completed is computed in the database: ``percentile_cont(0.5)`` on
PostgreSQL; on SQLite (no percentile function) with window functions, the middle one or two rows
of each group by ``row_number()`` over ``count()``, so no rows are loaded into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from station.analytics import hourly, sqlexpr
from station.analytics.scope import Scope
from station.db.models import Inspection, Operator, Station

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


def medians(session: Session, scope: Scope, key: Any) -> dict[str, float]:
    """Median minutes received -> completed per value of ``key`` (finished inspections only)."""
    minutes = sqlexpr.minutes_between(scope.dialect, Inspection.received_at,
                                      Inspection.completed_at)
    finished = [*scope.conditions(), Inspection.completed_at.is_not(None)]
    if scope.dialect == "postgresql":
        rows = session.execute(
            select(key, func.percentile_cont(0.5).within_group(minutes))
            .where(*finished).group_by(key)
        ).all()
        return {str(r[0]): float(r[1]) for r in rows}
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


def _throughput(session: Session, scope: Scope, key: Any, names: dict[str, str],
                dim: str) -> list[Throughput]:
    if hourly.usable(scope):
        rows: Sequence[Any] = hourly.totals(session, scope, dim)
    else:
        done = func.count(Inspection.completed_at)
        rows = session.execute(
            select(key, func.count(), done).where(*scope.conditions()).group_by(key)
            .order_by(func.count().desc(), key)
        ).all()
    median = medians(session, scope, key)
    return [Throughput(str(r[0]), names.get(str(r[0]), str(r[0])), int(r[1]), int(r[2]),
                       median.get(str(r[0]))) for r in rows]


def station_names(session: Session) -> dict[str, str]:
    return {str(i): str(n) for i, n in session.execute(select(Station.id, Station.name)).all()}


def operator_names(session: Session) -> dict[str, str]:
    rows = session.execute(select(Operator.id, Operator.display_name, Operator.username)).all()
    return {str(i): str(d or u) for i, d, u in rows}


def by_station(session: Session, scope: Scope) -> list[Throughput]:
    return _throughput(session, scope, Inspection.station_id, station_names(session), "station")


def by_operator(session: Session, scope: Scope) -> list[Throughput]:
    key = func.coalesce(Inspection.operator_id, NOBODY)
    return _throughput(session, scope, key, operator_names(session), "operator")

