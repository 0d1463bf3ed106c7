"""The hourly analytics rollup answers exactly what the direct queries answer, and stays current."""

from __future__ import annotations

import itertools
import random
import statistics
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from station.analytics import Filters, Options, Scope, hourly, rollup, throughput
from station.analytics.tables import TABLES
from station.context import StationContext
from station.db.engine import make_engine
from station.db.migrate import upgrade
from station.db.models import AnalyticsHour, AnalyticsSlice, Inspection, Scan
from station.db.types import UTCDateTime
from tests.test_analytics import BENCH, Parcel, seed

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
#: Views whose counts the rollup can serve (the drill-down list and SLA always read inspections).
ROLLED = [name for name in TABLES if name not in ("inspections", "sla")]
REASONS = ["quality_defect", "no_reason", "size_mismatch", "damaged_in_transit", None]
LINES = [[("E1", "electronics")], [("S1", "shoes")], [("S1", "shoes"), ("E2", "electronics")],
         [("A7", "apparel"), ("A7", "apparel"), ("H1", "home")]]
GRADES = [("A", "restock", "full_refund"), ("B", "open_box", "partial_refund"),
          ("C", "refurbish", "partial_refund"), ("D", "scrap", "deny")]


def spread(n: int, seed_: int = 3) -> list[Parcel]:
    """Parcels spread over 2026 at every minute of the day, with DST days of several zones."""
    rng = random.Random(seed_)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    edges = [datetime(2026, 3, 8, 6, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
             datetime(2026, 10, 25, 0, 59, tzinfo=UTC), datetime(2026, 11, 1, 18, 30, tzinfo=UTC)]
    parcels = []
    for k in range(n):
        received = edges[k % len(edges)] + timedelta(minutes=k % 3) if k % 5 == 0 else \
            start + timedelta(minutes=rng.randrange(306 * 24 * 60))
        grade = rng.choice([*GRADES, None])
        flags = rng.sample(["verification_failed", "manual_weight", "operator_flag"],
                           rng.randrange(3) if rng.random() < 0.3 else 0)
        reason = rng.choice(REASONS)
        parcels.append(Parcel(
            received.strftime("%Y-%m-%dT%H:%M"), station=rng.choice(["bench-1", "bench-2"]),
            operator=rng.choice(["op-a", "op-b", "op-c", None]),
            minutes=rng.randrange(1, 90) if grade else None,
            grade=grade[0] if grade else None, disposition=grade[1] if grade else None,
            recommendation=grade[2] if grade else None,
            # an ungraded parcel was handed to a supervisor early (a bench has one open at most)
            state="flagged" if flags or not grade else "completed",
            reason=reason, lines=rng.choice(LINES) if reason else [],
            flags=sorted(flags) if grade or flags else ["operator_flag"],
            refund=rng.choice([None, "refunded", "denied"]) if grade else None,
            review_override={"grade": "D"} if rng.random() < 0.1 else {},
            wrong_scan=rng.random() < 0.1,
            weight_code=rng.choice(["within_tolerance", "over_tolerance", "under_tolerance"])))
    return parcels


def settle(ctx: StationContext) -> int:
    """Recount the hours the commits marked dirty, as AnalyticsReader does before each read."""
    with ctx.db.transaction() as session:
        return rollup.refresh_dirty(session)


@pytest.fixture
def year(ctx: StationContext) -> StationContext:
    with ctx.work() as work:
        seed(work, spread(240))
    assert settle(ctx) > 0  # the seeding commit marked its hours
    return ctx


def rollup_rows(session: Session) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in session.execute(
        select(AnalyticsHour.dim, AnalyticsHour.hour, AnalyticsHour.key, AnalyticsHour.key2,
               AnalyticsHour.key3, AnalyticsHour.inspections, AnalyticsHour.completed,
               AnalyticsHour.flagged, AnalyticsHour.overridden, AnalyticsHour.units)).all())


