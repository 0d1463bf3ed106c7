"""Analytics counts units for grade / disposition / refund / product views, parcels elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete

from station.analytics import Filters, Scope, drilldown, hourly, rollup, throughput, views
from station.context import StationContext
from station.db.models import AnalyticsHour
from tests.conftest import make_settings
from tests.factories import seed_rma
from tests.support.bench import SUPERVISOR, add_people, bench_app, html, migrated, signed_in
from tests.test_units import HEADPHONES, line, three_unit_parcel, to_photos, units_of


def around_today() -> Filters:
    today = datetime.now(UTC).date()
    return Filters(today - timedelta(days=1), today + timedelta(days=1))


def scopes(ctx: StationContext, filters: Filters) -> Iterator[Scope]:
    """The scope read from the rollup (after the recount) and the direct one."""
    with ctx.db.transaction() as session:
        rollup.refresh_dirty(session)
    with ctx.db.reader() as session:
        scope = Scope.of(session, filters, "UTC")
    yield scope
    yield replace(scope, rollup=False)


def test_a_three_unit_parcel_is_three_units_and_one_parcel(ctx: StationContext) -> None:
    iid = three_unit_parcel(ctx)
    held = next(u for u in units_of(ctx, iid) if u.disposition == "hold")
    assert held.grade is not None
    expected_grades = sorted({"A": 1, "C": 1, held.grade: 1}.items()) if held.grade not in (
        "A", "C") else None
    f = around_today()
    for scope in scopes(ctx, f):
        with ctx.db.reader() as s:
            grades = [(g.key, g.inspections) for g in views.by_grade(s, scope)]
            dispositions = {d.key: d.inspections for d in views.by_disposition(s, scope)}
            refunds = {(r.recommendation, r.refund): r.units
                       for r in views.refund_outcomes(s, scope)}
            products = {p.sku: (p.units, p.inspections) for p in views.by_sku(s, scope)}
            over_time = sum(p.inspections for p in views.returns_over_time(s, scope))
            rates = views.rates(s, scope)
            stations = [(t.key, t.inspections) for t in throughput.by_station(s, scope)]
        assert sum(n for _, n in grades) == 3
        if expected_grades is not None:
            assert grades == expected_grades
        assert ("A", 1) in grades and ("C", 1) in grades
        assert dispositions == {"restock": 1, "refurbish": 1, "hold": 1}
        assert refunds == {("full_refund", "none"): 1, ("partial_refund", "none"): 1,
                           ("escalate", "none"): 1}
        assert sum(u for u, _ in products.values()) == 2  # the undeclared cable has no SKU
        assert all(parcels == 1 for _, parcels in products.values())
        assert over_time == 1 and rates.inspections == 1 and stations == [("bench-test", 1)]
    with ctx.db.reader() as s:
        assert hourly.usable(Scope.of(s, f, "UTC"), units=True)  # the first scope: the rollup


def test_a_rollup_from_before_units_is_not_read_by_unit_views_until_a_rebuild(
        ctx: StationContext) -> None:
    three_unit_parcel(ctx)
    f = around_today()
    with ctx.db.transaction() as session:
        rollup.refresh_dirty(session)
        # what migrations 0004 / 0005 left: hour rows without the unit dims and no marker
        session.execute(delete(AnalyticsHour).where(AnalyticsHour.dim.like("unit_%")
                                                    | (AnalyticsHour.dim == rollup.UNITS_READY)))
    with ctx.db.reader() as s:
        scope = Scope.of(s, f, "UTC")
        assert hourly.usable(scope) and not hourly.usable(scope, units=True)
        assert sum(g.inspections for g in views.by_grade(s, scope)) == 3  # inspection_unit
    with ctx.db.transaction() as session:
        rollup.rebuild(session)  # `station analytics rebuild`
    with ctx.db.reader() as s:
        scope = Scope.of(s, f, "UTC")
        assert hourly.usable(scope, units=True)
        assert sum(g.inspections for g in views.by_grade(s, scope)) == 3


def test_a_grade_filter_narrows_units_and_means_parcels_having_such_a_unit(
        ctx: StationContext) -> None:
    three_unit_parcel(ctx)  # parcel grade C (its worst unit), one unit A
    for scope in scopes(ctx, replace(around_today(), grade="A")):
        with ctx.db.reader() as s:
            assert [(g.key, g.inspections) for g in views.by_grade(s, scope)] == [("A", 1)]
            assert {d.key: d.inspections for d in views.by_disposition(s, scope)} == {
                "restock": 1}
            assert views.rates(s, scope).inspections == 1
            assert drilldown.inspections(s, scope).total == 1
    for scope in scopes(ctx, replace(around_today(), grade="D")):
        with ctx.db.reader() as s:
            assert views.by_grade(s, scope) == [] and views.rates(s, scope).inspections == 0


def test_a_missing_unit_counts_as_missing_not_graded(ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-Q2", items=[line("1", HEADPHONES, "20.00", quantity=2)])
    iid = to_photos(ctx, "RMA-Q2", [HEADPHONES], 400)
    found, _missing = units_of(ctx, iid)
    ctx.inspections.record_unit_state(iid, found.id, "sealed", "op")
    ctx.inspections.grade(iid, "op")
    found, missing = units_of(ctx, iid)
    assert missing.kind == "missing" and missing.grade is None
    for scope in scopes(ctx, around_today()):
        with ctx.db.reader() as s:
            grades = [(g.key, g.inspections) for g in views.by_grade(s, scope)]
            dispositions = {d.key: d.inspections for d in views.by_disposition(s, scope)}
            refunds = {(r.recommendation, r.refund): r.units
                       for r in views.refund_outcomes(s, scope)}
            products = [(p.sku, p.units, p.inspections) for p in views.by_sku(s, scope)]
            assert views.rates(s, scope).inspections == 1
        assert grades == [(str(found.grade), 1)]
        assert dispositions == {str(found.disposition): 1, "missing": 1}
        assert refunds == {("full_refund", "none"): 1, ("missing", "none"): 1}
        assert products == [(found.sku, 2, 1)]
    for scope in scopes(ctx, replace(around_today(), disposition="missing")):
        with ctx.db.reader() as s:
            assert {d.key: d.inspections for d in views.by_disposition(s, scope)} == {
                "missing": 1}
            assert drilldown.inspections(s, scope).total == 1


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    settings = make_settings(tmp_path, database_url, web={"secret_key": "test-session-key"},
                             station={"id": "bench-test", "timezone": "UTC"})
    station = migrated(settings)
    add_people(station)
    three_unit_parcel(station)
    yield bench_app(station)
    station.close()


def test_every_chart_says_whether_it_counts_units_or_parcels_in_both_languages(
        app: Flask) -> None:
    supervisor = signed_in(app, SUPERVISOR)
    f = around_today()
    query = f"date_from={f.date_from.isoformat()}&date_to={f.date_to.isoformat()}"
    body = html(supervisor, f"/analytics/?{query}").get_data(as_text=True)
    assert "Grades (units)" in body and "Returns over time (parcels)" in body
    assert body.count("Counts units:") == 5 and body.count("Counts parcels:") == 6
    assert "disposition=missing" not in body  # no missing unit here
    grading = html(supervisor, f"/analytics/operators?{query}").get_data(as_text=True)
    assert "Counts parcels:" in grading
    supervisor.get("/auth/sign-in")
    with supervisor.session_transaction() as session:
        session["lang"] = "zh_Hans_CN"
    chinese = html(supervisor, f"/analytics/?{query}").get_data(as_text=True)
    assert "（件）" in chinese and "（包裹）" in chinese
    assert chinese.count("按件计数") == 5 and chinese.count("按包裹计数") == 6
    assert "Counts units" not in chinese
