"""An operator at the bench in Chromium: sign in, drive the demo panel, walk an inspection's screens.

Selectors are structural (ids, form actions, data attributes), never English button text, so the
same walk runs in every UI language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from station.demo import WRONG_ITEM_GTIN
from tests.e2e.server import BenchServer

STEP_TIMEOUT_MS = 15_000
INSPECTION_URL = re.compile(r"/bench/i/([0-9A-Za-z]+)/")


class BenchPage:
    """One browser tab at one bench, with screenshots numbered in the order they were taken."""

    def __init__(self, page: Page, server: BenchServer, shots: Path, console_errors: list[str]) -> None:
        self.page = page
        self.server = server
        self.shots = shots
        self.console_errors = console_errors
        self._shot = 0
        #: Called on every main screen the walk reaches (after its screenshot), e.g. a check.
        self.on_screen: Callable[[str], None] | None = None

    # ---- basics ---------------------------------------------------------------------------------
    def shot(self, name: str) -> Path:
        self._shot += 1
        path = self.shots / f"{self._shot:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def screen(self, name: str) -> None:
        """A main screen is showing: screenshot it and run the test's per-screen check."""
        self.shot(name)
        if self.on_screen is not None:
            self.on_screen(name)

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url.rstrip("/") + path)

    @property
    def inspection_id(self) -> str:
        match = INSPECTION_URL.search(self.page.url)
        assert match, f"not on an inspection screen: {self.page.url}"
        return match.group(1)

    def wait_step(self, step: str) -> None:
        self.page.wait_for_url(re.compile(rf"/bench/i/\w+/{step}$"), timeout=STEP_TIMEOUT_MS)

    # ---- sign-in ----------------------------------------------------------------------------------
    def type_pin(self, pin: str) -> None:
        """The PIN goes in through the on-screen keypad, one key press per digit."""
        pad = self.page.locator("[data-keypad-for=pin]")
        for digit in pin:
            pad.locator(f"button[data-key='{digit}']").click()
        expect(self.page.locator("#pin")).to_have_value(pin)

    def sign_in(self, badge: str | None = None, pin: str | None = None) -> None:
        self.goto("/")
        self.page.wait_for_url("**/auth/sign-in**")
        self.screen("sign-in")
        self.page.fill("#badge", badge or self.server.badge)
        self.type_pin(pin or self.server.pin)
        self.page.locator("#badge-form button.primary").click()
        self.page.wait_for_url(re.compile(r"/bench/$"), timeout=STEP_TIMEOUT_MS)
        expect(self.page.locator("#code")).to_be_focused()

    def switch_language(self, lang: str) -> None:
        form = self.page.locator(f"form:has(input[name=lang][value='{lang}'])")
        form.locator("button").click()
        self.page.wait_for_load_state()
        expected = "zh-CN" if lang.startswith("zh") else "en"
        expect(self.page.locator("html")).to_have_attribute("lang", expected)

    # ---- the demo panel ---------------------------------------------------------------------------
    def demo_panel(self, open_: bool) -> None:
        panel = self.page.locator("#demo-panel")
        if not open_ and panel.count() == 0:
            return  # signed out: no demo panel
        if (panel.get_attribute("open") is not None) != open_:
            panel.locator("summary").click()
        if open_:
            expect(panel.locator("[data-sim]").first).to_be_visible()

    def demo_click(self, selector: str) -> None:
        """Click a demo panel button, then fold the panel away again (it covers the screen)."""
        self.demo_panel(True)
        self.page.locator(f"#demo-panel {selector}").first.click()
        self.demo_panel(False)

    def demo_scan_buttons(self, kind: str) -> list[str]:
        """The codes the panel offers to scan now (data-code of its scan buttons)."""
        codes = self.page.locator("#demo-panel [data-sim=scan]").evaluate_all(
            "(buttons) => buttons.map((b) => b.dataset.code)")
        return [c for c in codes if (kind == "wrong") == (c == WRONG_ITEM_GTIN)]

    def demo_scan(self, code: str) -> None:
        """Scan ``code`` with the simulated scanner (pty -> device manager -> SSE -> page)."""
        self.demo_panel(True)
        buttons = self.page.locator("#demo-panel [data-sim=scan]")
        index = buttons.evaluate_all("(bs, code) => bs.findIndex((b) => b.dataset.code === code)", code)
        assert index >= 0, f"the demo panel offers no scan of {code!r}"
        buttons.nth(index).click()
        self.demo_panel(False)

    def unplug(self, device: str, action: str = "unplug") -> None:
        self.demo_click(f"[data-sim=plug][data-sim-device={device}][data-action={action}]")

    def pill(self, device: str) -> str:
        return self.page.locator(f".topbar [data-device={device}]").get_attribute("class") or ""

    # ---- the inspection, screen by screen ---------------------------------------------------------
    def receive(self, label: str, typed: bool = False) -> str:
        """Scan (or type) the parcel's label on the idle screen; lands on the parcel screen.

        The demo panel lists the six newest open returns; an older label is typed instead.
        """
        expect(self.page.locator("#code")).to_be_visible()
        self.screen("idle")
        self.demo_panel(True)
        offered = label in self.demo_scan_buttons("label")
        self.demo_panel(False)
        if typed or not offered:
            self.page.fill("#code", label)
            self.page.keyboard.press("Enter")
        else:
            self.demo_scan(label)
        self.wait_step("parcel")
        expect(self.page.locator("a.button[href$='/weigh']")).to_be_visible()
        self.screen("parcel")
        return self.inspection_id

    def put_on_scale(self, selector: str = "[data-sim=scale][data-grams]:not([data-grams='0'])") -> float:
        """Put a parcel on the simulated scale; waits until the page shows it stable (± 2 g)."""
        self.demo_panel(True)
        button = self.page.locator(f"#demo-panel {selector}").first
        grams = float(button.get_attribute("data-grams") or "nan")
        button.click()
        self.demo_panel(False)
        self.page.wait_for_function(
            "(grams) => { const w = parseFloat(document.getElementById('weight').textContent);"
            " return Math.abs(w - grams) <= 2 && document.getElementById('stable').classList.contains('yes'); }",
            arg=grams, timeout=STEP_TIMEOUT_MS)
        return grams

    def weigh_as_expected(self, on_weigh_screen: bool = True) -> None:
        """A stable weight inside the band: the bench takes it and moves on by itself.

        From the weigh screen (``on_weigh_screen``), or straight from the parcel screen.
        """
        if on_weigh_screen:
            self.page.locator("a.button[href$='/weigh']").click()
            self.wait_step("weigh")
            self.screen("weigh")
        self.put_on_scale()
        self.moved_on_or_tap("#accept-weight", re.compile(r"/items$"))

    def moved_on_or_tap(self, button: str, target: re.Pattern[str]) -> None:
        """The bench moves on by itself, unless a touch (e.g. on the demo panel) cancelled it:
        then the operator taps ``button``. Either way the page ends on ``target``."""
        try:
            self.page.wait_for_selector("#moving-on", state="detached", timeout=STEP_TIMEOUT_MS)
            moved = self.page.evaluate("() => document.body.dataset.movedOn || null")
        except PlaywrightError:  # the page is moving on (its context went away meanwhile)
            moved = "going"
        if moved != "going" and not target.search(self.page.url):
            self.page.locator(button).click()
        self.page.wait_for_url(target, timeout=STEP_TIMEOUT_MS)

    def moving_on_shown(self) -> None:
        """The bench shows it is about to move on (the bar a touch would cancel)."""
        self.page.wait_for_selector("#moving-on", state="attached", timeout=STEP_TIMEOUT_MS)

    def scan_item(self, code: str) -> str:
        """Scan one item via the demo panel; returns the verdict's class once the page shows it."""
        verdict = self.page.locator("#verdict")
        before = verdict.get_attribute("data-shown-at") or ""
        self.demo_scan(code)
        self.page.wait_for_function(
            "(before) => { const v = document.getElementById('verdict');"
            " return !v.hidden && (v.dataset.shownAt || '') !== before; }",
            arg=before, timeout=STEP_TIMEOUT_MS)
        return verdict.get_attribute("class") or ""

    def type_item(self, code: str) -> str:
        """Type an item code into the scan box (the scanner failed) and press Enter."""
        verdict = self.page.locator("#verdict")
        before = verdict.get_attribute("data-shown-at") or ""
        self.page.fill("#code", code)
        self.page.keyboard.press("Enter")
        self.page.wait_for_function(
            "(before) => { const v = document.getElementById('verdict');"
            " return !v.hidden && (v.dataset.shownAt || '') !== before; }",
            arg=before, timeout=STEP_TIMEOUT_MS)
        return verdict.get_attribute("class") or ""

    def scan_expected_items(self, typed_sku: str | None = None) -> None:
        """Scan each expected item (demo panel), or type its SKU, as often as the return lists it."""
        missing = self.page.locator("table.lines tr[id^=line-]:not(.done)")
        for _ in range(10):
            if missing.count() == 0:
                break
            if typed_sku:
                verdict = self.type_item(typed_sku)
            else:
                codes = self.demo_scan_buttons("item")
                assert codes, "the demo panel offers no item of this return"
                verdict = self.scan_item(codes[0])
            assert "match" in verdict.split(), \
                f"expected item scanned, verdict {verdict!r}: {self.page.locator('#verdict').inner_text()}"
        expect(missing).to_have_count(0)

    def finish_items(self) -> None:
        """Every expected item counted: the bench moves on by itself; else the operator says so."""
        self.screen("items")
        lines = self.page.locator("table.lines tr[id^=line-]")
        done = "form[action$='/items/done'] button"
        if lines.count() and self.page.locator("table.lines tr[id^=line-]:not(.done)").count() == 0:
            self.moved_on_or_tap(done, re.compile(r"/photos$"))
        else:
            self.page.locator(done).click()
        self.wait_step("photos")

    def capture_all(self) -> None:
        """Capture every angle this screen asks for; a photo the quality check doubts is kept."""
        expect(self.page.locator("#preview")).to_be_visible()
        for _ in range(20):
            keep = self.page.locator(".angle .doubt button, button[name=keep][value='1']")
            if keep.count():
                keep.first.click()
                self.page.wait_for_function(
                    "() => !document.querySelector('.angle .doubt, button[name=keep]')",
                    timeout=STEP_TIMEOUT_MS)
                continue
            todo = self.page.locator(".angle:not(.taken) button")
            if todo.count() == 0 or not todo.first.is_visible():
                break
            left = todo.count()
            todo.first.click()  # answered in place: the angle turns taken, or a doubt shows
            self.page.wait_for_function(
                "(left) => document.querySelectorAll('.angle:not(.taken) button').length < left"
                " || document.querySelector('.angle .doubt, button[name=keep]')",
                arg=left, timeout=STEP_TIMEOUT_MS)

    def take_photos(self) -> None:
        """The parcel's own photos; the last one moves on to its first item by itself."""
        self.screen("photos")
        with self.page.expect_navigation(url=re.compile(r"/units/\d+$"), timeout=STEP_TIMEOUT_MS):
            self.capture_all()
        expect(self.page.locator("#state-sealed")).to_be_visible()

    def answer(self, name: str, value: str) -> None:
        self.page.locator(f"label[for={name}-{value}]").click()

    def work_units(self, state: str = "opened") -> None:
        """Each item in turn: its state, its answers (when opened), its photos; then the summary.

        Answering the last question and taking the last photo move on by themselves.
        """
        for _ in range(12):
            if re.search(r"/result$", self.page.url):
                break
            self.page.wait_for_url(re.compile(r"/bench/i/\w+/units/\d+"), timeout=STEP_TIMEOUT_MS)
            if self.page.locator("#state-sealed").count():
                self.screen("unit-state")
                with self.page.expect_navigation(timeout=STEP_TIMEOUT_MS):
                    self.page.locator(f"#state-{state}").click()
            if self.page.locator("#unit-form").count():
                self.screen("unit-checklist")
                with self.page.expect_navigation(timeout=STEP_TIMEOUT_MS):
                    if self.page.locator("#looks-new").count():
                        self.page.locator("#looks-new").click()
                    # the item was tried out: a quality-defect return is not graded without it
                    if self.page.locator("label[for=ft-passed]").count():
                        self.page.locator("label[for=ft-passed]").click()
                    self.moving_on_shown()
            if self.page.locator(".angle:not(.taken) button").count():
                self.screen("unit-photos")
                with self.page.expect_navigation(timeout=STEP_TIMEOUT_MS):
                    self.capture_all()
        self.wait_step("result")

    def checklist(self) -> None:
        """The items of the parcel, opened and clean, up to the summary."""
        self.work_units("opened")

    def confirm(self) -> str:
        expect(self.page.locator("#grade")).to_have_text(re.compile(r"^[A-D]$"))
        self.screen("result")
        self.page.locator("#confirm").click()
        self.page.wait_for_url(re.compile(r"/bench/i/\w+/done$"), timeout=STEP_TIMEOUT_MS)
        self.screen("done")
        return self.page.locator("main h1").inner_text()

    def flag(self, reason: str) -> None:
        """Hand the parcel to a supervisor from the current step."""
        details = self.page.locator("details.override:has(#flag-reason)")
        details.locator("summary").click()
        self.page.fill("#flag-reason", reason)
        details.locator("button[type=submit]").click()
        self.page.wait_for_url(re.compile(r"/bench/i/\w+/done$"), timeout=STEP_TIMEOUT_MS)

    def next_parcel(self) -> None:
        self.page.locator("main a.button[href$='/bench/']").click()
        self.page.wait_for_url(re.compile(r"/bench/$"))

    def put_away(self) -> None:
        """On the done screen: scan the place the demo panel offers first (the right one) for
        every unit until the screen says every item is in its place."""
        for _ in range(10):
            if not self.page.locator("#done").get_attribute("data-sort-waiting"):
                break
            waiting = self.page.locator("#done").get_attribute("data-sort-waiting")
            code = self.page.locator("#demo-panel [data-sim=scan][data-kind=place]").first \
                .get_attribute("data-code") or ""
            self.demo_scan(code)
            expect(self.page.locator(f".sort-line.sorted[data-position='{waiting}']")
                   ).to_be_attached(timeout=STEP_TIMEOUT_MS)
        expect(self.page.locator("#sort-done")).to_be_visible()

    def inspect_matching_parcel(self, label: str, typed_sku: str | None = None) -> str:
        """The whole happy path of one parcel; returns the inspection id."""
        inspection_id = self.receive(label)
        self.weigh_as_expected()
        self.scan_expected_items(typed_sku)
        self.finish_items()
        self.take_photos()
        self.checklist()
        self.confirm()
        return inspection_id

    def leave_bench_free(self) -> None:
        """Teardown: an inspection this test left open would block the bench for the next test."""
        try:
            self.goto("/bench/")
            if INSPECTION_URL.search(self.page.url) and "/done" not in self.page.url:
                self.flag("e2e teardown: test ended mid-inspection")
        except Exception as exc:
            self.console_errors.append(f"teardown could not free the bench: {exc}")


#: The ``open_bench`` fixture: open_bench(server, viewport=None) -> a fresh Chromium at that bench.
OpenBench = Callable[..., BenchPage]
