"""A screenshot tour of every bench and supervisor screen, in English and Chinese, at 1280x800 and 1920x1080.

Not a test (pytest does not collect it): a person looks at the pictures. Run it as

    .venv/bin/python -m tests.e2e.screens_tour [--out test-output/tour]

It starts the demo bench the way the e2e tests do (tests/e2e/server.py), drives Debian's Chromium
with a touch screen (never a downloaded browser) and writes `<out>/<lang>/<width>/NN-<screen>.png`.
Each screen is walked once per language and photographed at both sizes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from station.demo import WRONG_ITEM_GTIN
from tests.e2e.bench_page import STEP_TIMEOUT_MS, BenchPage
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, REPO, SUPERVISOR_LINE, ZH_OPERATOR, Supervisor
from tests.e2e.server import BenchServer, start_bench, three_item_rma
from tests.e2e.test_touches import Touches

SIZES: tuple[ViewportSize, ...] = ({"width": 1280, "height": 800}, {"width": 1920, "height": 1080})
LANGS = ("en", "zh_Hans_CN")
HEADPHONES_EAN = "5012345678900"  # the headphones' retail barcode: no serial in it, so one is asked
HEADPHONES_SERIAL = "HP200-A1B2C3"
KETTLE_EAN = "9501101530003"
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


class Tour:
    """One language's walk: every screen photographed at every size, numbered in walk order."""

    def __init__(self, page: Page, server: BenchServer, out: Path) -> None:
        self.page = page
        self.at = BenchPage(page, server, out, [])
        self.hand = Touches(self.at)
        self.out = out
        self.count = 0
        self.taken: list[Path] = []

    def shot(self, name: str) -> None:
        self.count += 1
        for size in SIZES:
            self.page.set_viewport_size(size)
            self.settle()
            folder = self.out / str(size["width"])
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{self.count:02d}-{name}.png"
            try:
                self.page.screenshot(path=str(path))
            except PlaywrightError:  # the page navigated under the screenshot: take the new one
                self.settle()
                self.page.screenshot(path=str(path))
            self.taken.append(path)
        self.page.set_viewport_size(SIZES[0])

    def settle(self) -> None:
        """The page has loaded and laid itself out (a navigation under way is waited for)."""
        for _ in range(3):
            self.page.wait_for_load_state()
            try:
                self.page.evaluate(TWO_FRAMES)
                return
            except PlaywrightError:  # the page navigated meanwhile: wait for the new one
                continue
        self.page.wait_for_load_state()

    def scan(self, code: str) -> None:
        try:
            self.hand.device("scan", code=code)
        except PlaywrightError:  # the screen reloaded (e.g. a label printed) just then
            self.settle()
            self.hand.device("scan", code=code)

    def verdict_after(self, code: str) -> None:
        """Scan an item on the items screen and wait until its verdict shows."""
        before = self.page.locator("#verdict").get_attribute("data-shown-at") or ""
        self.scan(code)
        self.page.wait_for_function(
            "(b) => { const v = document.getElementById('verdict');"
            " return location.pathname.endsWith('/photos') || (v && !v.hidden && v.dataset.shownAt !== b); }",
            arg=before, timeout=STEP_TIMEOUT_MS)

    def weigh(self) -> None:
        grams = self.page.locator("#demo-panel [data-sim=scale][data-grams]").first.get_attribute("data-grams")
        self.hand.device("scale", grams=grams or "")
        self.hand.on(r"/items$")

    def open_details(self, selector: str, name: str) -> None:
        self.page.evaluate("(s) => { document.querySelector(s).open = true; }", selector)
        self.shot(name)
        self.page.evaluate("(s) => { document.querySelector(s).open = false; }", selector)

    def units(self, prefix: str, state: str = "sealed") -> None:
        """Every unit of the parcel: its state, its answers (looks new), its photos; up to the summary."""
        for _ in range(12):
            if re.search(r"/result$", self.page.url):
                return
            self.page.wait_for_url(re.compile(r"/(units/\d+|result)$"), timeout=STEP_TIMEOUT_MS)
            if self.page.locator("#state-sealed").count():
                chosen = state if self.page.locator(f"#state-{state}").count() else "sealed"
                with self.page.expect_navigation(timeout=STEP_TIMEOUT_MS):
                    self.hand.tap(f"#state-{chosen}")
            elif self.page.locator("#unit-form").count():
                with self.page.expect_navigation(timeout=STEP_TIMEOUT_MS):
                    if self.page.locator("#looks-new").count():
                        self.hand.tap("#looks-new")
                    if self.page.locator("label[for=ft-passed]").count():
                        self.hand.tap("label[for=ft-passed]")
            elif self.page.locator(".angle:not(.taken) form button").count():
                self.shot(f"{prefix}-unit-photos")
                self.capture_until_navigation()
            else:
                self.hand.tap("#next-unit")
        self.page.wait_for_url(re.compile(r"/result$"), timeout=STEP_TIMEOUT_MS)

    def capture_until_navigation(self) -> None:
        url = self.page.url
        for _ in range(12):
            if self.page.url != url:
                break
            keep = self.page.locator(".angle .doubt button")
            todo = self.page.locator(".angle:not(.taken) form button")
            if keep.count():
                keep.first.tap()
            elif todo.count():
                left = todo.count()
                todo.first.tap()
                self.page.wait_for_function(
                    "([left, url]) => location.href !== url || document.querySelector('.angle .doubt')"
                    " || document.querySelectorAll('.angle:not(.taken) form button').length < left",
                    arg=[left, url], timeout=STEP_TIMEOUT_MS)
            else:
                break
        self.page.wait_for_url(lambda now: now != url, timeout=STEP_TIMEOUT_MS)
        self.page.wait_for_load_state()

    def flag_with_chip(self, name: str) -> None:
        """Call a supervisor with the first preset reason chip (no typing)."""
        self.page.evaluate("() => { document.getElementById('flag-form').closest('details').open = true; }")
        chip = self.page.locator("#flag-chips label").first
        if chip.count():
            chip.tap()
        else:
            self.page.fill("#flag-reason", "tour")
        self.shot(name)
        self.page.locator("#flag-form button[type=submit]").tap()
        self.hand.on(r"/done$")


