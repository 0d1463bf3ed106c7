"""One dashboard filter is answered from its rollup slice exactly as the direct queries answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.analytics import Filters, Options, Scope, hourly, rollup, sqlexpr, throughput
from station.analytics.sqlexpr import Bucket
from station.context import StationContext
from station.db.models import AnalyticsSlice, Inspection, InspectionUnit
from tests.test_analytics import Parcel, seed
from tests.test_analytics_rollup import NOW, both, settle, spread

YEAR = Filters(date(2026, 1, 1), date(2026, 12, 31))
#: Every value of each sliced filter in spread() (unexpected: parcels without an RMA).
VALUES = {"station": ["bench-1", "bench-2"],
          "category": ["electronics", "shoes", "apparel", "home"],
          "reason": ["quality_defect", "no_reason", "size_mismatch", "damaged_in_transit",
                     "unexpected"],
          "grade": ["A", "B", "C", "D"], "operator": ["op-a", "op-b", "op-c"]}


def slice_rows(session: Session) -> list[tuple[Any, ...]]:
    S = AnalyticsSlice
    return sorted(tuple(r) for r in session.execute(
        select(S.slice, S.dim, S.hour, S.key, S.key2, S.key3, S.inspections, S.completed,
               S.flagged, S.overridden, S.units)).all())


def check_every_slice(ctx: StationContext, ranges: list[tuple[Filters, str, Bucket]]) -> None:
    with ctx.db.reader() as session:
        for filters, zone, bucket in ranges:
            for name, values in VALUES.items():
                for value in values:
                    narrowed = replace(filters, **{name: value})  # type: ignore[arg-type]
                    assert hourly.usable(Scope.of(session, narrowed, zone, now=NOW), units=True)
                    rolled, direct = both(session, narrowed, zone, Options(bucket=bucket,
                                                                          top=100))
                    assert rolled == direct, (name, value, zone, bucket)
                    assert rolled["over_time"] or filters != YEAR


def test_each_single_filter_is_answered_from_its_slice_as_the_direct_query_is(
        ctx: StationContext) -> None:
    with ctx.work() as work:
        seed(work, spread(120))
    assert settle(ctx) > 0
    ranges: list[tuple[Filters, str, Bucket]] = [(YEAR, "Asia/Shanghai", "week"),
              (Filters(date(2026, 3, 8), date(2026, 3, 8)), "America/New_York", "day")]
    check_every_slice(ctx, ranges)
    with ctx.db.reader() as session:
        for name, column in (("station", Inspection.station_id),
                             ("operator", Inspection.operator_id)):
            for value in VALUES[name]:  # the index walk for the filtered key = every row's
                narrowed = replace(YEAR, **{name: value})  # type: ignore[arg-type]
                scope = Scope.of(session, narrowed, "UTC", now=NOW)
                key = func.coalesce(column, throughput.NOBODY)
                rows = throughput._window_medians(
                    session, key, sqlexpr.minutes_between(scope.dialect, Inspection.received_at,
                                                          Inspection.completed_at),
                    [*scope.conditions(), Inspection.completed_at.is_not(None)])
                walked = throughput.medians(session, scope, column)
                assert walked.keys() == rows.keys() == {value}
                assert abs(walked[value] - rows[value]) < 1e-6
        two = replace(YEAR, station="bench-1", grade="A")
        assert not hourly.usable(Scope.of(session, two, "UTC", now=NOW))  # the base tables
    # a new inspection at an hour's edge, a supervisor's review, a unit re-graded
    with ctx.work() as work:
        seed(work, [Parcel("2026-06-30T23:59", station="bench-2", operator="op-c", minutes=7,
                           grade="B", disposition="open_box", recommendation="partial_refund",
                           reason="no_reason", lines=[("S1", "shoes"), ("H1", "home")])])
        session = work.session
        reviewed = session.execute(select(Inspection).where(Inspection.grade == "A")
                                   .order_by(Inspection.received_at).limit(1)).scalar_one()
        reviewed.grade, reviewed.disposition, reviewed.state = "C", "refurbish", "reviewed"
        reviewed.review = {"override": {"grade": "C"}}
        for unit in reviewed.units:
            unit.grade, unit.disposition = "C", "refurbish"
        unit = session.execute(select(InspectionUnit).join(Inspection)
                               .where(Inspection.id != reviewed.id, InspectionUnit.grade == "B")
                               .order_by(Inspection.received_at).limit(1)).scalar_one()
        unit.grade, unit.disposition = "D", "scrap"  # its parcel now has a B and a D unit
        work.touch(reviewed, unit.inspection)
    assert settle(ctx) >= 2
    check_every_slice(ctx, ranges[:1])
    with ctx.db.reader() as session:
        kept = slice_rows(session)
    with ctx.db.transaction() as session:
        rollup.rebuild(session)
    with ctx.db.reader() as session:
        assert slice_rows(session) == kept  # kept in step by the recounts = a fresh rebuild
