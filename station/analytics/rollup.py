"""The hourly analytics rollup: exact counts per UTC hour, recomputed before analytics reads them.

``analytics_hour`` holds, per UTC hour of ``received_at`` and per dimension (``DIMS``), the
counts the dashboard cards add up. It is never patched by guesses: whenever a transaction
changes something a count depends on (an inspection, a scan, an RMA or its lines), that same
transaction marks the hours those inspections were received in as dirty (one small upsert of a
``~dirty`` row, committed or rolled back with the change). ``refresh_dirty`` recomputes the dirty
hours from the base tables with the same SQL as ``rebuild``; ``AnalyticsReader`` runs it before
every analytics read, so answers always equal a fresh rebuild, while the bench's own commits pay
only for the marker (recounting in the commit made a whole inspection 4-5x slower).

Besides the hour rows (dim ``reason``), each dimension has UTC day rows (``reason@d``, hour =
midnight UTC) and UTC month rows (``reason@m``). Refreshing an hour adds the difference between
its recomputed rows and its old ones to that day's and month's rows (an upsert of a few dozen
rows); a rebuild or a bulk span sums them afresh from the hour and day rows. A range total then
reads whole months, whole days at the edges and hours at the very edges (``pieces``): two years
are ~24 month rows per key instead of ~8,760 hour rows, which matters for the many-valued SKU
and grading dimensions. Coarse rows keep every key (a SKU's category too), so they are plain
sums of the hour rows.

The unit of work (``station.unit_of_work``) marks them: every domain write names the
inspections and RMAs it changed (``Work.touch``), and the unit of work calls ``mark_touched``
before it commits, so the bench, the review decisions, the intake and the REST API (refund
status) all mark what they change. Writes outside it (raw SQL, bulk loads) mark nothing: run
``rebuild`` (`station analytics rebuild`) after them.
On PostgreSQL transaction-scoped advisory locks (month, then hour) serialise two refreshers of
the same rows, so neither overwrites the other's count with a stale one.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from station.analytics import sqlexpr
from station.analytics.filters import FLAG_REASONS, UNEXPECTED
from station.analytics.slices import Slicer, parcel_slicers, unit_slicers
from station.db.models import (
    AnalyticsHour,
    AnalyticsSlice,
    ExpectedItem,
    Inspection,
    InspectionUnit,
    ReturnAuthorization,
    Scan,
)

#: Dimensions in analytics_hour and what key, key2, key3 hold.
#: The unit_* dims count units (inspection_unit): ``units`` holds the units, ``inspections``
#: the parcels they were in; "missing" is the disposition / recommendation of a missing unit.
DIMS = {
    "all": "-", "reason": "reason", "station": "station id", "operator": "operator id",
    "issue": "issue (flagged, wrong_item, ..., flag:<reason>)",
    "grading": "operator id, first line's category, grade",
    "unit_grade": "grade", "unit_disposition": "disposition",
    "unit_refund": "recommendation, refund status", "unit_category": "category",
    "unit_sku": "sku, category",
}
#: A row of this dim says every hour row also has its unit_* dims (written by a rebuild, or
#: by the first recount into an empty rollup); until then unit views read inspection_unit.
#: Migrations 0004 and 0005 rebuilt the rollup before inspection_unit existed.
UNITS_READY = "~units"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_OPERATOR = "-"
NO_CATEGORY = "-"
#: Inspection columns whose change can move a count.
COUNTED = frozenset({
    "rma_pk", "station_id", "operator_id", "state", "unexpected", "received_at", "completed_at",
    "verdicts", "grade", "disposition", "recommendation", "flags", "review", "refund_status",
})
#: analytics_hour rows with this dim mark hours whose counts are waiting to be recomputed.
DIRTY = "~dirty"
#: A commit touching more hours than this recomputes their whole span in one pass.
MAX_SINGLE_HOURS = 4
COLUMNS = ("hour", "dim", "key", "key2", "key3", "inspections", "completed", "flagged",
           "overridden", "units")


def truncate(dialect: str, column: Any, unit: str = "hour") -> Any:
    """The UTC hour / day / month a timestamp falls in, as stored in analytics_hour.hour."""
    if dialect == "postgresql":
        return func.timezone("UTC", func.date_trunc(unit, func.timezone("UTC", column)))
    pattern = {"hour": "%Y-%m-%d %H:00:00.000000", "day": "%Y-%m-%d 00:00:00.000000",
               "month": "%Y-%m-01 00:00:00.000000"}[unit]
    return func.strftime(pattern, column)


def hour_of(dialect: str, column: Any) -> Any:
    """The UTC hour a timestamp falls in."""
    return truncate(dialect, column, "hour")


def floor_day(at: datetime) -> datetime:
    return floor_hour(at).replace(hour=0)


def floor_month(at: datetime) -> datetime:
    return floor_day(at).replace(day=1)


def next_month(at: datetime) -> datetime:
    return (floor_month(at) + timedelta(days=32)).replace(day=1)


def pieces(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """[start, end) (whole UTC hours) as whole UTC months, whole days around them, then hours.

    Returns (dim suffix, from, to): "@m" month rows, "@d" day rows, "" hour rows.
    """
    def split(lo: datetime, hi: datetime, grains: tuple[str, ...]) -> list[tuple[str, datetime,
                                                                                 datetime]]:
        if lo >= hi:
            return []
        if not grains:
            return [("", lo, hi)]
        grain, rest = grains[0], grains[1:]
        if grain == "@m":
            inner_lo = lo if floor_month(lo) == lo else next_month(lo)
            inner_hi = floor_month(hi)
        else:
            inner_lo = lo if floor_day(lo) == lo else floor_day(lo) + timedelta(days=1)
            inner_hi = floor_day(hi)
        if inner_lo >= inner_hi:
            return split(lo, hi, rest)
        return [*split(lo, inner_lo, rest), (grain, inner_lo, inner_hi),
                *split(inner_hi, hi, rest)]

    return split(start, end, ("@m", "@d"))


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _sliced(slicer: Slicer | None, columns: list[Any], joins: list[tuple[Any, Any]],
            where: list[Any], grouped: list[Any]) -> None:
    """Add a slicer's value (first column ``slice``), joins, NOT NULL and GROUP BY in place."""
    if slicer is None:
        return
    columns.insert(0, (literal(f"{slicer.name}=", String) + cast(slicer.value, String))
                   .label("slice"))
    joins.extend(slicer.joins)
    where.append(slicer.value.is_not(None))
    grouped.append(slicer.value)