def operator_walk(tour: Tour, server: BenchServer, lang: str) -> str:
    """Sign-in .. sign-out for one operator; returns the id of the flagged wrong-item case."""
    page, at, hand = tour.page, tour.at, tour.hand
    at.goto("/")
    page.wait_for_url("**/auth/sign-in**")
    badge, pin = server.badge, server.pin
    if lang != "en":
        at.switch_language(lang)
        badge, pin = ZH_OPERATOR.badge, ZH_OPERATOR.pin
    tour.shot("sign-in")
    page.fill("#badge", badge)
    at.type_pin(pin)
    tour.shot("sign-in-pin-typed")
    page.locator("#badge-form button.primary").tap()
    page.wait_for_url(re.compile(r"/bench/$"), timeout=STEP_TIMEOUT_MS)
    expect(page.locator("#code")).to_be_visible()
    tour.shot("idle")
    at.demo_panel(True)
    tour.shot("idle-demo-panel")
    at.demo_panel(False)
    before = page.locator("#messages").inner_text()
    tour.scan(KETTLE_EAN)  # an item where a label is expected: answered, not dropped
    page.wait_for_function("(b) => document.getElementById('messages').innerText !== b", arg=before)
    tour.shot("idle-item-scanned")

    # 1. Headphones: sealed, grade A, the sort.
    headphones = server.take_parcel("headphones")
    tour.scan(headphones.label)
    hand.on(r"/parcel$")
    tour.shot("parcel")
    tour.open_details("details.override:has(#flag-form)", "supervisor-call")
    tour.open_details("#sign-out", "sign-out-question")
    hand.tap("a.button[href$='/weigh']")
    hand.on(r"/weigh$")
    for key in "362":
        page.locator(f"#weight-keypad button[data-key='{key}']").tap()
    expect(page.locator("#grams")).to_have_value("362")
    tour.shot("weigh-keypad")
    page.locator(".weight-entry button[data-key=clear]").tap()
    at.unplug("scale")
    expect(page.locator(".topbar [data-device=scale]")).to_have_class(re.compile(r"\b(disconnected|error)\b"))
    tour.shot("weigh-scale-unplugged")
    at.unplug("scale", "replug")
    expect(page.locator(".topbar [data-device=scale]")).to_have_class(re.compile(r"\bready\b"),
                                                                       timeout=STEP_TIMEOUT_MS)
    tour.weigh()
    tour.shot("items")
    tour.verdict_after(HEADPHONES_EAN)
    tour.shot("items-serial-prompt")
    tour.scan(HEADPHONES_SERIAL)
    hand.on(r"/photos$")
    tour.shot("photos")
    tour.capture_until_navigation()
    expect(page.locator("#state-sealed")).to_be_visible()
    tour.shot("unit-state")
    with page.expect_navigation(timeout=STEP_TIMEOUT_MS):
        hand.tap("#state-sealed")
    tour.units("sealed")
    expect(page.locator("#grade")).to_have_text("A")
    tour.shot("result-grade-a")
    hand.confirm()
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator(".sort-label .ok").first).to_be_visible()  # the label printed: no reload to come
    tour.shot("done-sort-waiting")
    places = page.locator("#demo-panel [data-sim=scan][data-kind=place]")
    wrong = places.nth(1).get_attribute("data-code") or ""
    tour.scan(wrong)
    expect(page.locator("#messages .flash.error")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    tour.shot("sort-wrong-place")
    hand.put_away()
    tour.shot("done-sorted")

    # 2. Kettle: a wrong item scanned too, opened, a changed answer, a defect: grade B, flagged.
    kettle = server.take_parcel("kettle")
    tour.scan(kettle.label)  # on the done screen: opens the next parcel
    hand.on(r"/parcel$")
    tour.weigh()
    tour.verdict_after(WRONG_ITEM_GTIN)
    tour.shot("items-wrong-item")
    tour.verdict_after(KETTLE_EAN)
    hand.on(r"/photos$")
    tour.capture_until_navigation()
    expect(page.locator("#state-opened")).to_be_visible()
    with page.expect_navigation(timeout=STEP_TIMEOUT_MS):
        hand.tap("#state-opened")
    expect(page.locator("#unit-form")).to_be_visible()
    tour.shot("unit-checklist-open")
    hand.tap("#looks-new")
    hand.tap("label[for=has_defects-yes]")
    first_kind = page.locator("#defects [id^=q-d-]").first.get_attribute("id") or ""
    hand.tap(f"label[for=d-{first_kind.removeprefix('q-d-')}-minor]")
    tour.shot("unit-checklist-answer-changed")
    with page.expect_navigation(timeout=STEP_TIMEOUT_MS):
        hand.tap("label[for=ft-passed]")
    if page.locator(".angle:not(.taken) form button").count():
        tour.shot("unit-photos")
        tour.capture_until_navigation()
    page.wait_for_url(re.compile(r"/units/2$"), timeout=STEP_TIMEOUT_MS)
    tour.shot("undeclared-unit")
    tour.units("undeclared", "opened")
    tour.shot("result-grade-b-wrong-item")
    wrong_case = at.inspection_id
    hand.confirm()
    tour.shot("done-flagged")

    # 3. Three items, only one found: missing units.
    three = server.take_parcel("+")
    tour.scan(three.label)
    hand.on(r"/parcel$")
    tour.weigh()
    first = at.demo_scan_buttons("item")[0]
    tour.verdict_after(first)
    tour.shot("items-one-of-three")
    with page.expect_navigation(timeout=STEP_TIMEOUT_MS):
        hand.tap("form[action$='/items/done'] button")
    if re.search(r"/photos$", page.url):
        tour.capture_until_navigation()
    tour.units("missing")
    tour.shot("result-missing-units")
    tour.flag_with_chip("result-supervisor-call-chip")
    tour.shot("done-handed-to-supervisor")

    # 4. A label no return has: the unexpected parcel.
    unknown = next(c for c in at.demo_scan_buttons("label") if "UNKNOWN" in c)
    tour.scan(unknown)
    hand.on(r"/parcel$")
    tour.shot("unexpected-parcel")
    tour.flag_with_chip("unexpected-parcel-supervisor-call")

    # Lock, unlock, sign out.
    hand.tap("#lock-now")
    hand.on(r"/auth/lock")
    page.fill("#badge", badge)
    at.type_pin(pin)
    tour.shot("lock-screen")
    page.locator("[data-keypad-for=pin] button[type=submit]").tap()
    page.wait_for_url(lambda url: "/auth/" not in url, timeout=STEP_TIMEOUT_MS)
    page.evaluate("() => { document.querySelector('#sign-out').open = true; }")
    page.locator("#sign-out-yes").tap()
    page.wait_for_url("**/auth/sign-in**", timeout=STEP_TIMEOUT_MS)
    return wrong_case


def supervisor_walk(tour: Tour, server: BenchServer, lang: str, person: Supervisor, case: str) -> None:
    page, at = tour.page, tour.at
    at.goto("/auth/password")
    if lang != "en":
        at.switch_language(lang)
    tour.shot("supervisor-sign-in")
    page.fill("#username", person.username)
    page.fill("#password", person.password)
    page.locator("form[action$='/auth/password'] button.primary").tap()
    page.wait_for_url(lambda url: "/auth/" not in url)
    at.goto("/review/")
    expect(page.locator("table.queue")).to_be_visible()
    tour.shot("review-queue")
    at.goto(f"/review/inspections/{case}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gallery img.thumb')].every((i) => i.complete)")
    tour.shot("review-case")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    tour.shot("review-case-bottom")
    at.goto("/review/totes")
    tour.shot("review-totes")
    at.goto("/analytics/")
    expect(page.locator("#key-figures")).to_be_visible()
    tour.shot("analytics")


def tour_language(browser: Browser, server: BenchServer, folder: Path, lang: str,
                  person: Supervisor) -> list[Path]:
    """The operator's walk, then the supervisor's, each in a fresh touch-screen context."""
    shutil.rmtree(folder, ignore_errors=True)
    taken: list[Path] = []
    case = ""
    for who in ("operator", "supervisor"):
        context = browser.new_context(viewport=SIZES[0], locale="en-US", has_touch=True)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        tour = Tour(context.new_page(), server, folder)
        if who == "operator":
            case = operator_walk(tour, server, lang)
        else:
            tour.count = 50  # the supervisor's screens are numbered apart from the operator's
            supervisor_walk(tour, server, lang, person, case)
        taken += tour.taken
        context.close()
    return taken


def run(out: Path) -> list[Path]:
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} missing (apt-get install chromium)")
    expect.set_options(timeout=STEP_TIMEOUT_MS)  # a loaded machine is slow to load a screen
    workdir = Path(tempfile.mkdtemp(prefix="station-tour-"))
    run_id = f"TOUR{os.getpid()}"
    server = start_bench(workdir, extra_parcels=6, operators=(ZH_OPERATOR,),
                         extra_rmas=(three_item_rma(f"{run_id}A"), three_item_rma(f"{run_id}B")))
    taken: list[Path] = []
    try:
        match = SUPERVISOR_LINE.search((workdir / "stdout.log").read_text())
        assert match, "no supervisor password in the demo output"
        person = Supervisor(*match.groups())
        with sync_playwright() as driver:
            browser: Browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                      args=CHROMIUM_ARGS)
            for lang in LANGS:
                taken += tour_language(browser, server, out / lang, lang, person)
            browser.close()
    except Exception:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "test-output" / "tour",
                        help="folder for <lang>/<width>/NN-<screen>.png (default test-output/tour)")
    args = parser.parse_args(argv)
    taken = run(args.out)
    print(f"{len(taken)} screenshots under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
