"""A supervisor at a desk: decision and key facts in the first screen, the queue worked by keyboard only."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.e2e.bench_page import BenchPage, OpenBench
from tests.e2e.conftest import Supervisor, long_page_shot, sign_in_with_password, supervisor_shots
from tests.e2e.server import BenchServer
from tests.e2e.test_analytics import chinese_supervisor, flag_at_the_parcel_step
from tests.e2e.test_review import flag_wrong_item

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

DESK: ViewportSize = {"width": 1920, "height": 1080}
BENCH: ViewportSize = {"width": 1280, "height": 800}
#: What a supervisor decides with, and what they decide on: all of it in the first screen at a desk.
FIRST_SCREEN = ("label[for=d-approve]", "label[for=d-override]", "label[for=d-reinspect]", "#decide",
                "#r-note", "#r-grade", "#facts-found", "#facts-policy", "main h1 ~ .tag.flag",
                "#held-units button[type=submit]")
HEIGHT_JS = "() => document.scrollingElement.scrollHeight"


def out_of_first_screen(at: BenchPage, height: int) -> list[str]:
    """Selectors whose box is not wholly inside 0..height of the page as it first shows."""
    at.page.evaluate("() => window.scrollTo(0, 0)")
    outside = []
    for selector in FIRST_SCREEN:
        box = at.page.locator(selector).first.bounding_box()
        if box is None or box["y"] < 0 or box["y"] + box["height"] > height:
            outside.append(f"{selector}: {box}")
    return outside


def case_and_queue_shots(at: BenchPage, inspection_id: str, lang: str) -> dict[str, int]:
    """Queue and case at the desk and the bench size: screenshots, page heights, the case in reach."""
    heights = {}
    for name, size in (("1920x1080", DESK), ("1280x800", BENCH)):
        at.page.set_viewport_size(size)
        at.goto("/review/")
        expect(at.page.locator(f"table.queue tr[data-case='{inspection_id}']")).to_have_count(1)
        expect(at.page.locator("table.queue tr.current")).to_have_count(1)
        at.shot(f"queue-{lang}-{name}")
        at.goto(f"/review/inspections/{inspection_id}")
        at.page.wait_for_function(
            "() => [...document.querySelectorAll('.gallery img.thumb')].every((i) => i.complete)")
        long_page_shot(at, f"case-{lang}-{name}")
        heights[name] = at.page.evaluate(HEIGHT_JS)
        if size is DESK:
            assert not out_of_first_screen(at, DESK["height"]), out_of_first_screen(at, DESK["height"])
        else:  # the bench: the decision buttons and "Record decision" without scrolling
            for selector in ("#decision-form .choice", "#decide"):
                box = at.page.locator(selector).bounding_box()
                assert box is not None and box["y"] + box["height"] <= BENCH["height"], (selector, box)
    return heights


def test_the_decision_and_key_facts_are_in_the_first_screen_in_english_and_chinese(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    parcel = bench.take_parcel("headphones")
    inspection_id = flag_wrong_item(open_bench(bench), parcel.label)

    at = open_bench(bench, viewport=DESK)
    supervisor_shots(at)
    sign_in_with_password(at, supervisor)
    english = case_and_queue_shots(at, inspection_id, "en")
    expect(at.page.locator("label[for=d-approve] kbd")).to_have_text("A")
    expect(at.page.locator("#decide kbd")).to_be_visible()

    zh = chinese_supervisor(open_bench, bench, supervisor)
    chinese = case_and_queue_shots(zh, inspection_id, "zh")
    expect(zh.page.locator("html")).to_have_attribute("lang", "zh-CN")
    zh.page.keyboard.press("?")
    expect(zh.page.locator("#keys-help")).to_be_visible()
    zh.shot("keys-help-zh")
    zh.page.keyboard.press("Escape")
    expect(zh.page.locator("#keys-help")).to_be_hidden()
    print(f"case page height: en {english}, zh {chinese}")

    # Leave the shared queue as it was: the case is approved, from the keyboard.
    zh.page.keyboard.press("o")
    expect(zh.page.locator("#d-override")).to_be_checked()
    expect(zh.page.locator("#r-grade")).to_be_focused()
    zh.page.keyboard.press("Escape")
    zh.page.keyboard.press("a")
    expect(zh.page.locator("#d-approve")).to_be_checked()
    zh.page.keyboard.press("Enter")
    zh.page.wait_for_url(re.compile(r"/review/$"))
    (row,) = bench.query("SELECT state FROM inspection WHERE id = ?", inspection_id)
    assert row["state"] == "reviewed"


def test_a_supervisor_works_flagged_cases_from_the_queue_with_the_keyboard_only(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    first, second = bench.take_parcel(), bench.take_parcel()
    operator = open_bench(bench)
    first_id = flag_at_the_parcel_step(operator, first)
    operator.next_parcel()
    second_id = operator.receive(second.label)
    operator.flag("e2e keys: the second parcel's label is torn too")

    at = open_bench(bench, viewport=DESK)
    supervisor_shots(at)
    sign_in_with_password(at, supervisor)
    at.goto("/review/")
    keys = at.page.keyboard
    current = at.page.locator("table.queue tr.current")
    rows = at.page.locator("table.queue tbody tr[data-case]").count()
    for _ in range(rows):  # J walks down the list to the first of our two cases
        if current.get_attribute("data-case") == first_id:
            break
        keys.press("j")
    expect(current).to_have_attribute("data-case", first_id)
    at.shot("queue-keys")
    keys.press("Enter")
    at.page.wait_for_url(f"**/review/inspections/{first_id}")
    expect(at.page.locator("#next-case")).to_have_attribute("data-next", second_id)

    keys.press("?")
    expect(at.page.locator("#keys-help")).to_be_visible()
    at.shot("keys-help")
    keys.press("Escape")
    expect(at.page.locator("#keys-help")).to_be_hidden()

    keys.press("o")
    expect(at.page.locator("#d-override")).to_be_checked()
    expect(at.page.locator("#r-grade")).to_be_focused()
    keys.press("Escape")
    keys.press("r")
    expect(at.page.locator("#d-reinspect")).to_be_checked()
    expect(at.page.locator("#r-note")).to_be_focused()
    keys.type("a label torn: ok, approved; no other problem")  # letters typed in the note stay there
    expect(at.page.locator("#d-reinspect")).to_be_checked()
    expect(at.page.locator("#r-note")).to_have_value("a label torn: ok, approved; no other problem")
    keys.press("Escape")
    keys.press("a")
    expect(at.page.locator("#d-approve")).to_be_checked()
    at.shot("case-keys")
    keys.press("Enter")  # records the decision; the queue shows the next case highlighted
    at.page.wait_for_url(re.compile(r"/review/$"))
    expect(at.page.locator("#messages .flash.success")).to_be_visible()
    expect(current).to_have_attribute("data-case", second_id)
    at.shot("queue-after-keys")

    keys.press("Enter")
    at.page.wait_for_url(f"**/review/inspections/{second_id}")
    keys.press("k")  # the case before it in the queue, and back with J
    at.page.wait_for_url(lambda url: second_id not in url and "/review/inspections/" in url)
    keys.press("j")
    at.page.wait_for_url(f"**/review/inspections/{second_id}")
    keys.press("r")
    keys.type("e2e keys: please weigh it again")
    keys.press("Control+Enter")  # records from inside the note
    at.page.wait_for_url(re.compile(r"/review/$"))

    states = {r["id"]: (r["state"], r["review"]) for r in bench.query(
        "SELECT id, state, review FROM inspection WHERE id IN (?, ?)", first_id, second_id)}
    assert states[first_id][0] == "reviewed" and '"approve"' in states[first_id][1], states
    assert states[second_id][0] == "reviewed" and '"reinspect"' in states[second_id][1], states
