"""How many touches a parcel takes at the bench, in Chromium with a touch screen.

Scans, weights and pictures come from the simulated devices (posted to the demo endpoints, not
tapped); photo captures and the sign-in PIN are not counted; every other tap on the screen is.
Goals (the bench-speed issue): a sealed single item in at most 2 touches, an opened but clean
single item in at most 4, a clean three-item parcel in at most 8; the sort scan after the
label prints is a scan, not a touch. The counts are written to test-output/touches.json for
the benchmark report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Locator, expect

from tests.e2e.bench_page import STEP_TIMEOUT_MS, BenchPage, OpenBench
from tests.e2e.server import BenchServer

REPORT = Path(__file__).resolve().parents[2] / "test-output" / "touches.json"


class Touches:
    """The operator's hand: taps counted, captures counted apart, devices driven directly."""

    def __init__(self, at: BenchPage) -> None:
        self.at, self.page = at, at.page
        self.touches = 0
        self.captures = 0
        self.token = ""

    def tap(self, target: str | Locator) -> None:
        locator = self.page.locator(target) if isinstance(target, str) else target
        locator.tap()
        self.touches += 1

    def device(self, kind: str, *, at_once: bool = False, **fields: str) -> None:
        """What a device does by itself (a scan, a parcel put on the scale), without a tap.

        A scan waits until the screen hears the live stream, so each one lands on the screen
        it is meant for (one sent while a page loads is replayed to it: docs/bench-ui.md);
        ``at_once`` sends it without waiting.
        """
        if kind == "scan" and not at_once and \
                self.page.evaluate("() => Boolean(document.body.dataset.eventsUrl)"):
            self.page.wait_for_function("() => document.body.dataset.stream === 'open'",
                                        timeout=STEP_TIMEOUT_MS)
        if not (at_once and self.token):  # mid-navigation: the token the last page carried
            self.token = self.page.locator("meta[name=csrf-token]").get_attribute("content") or ""
        token = self.token
        answer = self.page.request.post(f"{self.at.server.url.rstrip('/')}/bench/sim/{kind}",
                                        form=fields, headers={"X-CSRFToken": token,
                                                              "X-Requested-With": "fetch"})
        assert answer.ok, (kind, fields, answer.status, answer.text())

    def on(self, path: str) -> None:
        self.page.wait_for_url(re.compile(path), timeout=STEP_TIMEOUT_MS)

    def capture_all(self, then: str) -> None:
        """Tap Capture on every open angle (keeping a doubted still); the bench moves on to ``then``."""
        for _ in range(12):
            if re.search(then, self.page.url):
                return
            keep = self.page.locator(".angle .doubt button")
            todo = self.page.locator(".angle:not(.taken) form button")
            if keep.count():
                keep.first.tap()
            elif todo.count():
                left = todo.count()
                todo.first.tap()
                self.page.wait_for_function(
                    "(left) => document.querySelectorAll('.angle:not(.taken) form button').length"
                    " < left || document.querySelector('.angle .doubt')", arg=left,
                    timeout=STEP_TIMEOUT_MS)
            else:
                break
            self.captures += 1
        self.on(then)

    def to_units(self, label: str) -> None:
        """Label scanned, parcel weighed and every item scanned, parcel photos: no touch."""
        self.device("scan", code=label)
        self.on(r"/parcel$")
        grams = self.page.locator("#demo-panel [data-sim=scale][data-grams]").first \
            .get_attribute("data-grams") or ""
        self.device("scale", grams=grams)
        self.on(r"/items$")
        codes = self.at.demo_scan_buttons("item")
        for code in codes:
            if code.startswith("1Z") or code.startswith("RMA"):
                continue
            before = self.page.locator("#verdict").get_attribute("data-shown-at") or ""
            self.device("scan", code=code)
            self.page.wait_for_function(
                "(b) => { const v = document.getElementById('verdict');"
                " return location.pathname.endsWith('/photos') || (v && v.dataset.shownAt !== b); }",
                arg=before, timeout=STEP_TIMEOUT_MS)
        self.on(r"/photos$")
        self.capture_all(r"/units/\d+$")

    def confirm(self) -> None:
        expect(self.page.locator("#confirm")).to_be_visible()
        self.tap("#confirm")
        self.on(r"/done$")

    def put_away(self) -> list[str]:
        """Scan the place of every labelled unit (scans, not touches); returns their plates.

        The first place the demo panel offers is the right one: the open tote of the unit's
        destination, a fresh tote code, or the fixed place's barcode.
        """
        plates: list[str] = []
        for _ in range(10):
            waiting = self.page.locator("#done").get_attribute("data-sort-waiting") or ""
            if not waiting:
                break
            line = self.page.locator(f".sort-line[data-position='{waiting}']")
            plates.append(line.get_attribute("data-lpn") or "")
            right = self.page.locator("#demo-panel [data-sim=scan][data-kind=place]").first
            self.device("scan", code=right.get_attribute("data-code") or "")
            expect(self.page.locator(f".sort-line.sorted[data-position='{waiting}']")
                   ).to_be_attached(timeout=STEP_TIMEOUT_MS)
        expect(self.page.locator("#sort-done")).to_be_visible()
        return plates

    def printed_plates(self, count: int) -> set[str]:
        """What the simulated printer's last label decodes to (zxing-cpp on its PNG)."""
        import io

        import zxingcpp
        from PIL import Image

        answer = self.page.request.get(f"{self.at.server.url.rstrip('/')}/bench/sim/printer/"
                                       f"label.png?n={count}")
        assert answer.ok, answer.status
        image = Image.open(io.BytesIO(answer.body()))
        return {r.text for r in zxingcpp.read_barcodes(image)}


