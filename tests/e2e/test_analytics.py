"""Analytics in Chromium: dashboards without console errors, drill-down to a case, CSV, English and Chinese."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from station.demo import DEMO_ITEMS
from tests.e2e.bench_page import BenchPage, OpenBench
from tests.e2e.conftest import Supervisor, long_page_shot, sign_in_with_password, supervisor_shots
from tests.e2e.page_checks import english_ui, untranslated, visible_texts
from tests.e2e.server import BenchServer, Parcel

#: Every dashboard card the page draws (ids of the card sections).
CARDS = ("over-time", "reasons", "products", "categories", "grades", "dispositions", "stations",
         "operators", "rates", "refunds", "sla")


def flag_at_the_parcel_step(at: BenchPage, parcel: Parcel) -> str:
    """Data of this test's own: an operator receives a parcel and hands it to a supervisor at once."""
    at.sign_in()
    inspection_id = at.receive(parcel.label)
    at.flag("e2e analytics: the label is torn, please look")
    return inspection_id


def check_dashboard(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^(en|zh-CN)$"))
    for card in CARDS:
        expect(page.locator(f"section.card#{card} svg.chart")).to_have_count(1)
    count = page.locator(".analytics p.range").inner_text()
    assert re.search(r"[1-9]", count), f"no inspections counted: {count!r}"


def csv_of(page: Page, href: str) -> str:
    """GET a CSV link with the page's cookies; it must be served as text/csv."""
    response = page.request.get(page.url.split("/analytics")[0] + href if href.startswith("/") else href)
    assert response.status == 200, response.status
    assert response.headers["content-type"].startswith("text/csv"), response.headers["content-type"]
    assert "attachment" in response.headers.get("content-disposition", "")
    return response.text()


def test_dashboards_drill_down_to_the_case_and_export_csv(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    parcel = bench.take_parcel("t-shirt")
    inspection_id = flag_at_the_parcel_step(open_bench(bench), parcel)
    (rma,) = bench.query("SELECT reason FROM return_authorization WHERE rma_id = ?", parcel.rma_id)

    at = open_bench(bench)
    supervisor_shots(at)
    sign_in_with_password(at, supervisor)
    at.page.locator(".topbar .mainnav a[href$='/analytics/']").click()
    at.page.wait_for_url(re.compile(r"/analytics/$"))
    check_dashboard(at.page)
    long_page_shot(at, "dashboard")

    # The same page with a filter from the form: this station, counted by week.
    station = at.page.locator("#analytics-filters select[name=station] option:not([value=''])").first
    station_id = station.get_attribute("value") or ""
    at.page.select_option("#analytics-filters select[name=station]", station_id)
    at.page.select_option("#analytics-filters select[name=bucket]", "week")
    at.page.locator("#analytics-filters button[type=submit]").click()
    at.page.wait_for_url(re.compile(rf"/analytics/\?.*station={re.escape(station_id)}"))
    assert "bucket=week" in at.page.url
    expect(at.page.locator("#analytics-filters select[name=station]")).to_have_value(station_id)
    check_dashboard(at.page)
    long_page_shot(at, "dashboard-filtered")

    # Every table exports as CSV (a header row, then the numbers).
    reasons_csv = csv_of(at.page, at.page.locator("section#reasons a.csv").get_attribute("href") or "")
    assert reasons_csv.lstrip("\ufeff").splitlines()[0].count(",") >= 1, reasons_csv[:200]
    assert rma["reason"] in reasons_csv, reasons_csv[:500]

    # Drill down: the bar of this return's reason -> the list -> the inspection on the review page.
    at.page.locator(f"section#reasons svg.chart a[href*='reason={rma['reason']}'] rect").click()
    at.page.wait_for_url(re.compile(rf"/analytics/inspections\?.*reason={rma['reason']}"))
    case_link = at.page.locator(f"#inspection-list a[href='/review/inspections/{inspection_id}']")
    expect(case_link).to_have_count(1)
    long_page_shot(at, "drill-down-list")
    list_csv = csv_of(at.page, at.page.locator(".analytics p.range a.csv").get_attribute("href") or "")
    assert parcel.rma_id in list_csv
    case_link.click()
    at.page.wait_for_url(f"**/review/inspections/{inspection_id}")
    expect(at.page.locator("main h1")).to_have_text(parcel.rma_id)
    at.shot("drill-down-case")

    at.goto("/analytics/operators")
    expect(at.page.locator("table.consistency tbody tr").first).to_be_visible()
    expect(at.page.locator("section.card#grading svg.chart")).to_have_count(1)
    grading_csv = csv_of(at.page, at.page.locator("section#grading a.csv").get_attribute("href") or "")
    assert grading_csv.strip(), "empty grading CSV"
    long_page_shot(at, "grading")


def chinese_supervisor(open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> BenchPage:
    """The supervisor signed in after switching to Chinese on the sign-in page (this session only)."""
    at = open_bench(bench)
    supervisor_shots(at)
    at.goto("/auth/password")
    at.switch_language("zh_Hans_CN")  # before signing in: not stored as the supervisor's own setting
    sign_in_with_password(at, supervisor)
    return at


def data_on_screen(at: BenchPage) -> list[str]:
    """Names and codes a page shows as they are in every language (products, people, stations, RMAs)."""
    bench = at.server
    data = [str(item[key]) for item in DEMO_ITEMS for key in ("description", "sku", "gtin", "category")]
    data += [str(a) for item in DEMO_ITEMS for a in item.get("accessories", [])]
    data += [s for item in DEMO_ITEMS for s in item.get("serials", [])]
    data += [r["display_name"] for r in bench.query("SELECT display_name FROM operator") if r["display_name"]]
    data += [r["id"] for r in bench.query("SELECT id FROM station")]
    data += [r["name"] for r in bench.query("SELECT name FROM station") if r["name"]]
    data += [r["rma_id"] for r in bench.query("SELECT rma_id FROM return_authorization")]
    return [*data, "English", at.page.locator(".topbar .brand").inner_text()]


def check_chinese(at: BenchPage, problems: list[str], name: str) -> None:
    expect(at.page.locator("html")).to_have_attribute("lang", "zh-CN")
    long_page_shot(at, name)
    problems.extend(f"{name}: {p}" for p in untranslated(visible_texts(at.page), data_on_screen(at)))


def test_dashboards_in_chinese_show_no_english_ui_string(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    parcel = bench.take_parcel("kettle")
    inspection_id = flag_at_the_parcel_step(open_bench(bench), parcel)
    at = chinese_supervisor(open_bench, bench, supervisor)
    problems: list[str] = []

    at.goto("/analytics/")
    check_dashboard(at.page)
    for summary in at.page.locator("section.card details summary").all():
        summary.click()  # the numbers tables too
    check_chinese(at, problems, "zh-dashboard")
    at.goto("/analytics/?bucket=month&reason=quality_defect")
    check_dashboard(at.page)
    check_chinese(at, problems, "zh-dashboard-filtered")
    at.goto("/analytics/operators")
    check_chinese(at, problems, "zh-grading")

    at.goto("/analytics/")  # drill down from the stations bar this time
    # the bar of this bench (the demo history was inspected at another one)
    at.page.locator("section#stations svg.chart a[href*='station=bench-01'] rect").first.click()
    at.page.wait_for_url(re.compile(r"/analytics/inspections\?.*station="))
    expect(at.page.locator(f"#inspection-list a[href='/review/inspections/{inspection_id}']")).to_have_count(1)
    check_chinese(at, problems, "zh-drill-down-list")
    assert not problems, f"English UI strings on zh-CN pages ({english_ui().source}):\n" + "\n".join(problems)


def test_flagged_queue_and_case_in_chinese_show_no_english_ui_string(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    parcel = bench.take_parcel("headphones")
    inspection_id = flag_at_the_parcel_step(open_bench(bench), parcel)
    at = chinese_supervisor(open_bench, bench, supervisor)
    problems: list[str] = []
    at.goto("/review/")
    case_link = at.page.locator(f"table.queue a[href$='/inspections/{inspection_id}']")
    expect(case_link).to_have_count(1)
    check_chinese(at, problems, "zh-queue")
    # Fetched first without the tab: a 500 document would also be a console error in teardown.
    response = at.page.request.get(at.page.url.split("/review/")[0] + f"/review/inspections/{inspection_id}")
    assert response.status == 200, f"zh case page: HTTP {response.status}"
    case_link.click()
    at.page.wait_for_url(f"**/review/inspections/{inspection_id}")
    expect(at.page.locator("main h1")).to_have_text(parcel.rma_id)
    check_chinese(at, problems, "zh-case")
    assert not problems, f"English UI strings on zh-CN pages ({english_ui().source}):\n" + "\n".join(problems)
