"""The analytics pages: supervisors only, charts that drill down, CSV export, clear 400 on bad filters."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from station.context import StationContext
from tests.conftest import make_settings
from tests.support.bench import ADMIN, OPERATOR, SUPERVISOR, add_people, bench_app, html, migrated, signed_in
from tests.test_analytics import BENCH, seed

MARCH = "date_from=2026-03-01&date_to=2026-03-03"


@pytest.fixture
def station(tmp_path: Path) -> Iterator[StationContext]:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'station.db'}",
                             web={"secret_key": "test-session-key"},
                             station={"id": "bench-1", "timezone": "Asia/Shanghai"})
    ctx = migrated(settings)
    add_people(ctx)
    with ctx.work() as work:
        seed(work, BENCH)
    yield ctx
    ctx.close()


@pytest.fixture
def app(station: StationContext) -> Flask:
    return bench_app(station)


def test_operators_get_403_anonymous_people_are_sent_to_sign_in(app: Flask) -> None:
    anonymous = app.test_client()
    response = html(anonymous, f"/analytics/?{MARCH}")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]
    assert anonymous.get("/analytics/reasons.csv").status_code == 401
    operator = signed_in(app, OPERATOR)
    for path in ("/analytics/", "/analytics/operators", "/analytics/inspections",
                 "/analytics/reasons.csv"):
        assert html(operator, path).status_code == 403, path


def test_the_dashboard_shows_every_chart_with_drill_down_links(app: Flask) -> None:
    supervisor = signed_in(app, SUPERVISOR)
    page = html(supervisor, f"/analytics/?{MARCH}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count("<svg") == 11
    assert "Inspections received from 2026-03-01 to 2026-03-03 (station time): 5." in body
    assert 'style="' not in body and "<script>" not in body  # the CSP allows neither
    links = set(re.findall(r'<a href="(/analytics/inspections\?[^"]+)"', body))
    assert "/analytics/inspections?date_from=2026-03-02&amp;date_to=2026-03-02" in links
    assert any("reason=unexpected" in link for link in links)
    assert any("issue=wrong_item" in link for link in links)
    # one drill-down: the wrong-item bar lists exactly that inspection, linked to its review page
    link = next(x for x in links if "issue=wrong_item" in x).replace("&amp;", "&")
    listing = html(supervisor, link).get_data(as_text=True)
    assert "1 inspection matches" in listing
    assert len(re.findall(r'href="/review/inspections/[0-9A-Z]{26}"', listing)) == 1


def test_weekly_buckets_and_the_grading_page_render(app: Flask) -> None:
    admin = signed_in(app, ADMIN)
    assert html(admin, f"/analytics/?{MARCH}&bucket=week").status_code == 200
    page = html(admin, f"/analytics/operators?{MARCH}")
    assert page.status_code == 200 and "Operator B" in page.get_data(as_text=True)


def test_every_table_exports_as_csv(app: Flask) -> None:
    supervisor = signed_in(app, SUPERVISOR)
    response = supervisor.get(f"/analytics/reasons.csv?{MARCH}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["reason", "inspections"], ["quality_defect", "2"], ["no_reason", "1"],
                    ["size_mismatch", "1"], ["unexpected", "1"]]
    listing = supervisor.get(f"/analytics/inspections?{MARCH}&format=csv&grade=D")
    assert listing.mimetype == "text/csv"
    assert len(listing.get_data(as_text=True).strip().splitlines()) == 2
    for view in ("over_time", "categories", "products", "grades", "dispositions", "stations",
                 "operators", "rates", "refunds", "sla", "grading", "inspections"):
        assert supervisor.get(f"/analytics/{view}.csv?{MARCH}").status_code == 200, view
    assert supervisor.get("/analytics/nothing.csv").status_code == 404


BAD_QUERIES = ("date_from=2026-02-30", "date_from=yesterday",
               "date_from=2026-03-05&date_to=2026-03-01", "grade=Z", "reason=bored", "bucket=year",
               "page=0", "page=x", "top=1000", "colour=red", "format=pdf", "age_from_h=-1")


def test_bad_filter_values_get_a_400_page_with_the_form(app: Flask) -> None:
    supervisor = signed_in(app, SUPERVISOR)
    for query in BAD_QUERIES:
        for path in ("/analytics/", "/analytics/inspections", "/analytics/reasons.csv"):
            response = html(supervisor, f"{path}?{query}")
            assert response.status_code == 400, (path, query)
            body = response.get_data(as_text=True)
            assert 'id="filter-error"' in body and 'id="analytics-filters"' in body


def test_the_chinese_dashboard_uses_translated_words(app: Flask) -> None:
    supervisor = signed_in(app, SUPERVISOR)
    supervisor.get("/auth/sign-in")
    with supervisor.session_transaction() as session:
        session["lang"] = "zh_Hans_CN"
    body = html(supervisor, f"/analytics/?{MARCH}").get_data(as_text=True)
    assert "退货统计分析" in body and "Returns analytics" not in body