def rounded(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Counts stay exact; derived shares and z-scores may differ in the last bits only
    (the same counts added in another order)."""
    return [tuple(round(c, 9) if isinstance(c, float) else c for c in row) for row in rows]


def both(session: Session, filters: Filters, zone: str, options: Options) -> tuple[Any, Any]:
    scope = Scope.of(session, filters, zone, now=NOW)
    direct = replace(scope, rollup=False)
    return ({n: rounded(TABLES[n](session, scope, options).rows) for n in ROLLED},
            {n: rounded(TABLES[n](session, direct, options).rows) for n in ROLLED})


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"])
def test_every_rolled_view_equals_the_direct_query_across_dst_and_day_edges(
        year: StationContext, zone: str) -> None:
    ranges = [Filters(date(2026, 1, 1), date(2026, 12, 31)),   # whole year, both DST changes
              Filters(date(2026, 3, 8), date(2026, 3, 8)),     # New York's 23-hour day
              Filters(date(2026, 10, 25), date(2026, 10, 25)),  # Berlin's 25-hour day
              Filters(date(2026, 11, 1), date(2026, 11, 2))]
    with year.db.reader() as session:
        for filters in ranges:
            scope = Scope.of(session, filters, zone, now=NOW)
            assert hourly.usable(scope)
            for bucket in ("day", "week", "month"):
                rolled, direct = both(session, filters, zone, Options(bucket=bucket, top=100))
                assert rolled == direct, (filters, bucket)
        whole, _ = both(session, ranges[0], zone, Options(top=100))
    assert sum(row[2] for row in whole["over_time"]) == 240


def test_half_hour_zones_and_other_filters_read_the_inspections(year: StationContext) -> None:
    with year.db.reader() as session:
        year_range = Filters(date(2026, 1, 1), date(2026, 12, 31))
        for zone in ("Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide"):
            assert not hourly.usable(Scope.of(session, year_range, zone, now=NOW))
        # one of station / category / reason / grade / operator reads its slice
        # (tests/test_analytics_slices.py); two at once, or another filter, the inspections
        for narrowed in (replace(year_range, station="bench-1", grade="A"),
                         replace(year_range, reason="no_reason", operator="op-a"),
                         replace(year_range, sku="S1"), replace(year_range, state="flagged")):
            assert not hourly.usable(Scope.of(session, narrowed, "Asia/Shanghai", now=NOW))
        kolkata = TABLES["over_time"](session, Scope.of(session, year_range, "Asia/Kolkata",
                                                        now=NOW), Options(bucket="month"))
    assert sum(int(row[2] or 0) for row in kolkata.rows) == 240


def test_the_rollup_kept_by_each_commit_equals_a_rebuild(year: StationContext) -> None:
    with year.work() as work:
        session = work.session
        inspection = session.execute(select(Inspection).where(Inspection.grade.is_not(None))
                                     .where(Inspection.units.any()).limit(1)).scalar_one()
        inspection.refund_status = {"status": "partially_refunded"}  # as the REST API does
        inspection.grade = "D"
        inspection.flags = [*inspection.flags, "operator_flag"]
        session.add(Scan(inspection_id=inspection.id, raw="0402", source="scanner",
                         result="mismatch"))
        gone = session.execute(select(Inspection).where(Inspection.id != inspection.id)
                               .where(~Inspection.scans.any()).limit(1)).scalar_one()
        work.touch(inspection, gone)  # what the commit changed, named as the workflow names it
        session.delete(gone)
    with year.db.reader() as session:
        assert rollup.dirty_hours(session)  # the commit only marked the hours it touched
        assert not hourly.usable(Scope.of(session, Filters(date(2026, 1, 1), date(2026, 12, 31)),
                                          "UTC", now=NOW))  # stale: the direct queries answer
    assert 1 <= settle(year) <= 2
    with year.db.reader() as session:
        kept = rollup_rows(session)
    with year.db.transaction() as session:
        assert rollup.rebuild(session) == len(kept)
    with year.db.reader() as session:
        assert rollup_rows(session) == kept
        # the refund view counts units (the parcel's refund status on each of its units)
        assert any(r[0] == "unit_refund" and r[3] == "partially_refunded" for r in kept)
        assert any(r[0] == rollup.UNITS_READY for r in kept)


def test_a_rolled_back_change_leaves_the_rollup_as_it_was(year: StationContext) -> None:
    with year.db.reader() as session:
        before = rollup_rows(session)
    with pytest.raises(RuntimeError), year.work() as work:
        seed(work, [Parcel("2026-06-01T10:00", grade="A")])
        work.session.flush()
        raise RuntimeError("power cut")
    with year.db.reader() as session:
        assert rollup_rows(session) == before


def test_a_raw_sql_bulk_change_is_caught_up_by_rebuild(year: StationContext) -> None:
    with year.db.transaction() as session:
        session.execute(update(Inspection).where(Inspection.grade == "A").values(grade="B"))
    filters = Filters(date(2026, 1, 1), date(2026, 12, 31))
    with year.db.reader() as session:
        rolled, direct = both(session, filters, "UTC", Options())
        # raw SQL bypasses the unit of work (grades count units, straight from inspection_unit)
        assert rolled["grading"] != direct["grading"]
    with year.db.transaction() as session:
        rollup.rebuild(session)
    with year.db.reader() as session:
        rolled, direct = both(session, filters, "UTC", Options())
        assert rolled == direct


def test_the_worked_example_counts_from_the_rollup(ctx: StationContext) -> None:
    with ctx.work() as work:
        seed(work, BENCH)
    march = Filters(date(2026, 3, 1), date(2026, 3, 3))
    with ctx.db.reader() as session:
        rolled, direct = both(session, march, "Asia/Shanghai", Options())
    assert rolled == direct
    assert [row[2] for row in rolled["over_time"]] == [1, 3, 1]


def test_a_range_splits_into_whole_months_days_and_hours_that_cover_it_once() -> None:
    start, end = datetime(2025, 1, 30, 16, tzinfo=UTC), datetime(2026, 3, 2, 5, tzinfo=UTC)
    parts = rollup.pieces(start, end)
    assert [p[0] for p in parts] == ["", "@d", "@m", "@d", ""]
    assert parts[0][1] == start and parts[-1][2] == end
    assert all(a[2] == b[1] for a, b in itertools.pairwise(parts))
    assert parts[2][1:] == (datetime(2025, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    assert rollup.pieces(start, start + timedelta(hours=3)) == [
        ("", start, start + timedelta(hours=3))]


@pytest.mark.parametrize("days", [2, 365])
def test_the_median_walk_equals_the_median_of_the_rows(year: StationContext, days: int) -> None:
    filters = Filters(date(2026, 11, 2) - timedelta(days=days - 1), date(2026, 11, 2))
    with year.db.reader() as session:
        scope = Scope.of(session, filters, "Europe/Berlin", now=NOW)
        start, end = scope.bounds
        rows = session.execute(select(Inspection.station_id, Inspection.operator_id,
                                      Inspection.received_at, Inspection.completed_at)
                               .where(Inspection.received_at >= start,
                                      Inspection.received_at < end,
                                      Inspection.completed_at.is_not(None))).all()
        by_station = throughput.medians(session, scope, Inspection.station_id)
        by_operator = throughput.medians(session, scope, Inspection.operator_id)
    expected: dict[str, dict[str, float]] = {"station": {}, "operator": {}}
    for name, index in (("station", 0), ("operator", 1)):
        groups: dict[str, list[float]] = {}
        for r in rows:
            minutes = (r[3] - r[2]).total_seconds() / 60
            groups.setdefault(r[index] or throughput.NOBODY, []).append(minutes)
        expected[name] = {k: statistics.median(v) for k, v in groups.items()}
    assert rows
    assert by_station == pytest.approx(expected["station"])
    assert by_operator == pytest.approx(expected["operator"])


def test_migrating_a_station_with_inspections_fills_the_rollup(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO station (id, name, created_at) "
                              "VALUES ('bench-1', 'Bench 1', :t)"), {"t": NOW})
            for n, hour in enumerate((3, 3, 17)):
                conn.execute(text(
                    "INSERT INTO inspection (id, station_id, state, label, unexpected, "
                    "received_at, updated_at, verdicts, checklist, deduction_pct, decision, "
                    "override, flags, review, refund_status) VALUES (:i, 'bench-1', "
                    "'received', :i, false, :t, :t, '[]', '{}', 0, '{}', '{}', :f, '{}', '{}')"
                ).bindparams(bindparam("t", type_=UTCDateTime())),
                    {"i": f"I{n}", "t": NOW.replace(hour=hour), "f": '["manual_weight"]'})
        upgrade(engine)
        with Session(engine) as session:
            rows = session.execute(select(AnalyticsHour.hour, AnalyticsHour.inspections,
                                          AnalyticsHour.flagged)
                                   .where(AnalyticsHour.dim == "all")
                                   .order_by(AnalyticsHour.hour)).all()
            month = session.execute(select(AnalyticsHour.inspections)
                                    .where(AnalyticsHour.dim == "all@m")).scalar_one()
            S = AnalyticsSlice  # migration 0013 counted the slices of what was there
            sliced = session.execute(select(S.hour, S.inspections, S.flagged)
                                     .where(S.slice == "station=bench-1", S.dim == "all")
                                     .order_by(S.hour)).all()
    finally:
        engine.dispose()
    assert [(r[0].hour, r[1], r[2]) for r in rows] == [(3, 2, 2), (17, 1, 1)]
    assert [(r[0].hour, r[1], r[2]) for r in sliced] == [(3, 2, 2), (17, 1, 1)]
    assert month == 3


def test_the_analytics_reader_recounts_dirty_hours_before_it_reads(year: StationContext) -> None:
    from station.analytics.reader import AnalyticsReader

    with year.work() as work:
        seed(work, [Parcel("2026-06-01T10:00", grade="A")])
    with year.db.reader() as session:
        assert rollup.dirty_hours(session) == [datetime(2026, 6, 1, 10, tzinfo=UTC)]
    reader = AnalyticsReader(year.db)
    try:
        with reader.session() as session:
            assert rollup.dirty_hours(session) == []
            rolled, direct = both(session, Filters(date(2026, 1, 1), date(2026, 12, 31)), "UTC",
                                  Options())
    finally:
        reader.dispose()
    assert rolled == direct and sum(r[2] for r in rolled["over_time"]) == 241
