"""Analytics numbers match hand-computed counts on a small seeded bench (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station.analytics import Filters, Options, Scope, consistency, drilldown, parse_filters, tables, throughput, views
from station.analytics.filters import FilterError
from station.analytics.sqlexpr import offset_segments
from station.context import StationContext
from station.db.models import (
    ExpectedItem,
    Inspection,
    InspectionUnit,
    Operator,
    ReturnAuthorization,
    Scan,
    Station,
)
from station.unit_of_work import Work

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)
MARCH = Filters(date(2026, 3, 1), date(2026, 3, 3))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Parcel:
    """One seeded inspection: when, where, who, what it was and what happened to it."""

    received: str
    station: str = "bench-1"
    operator: str | None = "op-a"
    minutes: int | None = None
    grade: str | None = None
    disposition: str | None = None
    recommendation: str | None = None
    state: str = "completed"
    reason: str | None = "quality_defect"
    lines: list[tuple[str, str]] = field(default_factory=lambda: [("E1", "electronics")])
    flags: list[str] = field(default_factory=list)
    refund: str | None = None
    review_override: dict[str, Any] = field(default_factory=dict)
    wrong_scan: bool = False
    weight_code: str = "within_tolerance"


def seed(target: Session | Work, parcels: list[Parcel]) -> list[str]:
    """Insert the parcels (stations, operators, RMAs, lines, scans) straight into the tables.

    In a unit of work the inspections are touched (their analytics hours marked) as the
    workflow does; in a bare session nothing is marked (a raw load: rebuild after it).
    """
    work = target if isinstance(target, Work) else None
    session = target.session if isinstance(target, Work) else target
    for sid in ("bench-1", "bench-2"):
        if session.get(Station, sid) is None:
            session.add(Station(id=sid, name=f"Bench {sid[-1]}"))
    for oid in ("op-a", "op-b", "op-c", "op-d"):
        if session.get(Operator, oid) is None:
            session.add(Operator(id=oid, username=oid, display_name=f"Operator {oid[-1].upper()}",
                                 role="operator"))
    session.flush()
    ids = []
    for n, p in enumerate(parcels):
        rma = None
        if p.reason is not None:
            rma = ReturnAuthorization(rma_id=f"RMA-{n}-{p.received}", order_id=f"O-{n}",
                                      reason=p.reason)
            rma.items = [ExpectedItem(line_no=i + 1, line_id=str(i + 1), sku=sku, quantity=1,
                                      category=cat, description=f"{sku} item")
                         for i, (sku, cat) in enumerate(p.lines)]
            session.add(rma)
            session.flush()
        received = at(p.received)
        inspection = Inspection(
            rma_pk=rma.id if rma else None, station_id=p.station, operator_id=p.operator,
            state=p.state, label=f"L{n}", unexpected=rma is None, received_at=received,
            completed_at=received + timedelta(minutes=p.minutes) if p.minutes is not None else None,
            grade=p.grade, disposition=p.disposition, recommendation=p.recommendation,
            flags=p.flags, review={"override": p.review_override} if p.review_override else {},
            refund_status={"status": p.refund} if p.refund else {},
            verdicts=[{"rule": "parcel.weight", "ok": p.weight_code == "within_tolerance",
                       "code": p.weight_code, "detail": "", "data": {}}],
        )
        session.add(inspection)
        session.flush()
        # one unit per line, with the parcel's outcome (as migration 0007 backfills them)
        for i, item in enumerate(rma.items if rma else []):
            session.add(InspectionUnit(
                inspection_id=inspection.id, position=i + 1, kind="expected",
                expected_item_id=item.id, line_id=item.line_id, sku=item.sku,
                category=item.category, grade=p.grade, disposition=p.disposition,
                recommendation=p.recommendation))
        if p.wrong_scan:
            session.add(Scan(inspection_id=inspection.id, raw="0401", source="scanner",
                             result="mismatch"))
        if work is not None:
            work.touch(inspection)
        ids.append(inspection.id)
    return ids


#: I1..I6 of the worked example in docs/analytics.md (Asia/Shanghai, UTC+8).
BENCH = [
    Parcel("2026-03-01T10:00", minutes=10, grade="A", disposition="restock",
           recommendation="full_refund", refund="refunded"),
    Parcel("2026-03-01T17:30", minutes=20, grade="B", disposition="open_box",
           recommendation="partial_refund", reason="no_reason", lines=[("S1", "shoes")]),
    Parcel("2026-03-02T02:00", station="bench-2", operator="op-b", minutes=30, grade="C",
           disposition="refurbish", recommendation="partial_refund", state="reviewed",
           reason="size_mismatch", lines=[("S1", "shoes"), ("E2", "electronics")],
           flags=["verification_failed"], review_override={"grade": "D"},
           weight_code="over_tolerance"),
    Parcel("2026-03-02T15:59", station="bench-2", operator="op-b", minutes=40, grade="D",
           disposition="scrap", recommendation="deny", state="flagged", flags=["manual_weight"],
           wrong_scan=True),
    Parcel("2026-03-02T16:00", operator="op-c", state="flagged", reason=None, lines=[],
           flags=["unexpected_parcel"]),
    Parcel("2026-02-28T15:00", grade="A", minutes=5, disposition="restock",
           recommendation="full_refund"),
]


@pytest.fixture
def bench(ctx: StationContext) -> StationContext:
    with ctx.work() as work:
        seed(work, BENCH)
    return ctx


def scope_of(session: Session, filters: Filters = MARCH, zone: str = "Asia/Shanghai") -> Scope:
    return Scope.of(session, filters, zone, now=NOW)


def test_a_parcel_received_at_17_30_utc_counts_on_the_next_shanghai_day(bench: StationContext) -> None:
    with bench.db.reader() as session:
        points = views.returns_over_time(session, scope_of(session))
        utc_points = views.returns_over_time(session, scope_of(session, zone="UTC"))
    assert [(p.first, p.inspections, p.flagged) for p in points] == [
        (date(2026, 3, 1), 1, 0), (date(2026, 3, 2), 3, 2), (date(2026, 3, 3), 1, 1)]
    # the same rows bucketed by UTC days: I2 on 1 March, I4 and I5 on 2 March
    assert [p.inspections for p in utc_points] == [2, 3, 0]


def test_weeks_and_months_are_local_calendar_buckets_clipped_to_the_range(
        bench: StationContext) -> None:
    filters = Filters(date(2026, 2, 25), date(2026, 3, 3))
    with bench.db.reader() as session:
        weeks = views.returns_over_time(session, scope_of(session, filters), "week")
        months = views.returns_over_time(session, scope_of(session, filters), "month")
    # Monday 23 Feb .. Sunday 1 Mar holds I6, I1; the week from Monday 2 Mar holds I2..I5
    assert [(p.first, p.last, p.inspections) for p in weeks] == [
        (date(2026, 2, 25), date(2026, 3, 1), 2), (date(2026, 3, 2), date(2026, 3, 3), 4)]
    assert [(p.first, p.last, p.inspections) for p in months] == [
        (date(2026, 2, 25), date(2026, 2, 28), 1), (date(2026, 3, 1), date(2026, 3, 3), 5)]


def test_counts_by_reason_grade_disposition_category_and_product(bench: StationContext) -> None:
    with bench.db.reader() as session:
        s = scope_of(session)
        reasons = {x.key: x.inspections for x in views.by_reason(session, s)}
        grades = [(x.key, x.inspections) for x in views.by_grade(session, s)]
        dispositions = {x.key: x.inspections for x in views.by_disposition(session, s)}
        categories = [(x.key, x.inspections) for x in views.by_category(session, s)]
        skus = [(p.sku, p.inspections, p.category) for p in views.by_sku(session, s)]
        top1 = views.by_sku(session, s, top=1)
    assert reasons == {"quality_defect": 2, "no_reason": 1, "size_mismatch": 1, "unexpected": 1}
    # grades and dispositions count units: I3 has two (S1 and E2), both graded C
    assert grades == [("A", 1), ("B", 1), ("C", 2), ("D", 1)]
    assert dispositions == {"restock": 1, "open_box": 1, "refurbish": 2, "scrap": 1}
    assert categories == [("electronics", 3), ("shoes", 2)]  # I3 has both categories
    assert skus == [("E1", 2, "electronics"), ("S1", 2, "shoes"), ("E2", 1, "electronics")]
    assert [p.sku for p in top1] == ["E1"]


def test_throughput_and_median_minutes_per_station_and_operator(bench: StationContext) -> None:
    with bench.db.reader() as session:
        s = scope_of(session)
        stations = {t.key: (t.name, t.inspections, t.completed, t.median_minutes)
                    for t in throughput.by_station(session, s)}
        operators = {t.key: (t.inspections, t.completed, t.median_minutes)
                     for t in throughput.by_operator(session, s)}
    assert stations == {"bench-1": ("Bench 1", 3, 2, pytest.approx(15.0)),
                        "bench-2": ("Bench 2", 2, 2, pytest.approx(35.0))}
    assert operators == {"op-a": (2, 2, pytest.approx(15.0)), "op-b": (2, 2, pytest.approx(35.0)),
                         "op-c": (1, 0, None)}


def test_median_of_an_odd_group_is_its_middle_value(ctx: StationContext) -> None:
    with ctx.work() as work:
        seed(work, [Parcel("2026-03-01T01:00", minutes=m, grade="A") for m in (7, 1, 100)])
    with ctx.db.reader() as session:
        assert throughput.medians(session, scope_of(session), Inspection.operator_id) == {
            "op-a": pytest.approx(7.0)}


def test_mismatch_flag_and_override_rates(bench: StationContext) -> None:
    with bench.db.reader() as session:
        r = views.rates(session, scope_of(session))
    assert (r.inspections, r.flagged, r.wrong_item, r.weight_mismatch, r.unexpected_parcel,
            r.supervisor_override) == (5, 3, 1, 1, 1, 1)
    assert r.by_flag["verification_failed"] == r.by_flag["manual_weight"] == 1
    assert r.by_flag["unexpected_parcel"] == 1 and r.by_flag["operator_flag"] == 0
    assert r.rate(r.flagged) == pytest.approx(0.6)


def test_refund_outcomes_against_the_recommendation(bench: StationContext) -> None:
    with bench.db.reader() as session:
        outcomes = [(o.recommendation, o.refund, o.inspections)
                    for o in views.refund_outcomes(session, scope_of(session))]
    # units: I2's one and I3's two are partial refunds
    assert outcomes == [("deny", "none", 1), ("full_refund", "refunded", 1),
                        ("partial_refund", "none", 3)]


def test_sla_ages_of_the_open_flagged_queue(bench: StationContext) -> None:
    with bench.db.reader() as session:
        bins = views.sla_ages(session, scope_of(session), warn_h=24, breach_h=48)
        later = views.sla_ages(session, Scope.of(session, MARCH, SHANGHAI,
                                                 now=NOW + timedelta(hours=30)), 24, 48)
    # I4 and I5 (flagged) were received about 26 h before NOW; I3 was reviewed: not in the queue
    assert [(b.from_h, b.to_h, b.level, b.inspections) for b in bins] == [
        (0, 12, "ok", 0), (12, 24, "ok", 0), (24, 36, "warn", 2), (36, 48, "warn", 0),
        (48, 96, "breach", 0), (96, None, "breach", 0)]
    assert [b.inspections for b in later] == [0, 0, 0, 0, 2, 0]


def test_grading_consistency_on_the_small_bench(bench: StationContext) -> None:
    with bench.db.reader() as session:
        rows = {c.operator_id: c for c in consistency.grading_consistency(session, scope_of(session))}
    a, b, c = rows["op-a"], rows["op-b"], rows["op-c"]
    # bench A/B share: electronics (I1 A, I4 D) 0.5; shoes (I2 B, I3 C: first line S1) 0.5
    assert (a.graded, a.ab_share, a.expected_ab_share) == (2, 1.0, pytest.approx(0.5))
    assert a.ab_z == pytest.approx(2 ** 0.5)  # (2 - 1) / sqrt(0.25 + 0.25)
    assert (b.ab_share, b.ab_z) == (0.0, pytest.approx(-(2 ** 0.5)))
    assert b.grade_share == {"A": 0.0, "B": 0.0, "C": 0.5, "D": 0.5}
    assert b.expected_grade_share == pytest.approx({"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25})
    assert (a.flag_rate, b.flag_rate, c.flag_rate) == (0.0, 1.0, 1.0)
    assert (a.override_rate, b.override_rate) == (0.0, 0.5)
    assert c.graded == 0 and c.ab_share is None
    assert not any(x.outlier for x in rows.values())  # fewer than MIN_GRADED each


def test_an_operator_who_grades_everything_a_is_highlighted(ctx: StationContext) -> None:
    parcels = [Parcel(f"2026-03-01T0{i % 10}:{i:02d}", operator="op-a", grade="A",
                      lines=[("S1", "shoes")]) for i in range(20)]
    for op in ("op-b", "op-c", "op-d"):
        parcels += [Parcel(f"2026-03-02T0{i % 10}:{i:02d}", operator=op,
                           grade="A" if i < 15 else "C", lines=[("S1", "shoes")])
                    for i in range(20)]
    with ctx.work() as work:
        seed(work, parcels)
    with ctx.db.reader() as session:
        rows = {c.operator_id: c for c in consistency.grading_consistency(session, scope_of(session))}
    # bench A/B share 65/80 = 0.8125; op-a 20/20: z = 3.75 / sqrt(20 * 0.8125 * 0.1875) = 2.15
    assert rows["op-a"].ab_z == pytest.approx(3.75 / (20 * 0.8125 * 0.1875) ** 0.5)
    assert rows["op-a"].outlier_reasons == ["grades_high"]
    assert [rows[o].outlier for o in ("op-b", "op-c", "op-d")] == [False, False, False]


def test_every_filter_narrows_every_view_the_same_way(bench: StationContext) -> None:
    cases = {"station": ("bench-2", 2), "operator": ("op-a", 2), "category": ("shoes", 2),
             "reason": ("quality_defect", 2), "grade": ("D", 1), "sku": ("E2", 1),
             "disposition": ("restock", 1), "recommendation": ("partial_refund", 2),
             "refund": ("refunded", 1), "issue": ("wrong_item", 1), "state": ("flagged", 2)}
    with bench.db.reader() as session:
        for key, (value, expected) in cases.items():
            s = scope_of(session, parse_filters({**MARCH.params(), key: value}, SHANGHAI))
            assert views.rates(session, s).inspections == expected, key
            assert sum(p.inspections for p in views.returns_over_time(session, s)) == expected
            assert drilldown.inspections(session, s).total == expected, key
        unexpected = scope_of(session, Filters(MARCH.date_from, MARCH.date_to, reason="unexpected"))
        assert views.rates(session, unexpected).inspections == 1
        for issue, expected in (("flagged", 3), ("weight_mismatch", 1), ("supervisor_override", 1),
                                ("verification_failed", 1), ("operator_flag", 0)):
            s = scope_of(session, Filters(MARCH.date_from, MARCH.date_to, issue=issue))
            assert drilldown.inspections(session, s).total == expected, issue


def test_an_empty_range_gives_zeros_not_errors(bench: StationContext) -> None:
    empty = Filters(date(2025, 1, 1), date(2025, 1, 2))
    with bench.db.reader() as session:
        s = scope_of(session, empty)
        assert [p.inspections for p in views.returns_over_time(session, s)] == [0, 0]
        assert views.by_reason(session, s) == [] and views.by_sku(session, s) == []
        assert views.rates(session, s).rate(0) is None
        assert throughput.by_operator(session, s) == []
        assert consistency.grading_consistency(session, s) == []
        assert drilldown.inspections(session, s).total == 0
        for name, make in tables.TABLES.items():
            assert make(session, s, Options()).csv().count("\r\n") >= 1, name


def test_a_single_row(ctx: StationContext) -> None:
    with ctx.work() as work:
        [only] = seed(work, [Parcel("2026-03-02T08:00", minutes=12, grade="B")])
    with ctx.db.reader() as session:
        s = scope_of(session)
        page = drilldown.inspections(session, s)
        assert [row.id for row in page.rows] == [only] and page.pages == 1
        assert [t.median_minutes for t in throughput.by_station(session, s)] == [
            pytest.approx(12.0)]
        [c] = consistency.grading_consistency(session, s)
        assert (c.ab_share, c.expected_ab_share, c.ab_z) == (1.0, 1.0, None)


def test_day_boundaries_follow_daylight_saving_time(ctx: StationContext) -> None:
    # New York moves to EDT (UTC-4) at 07:00 UTC on 8 March 2026; the day before it is UTC-5
    with ctx.work() as work:
        seed(work, [Parcel(t) for t in ("2026-03-08T04:59", "2026-03-08T05:00",
                                           "2026-03-09T03:59", "2026-03-09T04:00")])
    filters = Filters(date(2026, 3, 7), date(2026, 3, 9))
    with ctx.db.reader() as session:
        points = views.returns_over_time(session, scope_of(session, filters, "America/New_York"))
        india = views.returns_over_time(session, scope_of(session, filters, "Asia/Kolkata"))
    assert [p.inspections for p in points] == [1, 2, 1]
    assert [p.inspections for p in india] == [0, 2, 2]  # UTC+5:30: 04:59 -> 10:29 the same day


def test_offset_segments_find_each_transition_to_the_second() -> None:
    zone = ZoneInfo("Europe/Berlin")
    segments = offset_segments(zone, at("2026-01-01T00:00"), at("2027-01-01T00:00"))
    assert segments == [(at("2026-01-01T00:00"), 3600), (at("2026-03-29T01:00"), 7200),
                        (at("2026-10-25T01:00"), 3600)]
    assert offset_segments(SHANGHAI, at("2026-01-01T00:00"), at("2028-01-01T00:00")) == [
        (at("2026-01-01T00:00"), 28800)]


def test_drill_down_pages_newest_first(bench: StationContext) -> None:
    with bench.db.reader() as session:
        s = scope_of(session)
        first = drilldown.inspections(session, s, page=1, per_page=2)
        last = drilldown.inspections(session, s, page=3, per_page=2)
        ordered = session.execute(select(Inspection.received_at).order_by(
            Inspection.received_at.desc())).scalars().all()
    assert (first.total, first.pages) == (5, 3)
    assert [r.received_at for r in first.rows] == ordered[:2]
    assert [r.received_at for r in last.rows] == [ordered[4]]
    assert first.rows[0].operator == "Operator C" and first.rows[0].rma_id is None


def test_filters_from_request_parameters() -> None:
    now = at("2026-03-03T20:00")  # 4 March in Shanghai
    f = parse_filters({"grade": "A", "station": " bench-1 ", "category": ""}, SHANGHAI, now)
    assert (f.date_to, f.date_from, f.grade, f.station, f.category) == (
        date(2026, 3, 4), date(2026, 2, 3), "A", "bench-1", None)
    assert parse_filters(f.params(), SHANGHAI, now) == f
    assert f.params(grade=None, sku="E1")["sku"] == "E1"
    bad = [({"date_from": "2026-13-01"}, "date_from"), ({"grade": "E"}, "grade"),
           ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_from"),
           ({"colour": "red"}, "colour"), ({"age_from_h": "soon"}, "age_from_h"),
           ({"station": "x" * 101}, "station"), ({"issue": "bad"}, "issue"),
           ({"date_from": "2000-01-01", "date_to": "2026-01-01"}, "date_from")]
    for args, field_name in bad:
        with pytest.raises(FilterError) as caught:
            parse_filters(args, SHANGHAI, now)
        assert caught.value.field == field_name


def test_csv_tables_carry_a_header_and_the_counted_rows(bench: StationContext) -> None:
    with bench.db.reader() as session:
        s = scope_of(session)
        text = tables.reasons(session, s, Options()).csv()
        grading = tables.grading(session, s, Options()).csv()
    assert text.splitlines() == ["reason,inspections", "quality_defect,2", "no_reason,1",
                                 "size_mismatch,1", "unexpected,1"]
    assert grading.splitlines()[0].startswith("operator_id,name,inspections,graded,share_A")
    assert tables.Table("t", ("v",), [("=cmd()",), ("-",)]).csv().splitlines() == [
        "v", "'=cmd()", "-"]


def test_analytics_reads_neither_wait_for_nor_block_the_bench_writer(ctx: StationContext) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from station.analytics.reader import AnalyticsReader

    reader = AnalyticsReader(ctx.db, busy_timeout_ms=100)
    try:
        with ctx.work() as writer:  # the bench holds the write lock (BEGIN IMMEDIATE)
            seed(writer, [Parcel("2026-03-02T08:00")])
            with reader.session() as session:
                assert views.rates(session, scope_of(session)).inspections == 0  # not committed
        with reader.session() as session:
            assert views.rates(session, scope_of(session)).inspections == 1
            if session.get_bind().dialect.name == "sqlite":
                with pytest.raises(OperationalError):  # query_only: analytics never writes
                    session.execute(text("DELETE FROM scan"))
    finally:
        reader.dispose()
