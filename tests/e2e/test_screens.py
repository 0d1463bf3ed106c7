"""Every main screen in Chromium: zh-CN without English UI strings, no scrolling, touch targets, contrast."""

from __future__ import annotations

from playwright.sync_api import ViewportSize, expect

from station.demo import DEMO_ITEMS
from tests.e2e.bench_page import BenchPage, OpenBench
from tests.e2e.conftest import ZH_OPERATOR
from tests.e2e.page_checks import accessibility_problems, english_ui, overflow, untranslated, visible_texts
from tests.e2e.server import BenchServer

SMALL: ViewportSize = {"width": 1280, "height": 800}
LARGE: ViewportSize = {"width": 1920, "height": 1080}


def walk_every_screen(at: BenchPage, label: str, typed_sku: str | None = None) -> None:
    """Sign-in .. done for one parcel; ``at.on_screen`` runs on each screen."""
    at.sign_in()
    at.inspect_matching_parcel(label, typed_sku)


def test_zh_cn_walk_through_shows_no_english_ui_string(open_bench: OpenBench, bench: BenchServer) -> None:
    parcel = bench.take_parcel("headphones")
    at = open_bench(bench)
    at.goto("/")
    at.page.wait_for_url("**/auth/sign-in**")
    at.switch_language("zh_Hans_CN")
    data = [str(v) for item in DEMO_ITEMS for key in ("description", "sku", "gtin") for v in [item[key]]]
    data += [str(a) for item in DEMO_ITEMS for a in item.get("accessories", [])]
    data += [s for item in DEMO_ITEMS for s in item.get("serials", [])]
    data += ["Bench Operator", "English", parcel.rma_id, parcel.label,
             at.page.locator(".topbar .brand").inner_text()]
    problems: list[str] = []

    def no_english(screen: str) -> None:
        expect(at.page.locator("html")).to_have_attribute("lang", "zh-CN")
        at.demo_panel(screen != "sign-in")  # the demo panel is part of the screen: check it open
        problems.extend(f"{screen}: {p}" for p in untranslated(visible_texts(at.page), data))
        if screen != "sign-in":
            at.demo_panel(False)

    at.on_screen = no_english
    at.sign_in(ZH_OPERATOR.badge, ZH_OPERATOR.pin)
    expect(at.page.locator("html")).to_have_attribute("lang", "zh-CN")
    at.inspect_matching_parcel(parcel.label)
    at.next_parcel()
    at.screen("idle-after")
    assert not problems, f"English UI strings on zh-CN screens ({english_ui().source}):\n" + "\n".join(problems)


def test_main_screens_fit_without_scrolling_at_1280x800_and_1920x1080(
        open_bench: OpenBench, bench: BenchServer) -> None:
    parcel = bench.take_parcel("t-shirt")
    at = open_bench(bench, LARGE)
    problems: list[str] = []

    def fits(screen: str) -> None:
        for size in (LARGE, SMALL):
            at.page.set_viewport_size(size)
            at.page.wait_for_timeout(50)  # one layout pass after the resize
            box = overflow(at.page)
            if box["scrollHeight"] > box["innerHeight"] or box["scrollWidth"] > box["innerWidth"]:
                problems.append(f"{screen} at {size['width']}x{size['height']}: page is "
                                f"{box['scrollWidth']}x{box['scrollHeight']} px")
                at.shot(f"{screen}-overflows-{size['width']}")
        at.shot(f"{screen}-1280x800")  # screen() took the 1920x1080 one
        at.page.set_viewport_size(LARGE)

    at.on_screen = fits
    walk_every_screen(at, parcel.label)
    assert not problems, "screens that scroll:\n" + "\n".join(problems)


def test_main_screens_have_names_big_targets_and_contrast(open_bench: OpenBench, bench: BenchServer) -> None:
    parcel = bench.take_parcel("kettle")
    at = open_bench(bench)
    problems: list[str] = []

    def accessible(screen: str) -> None:
        problems.extend(f"{screen}: {p}" for p in accessibility_problems(at.page))
        if screen == "idle":
            at.demo_panel(True)
            problems.extend(f"{screen} (demo panel open): {p}" for p in accessibility_problems(at.page))
            at.demo_panel(False)

    at.on_screen = accessible
    walk_every_screen(at, parcel.label, typed_sku=parcel.sku)
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{len(unique)} accessibility problems:\n" + "\n".join(unique)
