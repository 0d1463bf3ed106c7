"""Dashboard counts by SQL aggregation: parcels over time / by reason, units by product, grade, outcome."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from station.analytics import hourly, sqlexpr
from station.analytics.filters import FLAG_REASONS, UNEXPECTED
from station.analytics.scope import MISSING, Scope, wrong_item
from station.analytics.sqlexpr import Bucket
from station.db.models import ExpectedItem, Inspection, InspectionUnit, ReturnAuthorization

U = InspectionUnit
#: What each view counts: physical units (inspection_unit) or parcels (inspection).
COUNTS: dict[str, str] = {
    "over_time": "parcels", "reasons": "parcels", "categories": "units", "products": "units",
    "grades": "units", "dispositions": "units", "stations": "parcels", "operators": "parcels",
    "rates": "parcels", "refunds": "units", "sla": "parcels", "grading": "parcels",
    "inspections": "parcels",
}


@dataclass(frozen=True)
class TimePoint:
    """Returns received in one local day / week / month (``first``..``last`` clipped to the range)."""

    first: date
    last: date
    inspections: int
    flagged: int


@dataclass(frozen=True)
class Share:
    """A count for one value of a dimension (reason, grade, disposition, ...): parcels or
    units, as ``COUNTS`` says for the view."""

    key: str
    inspections: int

    @property
    def count(self) -> int:
        return self.inspections


@dataclass(frozen=True)
class ProductRank:
    """One SKU: its units (expected, undeclared or missing), the parcels they were in."""

    sku: str
    description: str
    category: str
    inspections: int
    units: int


@dataclass(frozen=True)
class Rates:
    """How many inspections needed a supervisor or showed a mismatch, and why."""

    inspections: int
    flagged: int
    wrong_item: int
    weight_mismatch: int
    unexpected_parcel: int
    supervisor_override: int
    by_flag: dict[str, int]

    def rate(self, count: int) -> float | None:
        return count / self.inspections if self.inspections else None


@dataclass(frozen=True)
class RefundOutcome:
    """Units with this recommendation ('missing': never came) in parcels whose refund flow
    reported this status."""

    recommendation: str
    refund: str
    inspections: int

    @property
    def units(self) -> int:
        return self.inspections


def _flagged_sum(scope: Scope) -> Any:
    return func.coalesce(func.sum(case((sqlexpr.any_flag(scope.dialect), 1), else_=0)), 0)


def bucket_end(first: date, bucket: Bucket) -> date:
    if bucket == "day":
        return first
    if bucket == "week":
        return first + timedelta(days=6)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def next_bucket(first: date, bucket: Bucket) -> date:
    return bucket_end(first, bucket) + timedelta(days=1)


def bucket_start(day: date, bucket: Bucket) -> date:
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def returns_over_time(session: Session, scope: Scope, bucket: Bucket = "day") -> list[TimePoint]:
    """One point per bucket of the range (zero where nothing came back), local calendar."""
    start, end = scope.bounds
    if hourly.usable(scope):
        counted = hourly.over_time(session, scope, bucket)
    else:
        key = sqlexpr.local_bucket(scope.dialect, Inspection.received_at, bucket, scope.zone,
                                   start, end).label("bucket")
        rows = session.execute(
            select(key, func.count(), _flagged_sum(scope))
            .where(*scope.conditions()).group_by(key)
        ).all()
        counted = {sqlexpr.as_date(r[0]): (int(r[1]), int(r[2])) for r in rows}
    f = scope.filters
    points = []
    first = bucket_start(f.date_from, bucket)
    while first <= f.date_to:
        total, flagged = counted.get(first, (0, 0))
        points.append(TimePoint(max(first, f.date_from), min(bucket_end(first, bucket), f.date_to),
                                total, flagged))
        first = next_bucket(first, bucket)
    return points


def _rolled(session: Session, scope: Scope, dim: str, top: int | None = None) -> list[Share]:
    return [Share(str(r[0]), int(r[1])) for r in hourly.totals(session, scope, dim, top)]


def _shares(session: Session, scope: Scope, key: Any, *where: Any, joined: Any = None) -> list[Share]:
    stmt = select(key.label("k"), func.count().label("n"))
    if joined is not None:
        stmt = stmt.select_from(Inspection).outerjoin(*joined)
    rows = session.execute(
        stmt.where(*scope.conditions(), *where).group_by(key)
        .order_by(func.count().desc(), key)
    ).all()
    return [Share(str(r[0]), int(r[1])) for r in rows]


def by_reason(session: Session, scope: Scope) -> list[Share]:
    """Why items came back (the RMA's reason; parcels without an RMA count as 'unexpected')."""
    if hourly.usable(scope):
        return _rolled(session, scope, "reason")
    key = func.coalesce(ReturnAuthorization.reason, UNEXPECTED)
    return _shares(session, scope, key,
                   joined=(ReturnAuthorization, ReturnAuthorization.id == Inspection.rma_pk))


def _units(session: Session, scope: Scope, dim: str, keys: Sequence[Any], *where: Any,
           top: int | None = None) -> list[tuple[Any, ...]]:
    """(keys..., units) over the units of the parcels in scope, biggest first: from the
    rollup's ``dim`` when it answers, else one GROUP BY over inspection_unit."""
    if hourly.usable(scope, units=True):
        return [r[:-1] for r in hourly.unit_totals(session, scope, dim, top,
                                                    by=("key", "key2")[:len(keys)])]
    n = func.count(U.id)
    stmt = (select(*keys, n).select_from(U).join(Inspection, Inspection.id == U.inspection_id)
            .where(*scope.unit_conditions(), *where).group_by(*keys).order_by(n.desc(), *keys))
    if top is not None:
        stmt = stmt.limit(top)
    return [tuple(r) for r in session.execute(stmt).all()]


#: A unit's disposition / recommendation, "missing" for a unit that never came.
def _or_missing(column: Any) -> Any:
    return case((U.kind == MISSING, MISSING), else_=column)


def by_grade(session: Session, scope: Scope) -> list[Share]:
    """Graded units per grade (A..D); missing units have none."""
    rows = _units(session, scope, "unit_grade", (U.grade,), U.grade.is_not(None))
    return sorted((Share(str(r[0]), int(r[1])) for r in rows), key=lambda s: s.key)


def by_disposition(session: Session, scope: Scope) -> list[Share]:
    """Where the units went; units that never came count as 'missing'."""
    key = _or_missing(U.disposition)
    rows = _units(session, scope, "unit_disposition", (key,), key.is_not(None))
    return [Share(str(r[0]), int(r[1])) for r in rows]


def by_category(session: Session, scope: Scope, top: int = 10) -> list[Share]:
    """Units per product category (each unit's own; units of no known category left out)."""
    rows = _units(session, scope, "unit_category", (U.category,), U.category != "", top=top)
    return [Share(str(r[0]), int(r[1])) for r in rows]


def by_sku(session: Session, scope: Scope, top: int = 10) -> list[ProductRank]:
    """The most returned products: units per SKU (and in how many parcels), biggest first."""
    if hourly.usable(scope, units=True):
        H = hourly.table(scope)
        units = func.sum(H.units)
        ranked = session.execute(
            select(H.key, func.max(H.key2), func.sum(H.inspections), units)
            .where(*hourly.in_range(scope, "unit_sku")).group_by(H.key)
            .order_by(units.desc(), H.key).limit(top)).all()
        described = hourly.sku_descriptions(session, [str(r[0]) for r in ranked])
        return [ProductRank(str(r[0]), described[str(r[0])], str(r[1] or ""), int(r[2]),
                            int(r[3])) for r in ranked]
    n = func.count(U.id)
    stmt = (select(U.sku, func.max(ExpectedItem.description), func.max(U.category),
                   func.count(func.distinct(U.inspection_id)), n)
            .select_from(U).join(Inspection, Inspection.id == U.inspection_id)
            .outerjoin(ExpectedItem, ExpectedItem.id == U.expected_item_id)
            .where(*scope.unit_conditions(), U.sku.is_not(None), U.sku != "")
            .group_by(U.sku).order_by(n.desc(), U.sku).limit(top))
    return [ProductRank(str(r[0]), str(r[1] or ""), str(r[2] or ""), int(r[3]), int(r[4]))
            for r in session.execute(stmt).all()]


def rates(session: Session, scope: Scope) -> Rates:
    """Flag and mismatch counts in one pass over the filtered inspections."""
    def total(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    if hourly.usable(scope):
        whole = hourly.totals(session, scope, "all", by=())
        count, flagged = (int(whole[0][0] or 0), int(whole[0][2] or 0)) if whole else (0, 0)
        issue = {str(r[0]): int(r[1]) for r in hourly.totals(session, scope, "issue")}
        return Rates(inspections=count, flagged=flagged, wrong_item=issue.get("wrong_item", 0),
                     weight_mismatch=issue.get("weight_mismatch", 0),
                     unexpected_parcel=issue.get("unexpected", 0),
                     supervisor_override=issue.get("supervisor_override", 0),
                     by_flag={r: issue.get(f"flag:{r}", 0) for r in FLAG_REASONS})
    d = scope.dialect
    columns = [func.count(), total(sqlexpr.any_flag(d)), total(wrong_item()),
               total(sqlexpr.has_verdict_code(d, "over_tolerance", "under_tolerance")),
               total(Inspection.unexpected.is_(True)), total(sqlexpr.supervisor_override(d)),
               *(total(sqlexpr.has_flag(d, reason)) for reason in FLAG_REASONS)]
    row = session.execute(select(*columns).where(*scope.conditions())).one()
    v = [int(x or 0) for x in row]
    return Rates(inspections=v[0], flagged=v[1], wrong_item=v[2], weight_mismatch=v[3],
                 unexpected_parcel=v[4], supervisor_override=v[5],
                 by_flag=dict(zip(FLAG_REASONS, v[6:], strict=True)))


def refund_outcomes(session: Session, scope: Scope) -> list[RefundOutcome]:
    """Units per recommendation ('missing' for units that never came) x what the parcel's
    refund flow did ('none' = not reported yet)."""
    key = _or_missing(U.recommendation)
    rows = _units(session, scope, "unit_refund", (key, sqlexpr.refund_state(scope.dialect)),
                  key.is_not(None))
    return sorted((RefundOutcome(str(r[0]), str(r[1]), int(r[2])) for r in rows),
                  key=lambda o: (o.recommendation, o.refund))


@dataclass(frozen=True)
class AgeBin:
    """Open flagged inspections aged ``from_h``..``to_h`` hours (since received); SLA level."""

    from_h: float
    to_h: float | None
    level: str
    inspections: int


def sla_ages(session: Session, scope: Scope, warn_h: float, breach_h: float) -> list[AgeBin]:
    """Age distribution of the flagged queue against the review SLA (ok / warn / breach)."""
    edges = sorted({0.0, warn_h / 2, warn_h, (warn_h + breach_h) / 2, breach_h, breach_h * 2})
    now: datetime = scope.now
    index = case(*((Inspection.received_at > now - timedelta(hours=edge), i - 1)
                   for i, edge in enumerate(edges) if i > 0), else_=len(edges) - 1)
    rows = session.execute(
        select(index.label("bin"), func.count())
        .where(*scope.conditions(), Inspection.state == "flagged").group_by(index)
    ).all()
    counted = {int(r[0]): int(r[1]) for r in rows}
    bins = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        level = "ok" if high is not None and high <= warn_h else \
            "warn" if high is not None and high <= breach_h else "breach"
        bins.append(AgeBin(low, high, level, counted.get(i, 0)))
    return bins