def report(name: str, hand: Touches, goal: int) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    known[name] = {"touches": hand.touches, "goal": goal, "captures": hand.captures}
    REPORT.write_text(json.dumps(known, indent=2, sort_keys=True))
    assert hand.touches <= goal, f"{name}: {hand.touches} touches, goal {goal}"


def signed_in(open_bench: OpenBench, bench: BenchServer) -> Touches:
    at = open_bench(bench, touch=True)
    at.sign_in()  # the PIN is not counted
    return Touches(at)


def test_a_sealed_single_item_takes_at_most_two_touches(open_bench: OpenBench,
                                                          bench: BenchServer) -> None:
    parcel = bench.take_parcel("headphones")
    hand = signed_in(open_bench, bench)
    hand.to_units(parcel.label)
    hand.tap("#state-sealed")
    expect(hand.page.locator(".angle").first).to_be_visible()  # its one photo
    hand.capture_all(r"/result$")
    expect(hand.page.locator("#grade")).to_have_text("A")
    hand.confirm()
    (plate,) = hand.put_away()  # label printed, stuck on, tote scanned: no touch
    assert plate in hand.printed_plates(1)
    hand.at.screen("done-sorted-sealed")
    report("sealed_single", hand, 2)


def test_an_opened_clean_single_item_takes_at_most_four_touches(open_bench: OpenBench,
                                                                 bench: BenchServer) -> None:
    parcel = bench.take_parcel("kettle")  # a quality-defect return: the function test is asked
    hand = signed_in(open_bench, bench)
    hand.to_units(parcel.label)
    hand.tap("#state-opened")
    expect(hand.page.locator("#unit-form")).to_be_visible()
    hand.tap("#looks-new")
    hand.tap("label[for=ft-passed]")
    hand.page.wait_for_selector("#moving-on", state="attached", timeout=STEP_TIMEOUT_MS)
    hand.on(r"/units/1$")
    expect(hand.page.locator(".angle").first).to_be_visible()
    hand.capture_all(r"/result$")
    hand.confirm()
    report("opened_clean_single", hand, 4)


def test_a_clean_three_item_parcel_takes_at_most_eight_touches(open_bench: OpenBench,
                                                                bench: BenchServer) -> None:
    parcel = bench.take_parcel("+")  # the return of three different items
    hand = signed_in(open_bench, bench)
    hand.to_units(parcel.label)
    for position in (1, 2, 3):
        hand.on(rf"/units/{position}$")
        expect(hand.page.locator("#state-sealed")).to_be_visible()
        hand.tap("#state-sealed")
        expect(hand.page.locator(".angle").first).to_be_visible()  # its one photo
        hand.capture_all(rf"/units/{position + 1}$" if position < 3 else r"/result$")
    expect(hand.page.locator("#units tbody tr")).to_have_count(3)
    hand.confirm()
    assert len(set(hand.put_away())) == 3
    report("clean_three_items", hand, 8)
