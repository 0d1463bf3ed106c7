"""Labels and the directed sort in Chromium: paper out, print again, a wrong place, the right tote."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.bench_page import STEP_TIMEOUT_MS, OpenBench
from tests.e2e.server import BenchServer
from tests.e2e.test_touches import signed_in


def test_paper_out_then_print_again_then_a_wrong_place_is_refused_and_the_tote_confirms(
    open_bench: OpenBench, bench: BenchServer,
) -> None:
    parcel = bench.take_parcel("headphones")
    hand = signed_in(open_bench, bench)
    page = hand.page
    hand.to_units(parcel.label)
    hand.tap("#state-sealed")
    expect(page.locator(".angle").first).to_be_visible()  # its one photo
    hand.capture_all(r"/result$")
    hand.device("printer", fault="paper_out")
    hand.confirm()
    failed = page.locator(".sort-label .bad")
    expect(failed).to_contain_text("paper out", timeout=STEP_TIMEOUT_MS)
    expect(page.locator(".topbar [data-device=printer]")).to_have_class(
        re.compile(r"\berror\b"), timeout=STEP_TIMEOUT_MS)
    hand.at.screen("label-paper-out")
    plate = page.locator(".sort-line").first.get_attribute("data-lpn") or ""
    jobs = bench.query("SELECT lp.status FROM label_print lp JOIN inspection_unit u "
                       "ON u.id = lp.unit_id WHERE u.lpn = ?", plate)
    assert [j["status"] for j in jobs] == ["failed"]

    hand.device("printer", fault="none")
    hand.tap(page.locator(".sort-label form button").first)  # Print again
    expect(page.locator(".sort-label .ok")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    jobs = bench.query("SELECT lp.status FROM label_print lp JOIN inspection_unit u "
                       "ON u.id = lp.unit_id WHERE u.lpn = ? ORDER BY lp.created_at", plate)
    assert [j["status"] for j in jobs] == ["failed", "printed"]  # printed once, by the reprint
    answer = page.request.get(f"{bench.url.rstrip('/')}/bench/sim/printer/label.png?n=last")
    assert answer.ok
    (hand.at.shots / "label-printed.png").write_bytes(answer.body())
    decoded = {r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(answer.body())))}
    assert plate in decoded

    places = page.locator("#demo-panel [data-sim=scan][data-kind=place]")
    right, wrong = (places.nth(i).get_attribute("data-code") or "" for i in (0, 1))
    hand.device("scan", code=wrong)
    expect(page.locator("#messages .flash.error")).to_contain_text("Wrong place",
                                                                   timeout=STEP_TIMEOUT_MS)
    expect(page.locator(".sort-line.sorted")).to_have_count(0)
    hand.at.screen("sort-wrong-place")
    hand.device("scan", code=right)
    expect(page.locator("#sort-done")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    rows = bench.query("SELECT sorted_at, destination FROM inspection_unit WHERE lpn = ?", plate)
    assert rows[0]["sorted_at"] is not None and rows[0]["destination"]
    done_url = page.url
    hand.at.switch_language("zh_Hans_CN")
    hand.at.goto(done_url.removeprefix(bench.url.rstrip("/")))
    expect(page.locator("#sort-done")).to_contain_text("每件商品都已放到位")
    hand.at.screen("done-sorted-zh")
