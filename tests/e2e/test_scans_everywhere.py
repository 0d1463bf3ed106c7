"""A return label, an item and a badge scanned on every bench screen are acted on or answered.

The scans come from the simulated serial scanner (pty -> device manager -> live stream), as a
real one would send them; no screen may drop one without a word.
"""

from __future__ import annotations

import re

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.bench_page import STEP_TIMEOUT_MS, BenchPage, OpenBench
from tests.e2e.server import BenchServer
from tests.e2e.test_touches import Touches


def answered_or_moved(at: BenchPage, hand: Touches, code: str) -> str:
    """Scan ``code``; returns the message shown, or the new page when the scan moved the bench."""
    said = ("() => [document.getElementById('messages'), document.getElementById('verdict')]"
            ".map((el) => el && !el.hidden ? el.innerText + (el.dataset.shownAt || '') : '')"
            ".join('|')")
    before_url = at.page.url
    before = at.page.evaluate(said)
    hand.device("scan", code=code)
    at.page.wait_for_function(
        f"([url, text]) => location.href !== url || ({said})() !== text",
        arg=[before_url, before], timeout=STEP_TIMEOUT_MS)
    try:
        shown = at.page.evaluate(f"([url]) => location.href !== url ? '' : ({said})()",
                                 [before_url]).strip("|")
    except PlaywrightError:  # the page is moving on to where the scan sent it
        shown = ""
    if not shown:
        at.page.wait_for_url(lambda url: url != before_url, timeout=STEP_TIMEOUT_MS)
        return "moved to " + at.page.url
    assert shown, f"{code!r} on {before_url}: nothing shown"
    return shown


def test_every_screen_answers_a_label_an_item_and_a_badge(open_bench: OpenBench,
                                                          bench: BenchServer) -> None:
    parcel = bench.take_parcel("kettle")
    other = bench.take_parcel("t-shirt")
    at = open_bench(bench)
    at.sign_in()
    hand = Touches(at)
    item = "9501101530003"  # the kettle's EAN-13
    seen: dict[str, list[str]] = {}

    def on_screen(name: str) -> None:
        seen[name] = [answered_or_moved(at, hand, bench.badge)]
        if "/units/" in at.page.url or name in ("result", "photos"):
            seen[name].append(answered_or_moved(at, hand, other.label))

    seen["idle"] = [answered_or_moved(at, hand, item), answered_or_moved(at, hand, bench.badge)]
    assert "return label" in seen["idle"][0]
    hand.device("scan", code=parcel.label)
    hand.on(r"/parcel$")
    seen["parcel"] = [answered_or_moved(at, hand, other.label),
                      answered_or_moved(at, hand, bench.badge)]
    assert "Finish this parcel" in seen["parcel"][0]
    at.on_screen = on_screen
    at.weigh_as_expected(on_weigh_screen=False)
    at.scan_expected_items()
    at.finish_items()
    seen["photos-item"] = [answered_or_moved(at, hand, item)]
    at.take_photos()
    at.checklist()
    at.confirm()
    seen["done"] = [answered_or_moved(at, hand, other.label)]
    assert seen["done"][0].startswith("moved to") and re.search(r"/parcel$", at.page.url)
    at.flag("e2e: opened by a scan on the done screen")  # leave the bench free, then lock it
    at.page.locator("#lock-now").click()
    at.page.wait_for_url(re.compile(r"/auth/lock"), timeout=STEP_TIMEOUT_MS)
    hand.device("scan", code=bench.badge)
    expect(at.page.locator("#badge")).to_have_value(bench.badge)
    for screen, answers in seen.items():
        assert answers and all(answers), (screen, answers)


def test_a_scan_sent_while_the_next_screen_loads_is_acted_on_there(open_bench: OpenBench,
                                                                    bench: BenchServer) -> None:
    parcel = bench.take_parcel("kettle")
    other = bench.take_parcel("t-shirt")
    at = open_bench(bench)
    at.sign_in()
    hand = Touches(at)
    hand.device("scan", code=parcel.label)  # opens the parcel: the bench moves to its screen...
    hand.device("scan", at_once=True, code=other.label)  # ...and this one arrives while it does
    hand.on(r"/parcel$")
    expect(at.page.locator("#messages")).to_contain_text("Finish this parcel first",
                                                         timeout=STEP_TIMEOUT_MS)
    at.flag("e2e: the scan sent during a page load was answered")  # leave the bench free