def _selects(dialect: str, start: datetime, end: datetime,
             slicer: Slicer | None = None) -> list[Select[Any]]:
    """One SELECT per dimension over inspections received in [start, end) (per slice value
    first, with ``slicer``)."""
    hour = hour_of(dialect, Inspection.received_at)
    in_range = (Inspection.received_at >= start, Inspection.received_at < end)
    zero = literal(0)
    count = func.count()

    def total(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    flagged = total(sqlexpr.any_flag(dialect))
    overridden = total(sqlexpr.supervisor_override(dialect))
    completed = func.count(Inspection.completed_at)

    def dim(name: str, keys: tuple[Any, Any, Any], *where: Any, measures: tuple[Any, ...] = (),
            joins: Iterable[tuple[Any, Any]] = (), inspections: Any = count,
            group: tuple[Any, ...] | None = None) -> Select[Any]:
        columns = [hour.label("hour"), literal(name).label("dim"),
                   *(cast(k, String).label(f"k{i}") for i, k in enumerate(keys)),
                   inspections, *(measures or (zero, zero, zero, zero))]
        grouped = list(group if group is not None else (k for k in keys if k is not blank))
        joined, conditions = list(joins), [*in_range, *where]
        _sliced(slicer, columns, joined, conditions, grouped)
        stmt = select(*columns).select_from(Inspection)
        for table, on in joined:
            stmt = stmt.outerjoin(table, on)
        return stmt.where(*conditions).group_by(hour, *grouped)

    blank = literal("")
    rma = (ReturnAuthorization, ReturnAuthorization.id == Inspection.rma_pk)
    first_line = (ExpectedItem, and_(ExpectedItem.rma_pk == Inspection.rma_pk,
                                     ExpectedItem.line_no == 1))
    operator = func.coalesce(Inspection.operator_id, NO_OPERATOR)
    issues: list[tuple[str, Any]] = [
        # EXISTS per inspection (ix_scan_inspection_id): an hour has a few dozen inspections,
        # while scope.wrong_item()'s IN list would collect every mismatch scan ever
        ("flagged", sqlexpr.any_flag(dialect)),
        ("wrong_item", exists().where(Scan.inspection_id == Inspection.id,
                                      Scan.result == "mismatch")),
        ("weight_mismatch", sqlexpr.has_verdict_code(dialect, "over_tolerance",
                                                     "under_tolerance")),
        ("unexpected", Inspection.unexpected.is_(True)),
        ("supervisor_override", sqlexpr.supervisor_override(dialect)),
        *((f"flag:{r}", sqlexpr.has_flag(dialect, r)) for r in FLAG_REASONS),
    ]
    return [
        dim("all", (blank, blank, blank), measures=(completed, flagged, zero, zero)),
        dim("reason", (func.coalesce(ReturnAuthorization.reason, UNEXPECTED), blank, blank),
            joins=(rma,)),
        dim("station", (Inspection.station_id, blank, blank),
            measures=(completed, zero, zero, zero)),
        dim("operator", (operator, blank, blank), measures=(completed, flagged, overridden, zero)),
        *(dim("issue", (literal(name), blank, blank), condition, group=())
          for name, condition in issues),
        dim("grading", (operator, func.coalesce(ExpectedItem.category, NO_CATEGORY),
                        Inspection.grade), Inspection.grade.is_not(None), joins=(first_line,)),
    ]


def _unit_selects(dialect: str, start: datetime, end: datetime,
                  slicer: Slicer | None = None) -> list[Select[Any]]:
    """One SELECT per unit dimension over the units of inspections received in [start, end)
    (per slice value first, with ``slicer``)."""
    U = InspectionUnit
    hour = hour_of(dialect, Inspection.received_at)
    blank = literal("")
    missing = literal("missing")

    def or_missing(column: Any) -> Any:
        return case((U.kind == "missing", missing), else_=column)

    def dim(name: str, keys: tuple[Any, Any, Any], *where: Any,
            group: tuple[Any, ...] | None = None) -> Select[Any]:
        grouped = list(group if group is not None else (k for k in keys if k is not blank))
        columns = [hour.label("hour"), literal(name).label("dim"),
                   *(cast(k, String).label(f"k{i}") for i, k in enumerate(keys)),
                   func.count(func.distinct(U.inspection_id)), literal(0), literal(0),
                   literal(0), func.count(U.id)]
        joins: list[tuple[Any, Any]] = []
        conditions = [Inspection.received_at >= start, Inspection.received_at < end, *where]
        _sliced(slicer, columns, joins, conditions, grouped)
        stmt = select(*columns).select_from(U).join(Inspection, Inspection.id == U.inspection_id)
        for table, on in joins:
            stmt = stmt.outerjoin(table, on)
        return stmt.where(*conditions).group_by(hour, *grouped)

    return [
        dim("unit_grade", (U.grade, blank, blank), U.grade.is_not(None)),
        dim("unit_disposition", (or_missing(U.disposition), blank, blank),
            or_missing(U.disposition).is_not(None)),
        dim("unit_refund", (or_missing(U.recommendation), sqlexpr.refund_state(dialect), blank),
            or_missing(U.recommendation).is_not(None)),
        dim("unit_category", (U.category, blank, blank), U.category != ""),
        dim("unit_sku", (U.sku, func.max(U.category), blank), U.sku.is_not(None), U.sku != "",
            group=(U.sku,)),
    ]


def has_units(session: Session) -> bool:
    """Whether inspection_unit exists (not yet while migrations 0004 / 0005 rebuild)."""
    return sa_inspect(session.connection()).has_table(InspectionUnit.__tablename__)


def units_ready(session: Session) -> bool:
    return session.execute(select(AnalyticsHour.hour).where(AnalyticsHour.dim == UNITS_READY)
                           .limit(1)).first() is not None


def _mark_units_ready(session: Session) -> None:
    if has_units(session) and not units_ready(session):
        session.execute(insert(AnalyticsHour).values(
            dim=UNITS_READY, hour=EPOCH, key="", key2="", key3="",
            **dict.fromkeys(MEASURES, 0)))


def has_slices(session: Session) -> bool:
    """Whether analytics_slice exists (not yet while migrations before 0013 rebuild)."""
    return sa_inspect(session.connection()).has_table(AnalyticsSlice.__tablename__)


def _tables(session: Session) -> list[Any]:
    return [AnalyticsHour, AnalyticsSlice] if has_slices(session) else [AnalyticsHour]


def _keys(table: Any) -> list[Any]:
    """The primary key columns but the hour: (slice,) dim, key, key2, key3."""
    names = ("slice", "dim", "key", "key2", "key3") if table is AnalyticsSlice \
        else ("dim", "key", "key2", "key3")
    return [getattr(table, n) for n in names]


def refresh(session: Session, start: datetime, end: datetime) -> None:
    """Recompute analytics_hour (and analytics_slice) for the whole hours in [start, end) from
    the base tables, then the day and month rows those hours belong to (from the hour rows,
    then the day rows)."""
    dialect = session.get_bind().dialect.name
    start, end = floor_hour(start), floor_hour(end - timedelta(microseconds=1)) + timedelta(hours=1)
    _recompute_hours(session, start, end)
    last = end - timedelta(hours=1)
    for table in _tables(session):
        _coarsen(session, table, dialect, "day", "", "@d", floor_day(start),
                 floor_day(last) + timedelta(days=1))
        _coarsen(session, table, dialect, "month", "@d", "@m", floor_month(start),
                 next_month(last))


def _recompute_hours(session: Session, start: datetime, end: datetime) -> None:
    """The hour rows of [start, end) (whole hours) from the base tables."""
    dialect = session.get_bind().dialect.name
    units = has_units(session)
    for table in _tables(session):
        session.execute(delete(table).where(table.dim.in_(DIMS), table.hour >= start,
                                            table.hour < end))
    columns = [getattr(AnalyticsHour, c) for c in COLUMNS]
    for stmt in [*_selects(dialect, start, end),
                 *(_unit_selects(dialect, start, end) if units else [])]:
        session.execute(insert(AnalyticsHour).from_select(columns, stmt))
    if not has_slices(session):
        return
    columns = [getattr(AnalyticsSlice, c) for c in ("slice", *COLUMNS)]
    for slicer in parcel_slicers(start, end):
        for stmt in _selects(dialect, start, end, slicer):
            session.execute(insert(AnalyticsSlice).from_select(columns, stmt))
    for slicer in unit_slicers():
        for stmt in _unit_selects(dialect, start, end, slicer):
            session.execute(insert(AnalyticsSlice).from_select(columns, stmt))


def _coarsen(session: Session, table: Any, dialect: str, unit: str, source: str, target: str,
             start: datetime, end: datetime) -> None:
    """Rows of dims + ``target`` for [start, end) summed from the rows of dims + ``source``."""
    H = table
    session.execute(delete(H).where(H.dim.in_([d + target for d in DIMS]), H.hour >= start,
                                    H.hour < end))
    bucket = truncate(dialect, H.hour, unit)
    sums = (func.sum(H.inspections), func.sum(H.completed), func.sum(H.flagged),
            func.sum(H.overridden), func.sum(H.units))
    sliced = [H.slice] if H is AnalyticsSlice else []
    columns = [*sliced, *(getattr(H, c) for c in COLUMNS)]
    dim = func.replace(H.dim + "#", source + "#", target) if source else H.dim + target
    where = [H.dim.in_([d + source for d in DIMS]), H.hour >= start, H.hour < end]
    # one slice at a time: each GROUP BY sorts only its slice's rows (one sort of all of
    # them spilled to disk and took minutes at 50,000 units)
    parts: list[list[Any]] = [[]] if not sliced else [[H.slice == v] for v in session.execute(
        select(H.slice).where(*where).distinct()).scalars()]
    for part in parts:
        session.execute(insert(H).from_select(columns, select(
            *sliced, bucket, dim, H.key, H.key2, H.key3, *sums).where(*where, *part)
            .group_by(*sliced, bucket, H.dim, H.key, H.key2, H.key3)))


MEASURES = ("inspections", "completed", "flagged", "overridden", "units")
Counts = dict[tuple[str, ...], tuple[int, ...]]


def _hour_rows(session: Session, table: Any, hour: datetime) -> Counts:
    keys = _keys(table)
    rows = session.execute(select(*keys, *(getattr(table, m) for m in MEASURES))
                           .where(table.dim.in_(DIMS), table.hour == hour)).all()
    return {tuple(r[:len(keys)]): tuple(int(v) for v in r[len(keys):]) for r in rows}


def refresh_hour(session: Session, hour: datetime) -> None:
    """Recompute one hour's rows; add the difference to its day and month rows (a commit)."""
    hour = floor_hour(hour)
    tables = _tables(session)
    old = {t: _hour_rows(session, t, hour) for t in tables}
    _recompute_hours(session, hour, hour + timedelta(hours=1))
    for table in tables:
        new = _hour_rows(session, table, hour)
        _add_delta(session, table, hour, old[table], new)


def _add_delta(session: Session, H: Any, hour: datetime, old: Counts, new: Counts) -> None:
    """Add new - old (one hour's rows) to the day and month rows of that hour."""
    zero = (0,) * len(MEASURES)
    delta = {k: d for k in sorted(old.keys() | new.keys())
             if any(d := tuple(a - b for a, b in zip(new.get(k, zero), old.get(k, zero),
                                                     strict=True)))}
    if not delta:
        return
    names = [c.key for c in _keys(H)]
    dim_at = names.index("dim")
    dialect = session.get_bind().dialect.name
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for suffix, at in (("@d", floor_day(hour)), ("@m", floor_month(hour))):
        stmt = make_insert(H).values([
            {**dict(zip(names, k, strict=True)), "dim": k[dim_at] + suffix, "hour": at,
             **dict(zip(MEASURES, d, strict=True))} for k, d in delta.items()])
        session.execute(stmt.on_conflict_do_update(
            index_elements=[*_keys(H), H.hour],
            set_={m: getattr(H, m) + getattr(stmt.excluded, m) for m in MEASURES}))
        session.execute(delete(H).where(H.dim.in_([d + suffix for d in DIMS]), H.hour == at,
                                        *(getattr(H, m) == 0 for m in MEASURES)))


def rebuild(session: Session) -> int:
    """Recompute the whole rollup (after bulk loads or raw SQL); returns its row count."""
    first, last = session.execute(select(func.min(Inspection.received_at),
                                         func.max(Inspection.received_at))).one()
    for table in _tables(session):
        session.execute(delete(table))
    if first is not None:  # hour rows, then day and month rows over the whole span
        refresh(session, first, last + timedelta(hours=1))
    _mark_units_ready(session)
    return int(session.execute(select(func.count()).select_from(AnalyticsHour)).scalar_one())


def union_query(dialect: str, start: datetime, end: datetime) -> Any:
    """All dimensions as one statement (for checks and EXPLAIN)."""
    return union_all(*_selects(dialect, start, end), *_unit_selects(dialect, start, end))


# -- keeping it current ----------------------------------------------------------------------


def mark_touched(session: Session, hours: set[datetime], inspection_ids: set[str],
                 rma_pks: set[str]) -> None:
    """Mark dirty the hours a transaction touched: given hours, and those of the inspections
    (by id) and of every inspection of the RMAs (by primary key) it changed.

    The unit of work calls this just before its commit, so the marker commits or rolls back
    with the change. The recount happens later, outside the bench's hot path: refresh_dirty()
    runs before every analytics read (AnalyticsReader) and so the answers stay exact.
    """
    hours = {floor_hour(h) for h in hours}
    if inspection_ids:
        hours.update(floor_hour(t) for t in session.execute(
            select(Inspection.received_at).where(Inspection.id.in_(inspection_ids))).scalars())
    if rma_pks:
        hours.update(floor_hour(t) for t in session.execute(
            select(Inspection.received_at).where(Inspection.rma_pk.in_(rma_pks))).scalars())
    if hours:
        mark_dirty(session, hours)


def mark_dirty(session: Session, hours: set[datetime]) -> None:
    """Note that these hours' counts must be recomputed (idempotent)."""
    dialect = session.get_bind().dialect.name
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make_insert(AnalyticsHour).values([
        {"dim": DIRTY, "hour": floor_hour(h), "key": "", "key2": "", "key3": "",
         **dict.fromkeys(MEASURES, 0)} for h in sorted(hours)])
    session.execute(stmt.on_conflict_do_nothing(
        index_elements=[AnalyticsHour.dim, AnalyticsHour.hour, AnalyticsHour.key,
                        AnalyticsHour.key2, AnalyticsHour.key3]))


def dirty_hours(session: Session) -> list[datetime]:
    return list(session.execute(select(AnalyticsHour.hour).where(AnalyticsHour.dim == DIRTY)
                                .order_by(AnalyticsHour.hour)).scalars())


def refresh_dirty(session: Session) -> int:
    """Recompute every hour marked dirty (and its day and month rows); returns how many."""
    ordered = dirty_hours(session)
    if not ordered:
        return 0
    # the first recount into an empty rollup writes every dim, the unit ones included
    empty = session.execute(select(AnalyticsHour.hour).where(
        AnalyticsHour.dim.not_in([DIRTY, UNITS_READY])).limit(1)).first() is None
    if session.get_bind().dialect.name == "postgresql":
        # Month locks, then hour locks, always in that order (no deadlock between refreshers).
        for at in [*sorted({floor_month(h) for h in ordered}), *ordered]:
            key = zlib.crc32(f"analytics_hour {at.isoformat()}".encode())
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        ordered = dirty_hours(session)  # another refresher may have done some meanwhile
    if len(ordered) <= MAX_SINGLE_HOURS:
        for hour in ordered:
            refresh_hour(session, hour)
    elif ordered:  # many hours (an import, a long outage of analytics): one pass over the span
        refresh(session, ordered[0], ordered[-1] + timedelta(hours=1))
    session.execute(delete(AnalyticsHour).where(AnalyticsHour.dim == DIRTY,
                                                AnalyticsHour.hour.in_(ordered)))
    if empty:
        _mark_units_ready(session)
    return len(ordered)
