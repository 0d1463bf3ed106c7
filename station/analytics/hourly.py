"""Dashboard counts read from the hourly rollup (analytics_hour) instead of the inspections.

Used when a scope can be answered from it exactly (``usable``): only the date range is filtered
(``analytics_hour``), or the dates and exactly one of station, category, reason, grade, operator
(its slice in ``analytics_slice``, station/analytics/slices.py; two filters at once cannot be
combined from counts kept per filter), and every UTC offset the station's zone has over the range is a whole number
of hours with changes on whole UTC hours. Then every instant of a UTC hour falls on the same
local day, so summing hours per local day (same ``local_bucket`` SQL as the direct query,
applied to the hour) gives exactly the direct counts, DST days included. Zones with half- or
quarter-hour offsets (Asia/Kolkata +5:30, Asia/Kathmandu +5:45, Australia/Adelaide) and every
other filter (or two at once) use the direct queries on the inspections.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from station.analytics import rollup, sqlexpr
from station.analytics.scope import Scope
from station.analytics.slices import slice_of
from station.analytics.sqlexpr import Bucket
from station.db.models import AnalyticsHour, AnalyticsSlice, ExpectedItem

H = AnalyticsHour
_DATE_ONLY = frozenset({"date_from", "date_to"})


def date_only(scope: Scope) -> bool:
    """Only the date range is filtered."""
    f = scope.filters
    return all(getattr(f, x.name) is None for x in fields(f) if x.name not in _DATE_ONLY)


def table(scope: Scope) -> Any:
    """analytics_slice for a sliced scope (one filter), else analytics_hour."""
    return AnalyticsHour if date_only(scope) else AnalyticsSlice


def usable(scope: Scope, units: bool = False) -> bool:
    """Whether the rollup answers this scope exactly (see the module docstring); ``units``:
    for a unit view (the rollup must hold the unit dims, ``rollup.UNITS_READY``)."""
    if not scope.rollup or (units and not scope.unit_rollup):
        return False
    if not date_only(scope) and not (scope.slice_rollup and slice_of(scope.filters)):
        return False
    start, end = scope.bounds
    return all(offset % 3600 == 0 and at.minute == at.second == at.microsecond == 0
               for at, offset in sqlexpr.offset_segments(scope.zone, start, end))


def in_range(scope: Scope, dim: str, coarse: bool = True) -> list[Any]:
    """Rows of ``dim`` covering the scope's range once: month, day and hour rows (or only
    hour rows, which a local-day bucket needs)."""
    start, end = scope.bounds
    T = table(scope)
    sliced = [T.slice == slice_of(scope.filters)] if T is AnalyticsSlice else []
    if not coarse:
        return [*sliced, T.dim == dim, T.hour >= start, T.hour < end]
    return [*sliced, or_(*(and_(T.dim == dim + suffix, T.hour >= lo, T.hour < hi)
                           for suffix, lo, hi in rollup.pieces(start, end)))]


def totals(session: Session, scope: Scope, dim: str, top: int | None = None,
           by: tuple[str, ...] = ("key",)) -> list[tuple[Any, ...]]:
    """(keys..., inspections, completed, flagged, overridden, units) per key (the ``by``
    columns), biggest first."""
    T = table(scope)
    keys = [getattr(T, k) for k in by]
    n = func.sum(T.inspections)
    stmt = (select(*keys, n, func.sum(T.completed), func.sum(T.flagged), func.sum(T.overridden),
                   func.sum(T.units))
            .where(*in_range(scope, dim)).group_by(*keys).order_by(n.desc(), *keys))
    if top is not None:
        stmt = stmt.limit(top)
    return [tuple(r) for r in session.execute(stmt).all()]


def unit_totals(session: Session, scope: Scope, dim: str, top: int | None = None,
                by: tuple[str, ...] = ("key",)) -> list[tuple[Any, ...]]:
    """(keys..., units, parcels) per key of a unit_* dim, most units first."""
    T = table(scope)
    keys = [getattr(T, k) for k in by]
    n = func.sum(T.units)
    stmt = (select(*keys, n, func.sum(T.inspections)).where(*in_range(scope, dim))
            .group_by(*keys).order_by(n.desc(), *keys))
    if top is not None:
        stmt = stmt.limit(top)
    return [tuple(r) for r in session.execute(stmt).all()]


def over_time(session: Session, scope: Scope, bucket: Bucket) -> dict[Any, tuple[int, int]]:
    """(inspections, flagged) per local bucket start."""
    start, end = scope.bounds
    T = table(scope)
    key = sqlexpr.local_bucket(scope.dialect, T.hour, bucket, scope.zone, start, end)
    rows = session.execute(select(key, func.sum(T.inspections), func.sum(T.flagged))
                           .where(*in_range(scope, "all", coarse=False)).group_by(key)).all()
    return {sqlexpr.as_date(r[0]): (int(r[1]), int(r[2])) for r in rows}


def sku_descriptions(session: Session, skus: list[str]) -> dict[str, str]:
    """A description per SKU, taken from one of its lines (an index seek per SKU)."""
    out = {}
    for sku in skus:
        description = session.execute(select(ExpectedItem.description)
                                      .where(ExpectedItem.sku == sku).limit(1)).scalar()
        out[sku] = str(description or "")
    return out
