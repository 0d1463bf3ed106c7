"""Supervisor screens at a desk and a bench: dashboard first view, whole chart labels, photos at 1:1, one-row header."""

from __future__ import annotations

import os
import re
from typing import Any

from playwright.sync_api import Page, ViewportSize, expect

from tests.e2e.bench_page import BenchPage, OpenBench
from tests.e2e.conftest import Supervisor, long_page_shot, sign_in_with_password, supervisor_shots
from tests.e2e.server import BenchServer, _cli, _env
from tests.e2e.test_analytics import CARDS, chinese_supervisor, flag_at_the_parcel_step
from tests.e2e.test_review import flag_wrong_item

SMALL: ViewportSize = {"width": 1280, "height": 800}
LARGE: ViewportSize = {"width": 1920, "height": 1080}

#: Chart labels drawn outside their SVG (cut off), and shortened ones whose tooltip lacks the rest.
CHART_LABEL_PROBLEMS = """() => {
  const squash = (s) => s.replace(/\\s+/g, "");
  const out = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const box = svg.viewBox.baseVal;
    const card = svg.closest("section.card").id;
    for (const text of svg.querySelectorAll("text.label, text.axis")) {
      const b = text.getBBox();
      const lines = [...text.querySelectorAll("tspan")].map((t) => t.textContent);
      const shown = lines.join(" ") || text.textContent;
      const outside = b.x < -0.5 || b.x + b.width > box.width + 0.5 || b.y < -0.5 || b.y + b.height > box.height + 0.5;
      if (outside) out.push(card + ": '" + shown + "' drawn outside its chart (x " + Math.round(b.x) + ".."
                            + Math.round(b.x + b.width) + " of " + box.width + ")");
      const tip = text.parentElement.querySelector("title");
      if (shown.includes("…")) {
        const head = squash(shown.split("…")[0]);
        const full = tip ? squash(tip.textContent) : "";
        if (!full.startsWith(head) || full.length <= head.length)
          out.push(card + ": '" + shown + "' is shortened and its tooltip does not hold the rest");
      }
    }
  }
  return out;
}"""

#: HTML text wider than its box (a cut-off word in a figure, heading or filter).
TEXT_OVERFLOW = """(selector) => [...document.querySelectorAll(selector)]
  .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map((e) => (e.id || e.className || e.tagName) + ": '" + e.textContent.trim().slice(0, 40) + "' "
              + e.scrollWidth + ">" + e.clientWidth)"""

#: The header as a supervisor at a bench sees it: every item on one row, no item's words wrapped.
HEADER_PROBLEMS = """() => {
  const bar = document.querySelector(".topbar");
  const out = [];
  const items = [...bar.children].filter((e) => e.getBoundingClientRect().width > 0);
  const mids = items.map((e) => { const r = e.getBoundingClientRect(); return (r.top + r.bottom) / 2; });
  if (Math.max(...mids) - Math.min(...mids) > 8) out.push("header items on more than one row");
  if (bar.scrollWidth > bar.clientWidth + 1) out.push("header wider than the screen: " + bar.scrollWidth);
  const words = bar.querySelectorAll(".brand, .who, .signout > summary, .mainnav a, .pill .dname, "
                                     + ".pill:not(.ready) .dstate, #switch-language, #lock-now");
  for (const e of words) {
    if (e.offsetParent === null) continue;
    const range = document.createRange();
    range.selectNodeContents(e);
    const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
    const said = e.textContent.trim().replace(/\\s+/g, " ");
    if (tops.size > 1) out.push("'" + said + "' wraps onto " + tops.size + " lines");
    if (e.scrollWidth > e.clientWidth + 1) out.push("'" + e.textContent.trim() + "' is cut off");
  }
  const pills = [...bar.querySelectorAll("#devices .pill")].map((p) => Math.round(p.getBoundingClientRect().top));
  if (new Set(pills).size > 1) out.push("device pills on " + new Set(pills).size + " rows");
  return out;
}"""


def page_size(page: Page) -> dict[str, int]:
    size: dict[str, int] = page.evaluate(
        "() => ({height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth})")
    return size


def dashboard_problems(page: Page, viewport: ViewportSize) -> list[str]:
    """At 1920x1080: the whole dashboard (key figures first) in the first view; everywhere: whole labels."""
    problems: list[str] = list(page.evaluate(CHART_LABEL_PROBLEMS))
    problems += page.evaluate(TEXT_OVERFLOW, ".kpi-label, .kpi-value, .card-head h2, .dash-head h1, "
                                             ".dash-head .range, form.filters label, .analytics-nav a")
    if viewport == LARGE:
        size = page_size(page)
        if size["height"] > LARGE["height"] or size["width"] > LARGE["width"]:
            problems.append(f"the dashboard is {size['width']}x{size['height']} px at 1920x1080")
        figures = page.locator("#key-figures").bounding_box()
        first_chart = page.locator("section.card").first.bounding_box()
        assert figures and first_chart
        if not figures["y"] + figures["height"] <= first_chart["y"]:
            problems.append("the key figures are not above the charts")
    return problems


def check_dashboard_views(at: BenchPage, name: str) -> list[str]:
    problems: list[str] = []
    for viewport in (LARGE, SMALL):
        at.page.set_viewport_size(viewport)
        at.goto("/analytics/")
        for card in CARDS:
            expect(at.page.locator(f"section.card#{card} svg.chart")).to_have_count(1)
        expect(at.page.locator("#key-figures .kpi")).to_have_count(8)
        expect(at.page.locator("#kpi-inspections .kpi-value")).to_have_text(re.compile(r"[1-9]"))
        size = f"{viewport['width']}x{viewport['height']}"
        problems += [f"{name} {size}: {p}" for p in dashboard_problems(at.page, viewport)]
        long_page_shot(at, f"{name}-{size}")
    return problems


def test_dashboard_first_view_fits_1920x1080_with_whole_chart_labels_in_english_and_chinese(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    flag_at_the_parcel_step(open_bench(bench), bench.take_parcel("t-shirt"))
    at = open_bench(bench, LARGE)
    supervisor_shots(at)
    sign_in_with_password(at, supervisor)
    problems = check_dashboard_views(at, "dashboard")
    zh = chinese_supervisor(open_bench, bench, supervisor)
    problems += check_dashboard_views(zh, "zh-dashboard")
    assert not problems, "\n".join(problems)


def lightbox_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate("""() => {
      const img = document.getElementById("lightbox-img");
      const view = document.querySelector("#lightbox .zoom-box");
      const r = img.getBoundingClientRect();
      return {natural: [img.naturalWidth, img.naturalHeight], shown: [r.width, r.height], left: r.left,
              top: r.top, scroll: [view.scrollLeft, view.scrollTop], view: [view.clientWidth, view.clientHeight],
              zoomed: img.classList.contains("zoomed"), level: document.getElementById("lightbox-level").textContent};
    }""")
    return state


def open_first_photo(at: BenchPage) -> None:
    at.page.locator(".gallery .thumb-button").first.click()
    expect(at.page.locator("dialog#lightbox")).to_be_visible()
    at.page.wait_for_function("() => { const i = document.getElementById('lightbox-img');"
                              " return i.complete && i.naturalWidth > 0 && i.style.width; }")


def test_the_lightbox_shows_the_camera_original_at_1_to_1_and_pans(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    parcel = bench.take_parcel("headphones")
    inspection_id = flag_wrong_item(open_bench(bench), parcel.label)
    photos = bench.query("SELECT width, height FROM photo WHERE inspection_id = ?", inspection_id)
    assert photos and all((p["width"], p["height"]) == (1280, 720) for p in photos), [dict(p) for p in photos]

    at = open_bench(bench, SMALL)
    supervisor_shots(at)
    sign_in_with_password(at, supervisor)
    at.goto(f"/review/inspections/{inspection_id}")
    at.page.wait_for_function(
        "() => [...document.querySelectorAll('.gallery img.thumb')].every((i) => i.complete && i.naturalWidth > 0)")
    thumb_width = at.page.evaluate("() => document.querySelector('.gallery img.thumb').naturalWidth")
    assert thumb_width == 480, thumb_width  # evidence.thumbnail_px: a ~240 px cell on a 2x screen

    open_first_photo(at)
    fit = lightbox_state(at.page)
    assert fit["natural"] == [1280, 720], fit
    assert fit["shown"][0] < 1280 and not fit["zoomed"], fit  # fitted into the 1280x800 screen
    at.shot("lightbox-fit-1280x800")

    # A click at a point of the photo shows it at 1:1 with that point still under the pointer.
    point_x, point_y = fit["left"] + fit["shown"][0] * 0.75, fit["top"] + fit["shown"][1] * 0.7
    photo_x = (point_x - fit["left"]) / fit["shown"][0] * 1280
    at.page.mouse.click(point_x, point_y)
    actual = lightbox_state(at.page)
    assert actual["zoomed"] and actual["shown"] == [1280, 720], actual
    assert abs(actual["left"] + photo_x - point_x) <= 2, (actual, photo_x, point_x)
    assert "100 %" in actual["level"], actual
    at.shot("lightbox-1to1-1280x800")

    # Drag pans; so do the arrow keys.
    at.page.mouse.move(point_x, point_y)
    at.page.mouse.down()
    at.page.mouse.move(point_x + 120, point_y + 40, steps=6)
    at.page.mouse.up()
    dragged = lightbox_state(at.page)
    assert dragged["zoomed"], "a drag is not a click: it must not zoom out"
    assert dragged["scroll"][0] == max(0, actual["scroll"][0] - 120), (actual, dragged)
    view = "document.querySelector('#lightbox .zoom-box')"
    at.page.keyboard.press("ArrowRight")
    at.page.wait_for_function(f"() => {view}.scrollLeft > {dragged['scroll'][0]}")
    at.page.keyboard.press("ArrowDown")
    at.page.wait_for_function(f"() => {view}.scrollTop > {dragged['scroll'][1]}")
    at.shot("lightbox-panned-1280x800")
    at.page.keyboard.press("0")
    assert not lightbox_state(at.page)["zoomed"]
    at.page.keyboard.press("Escape")
    expect(at.page.locator("dialog#lightbox")).to_be_hidden()

    at.page.set_viewport_size(LARGE)
    open_first_photo(at)
    at.shot("lightbox-fit-1920x1080")
    at.page.locator("#lightbox-actual").click()
    assert lightbox_state(at.page)["shown"] == [1280, 720]
    at.shot("lightbox-1to1-1920x1080")
    at.page.keyboard.press("Escape")

    zh = chinese_supervisor(open_bench, bench, supervisor)
    for viewport in (LARGE, SMALL):
        zh.page.set_viewport_size(viewport)
        zh.goto(f"/review/inspections/{inspection_id}")
        open_first_photo(zh)
        zh.page.locator("#lightbox .zoom-box").click()
        assert lightbox_state(zh.page)["shown"] == [1280, 720]
        zh.shot(f"zh-lightbox-1to1-{viewport['width']}x{viewport['height']}")
        zh.page.keyboard.press("Escape")


def header_problems(at: BenchPage, where: str) -> list[str]:
    at.page.set_viewport_size(SMALL)
    at.page.wait_for_timeout(50)
    return [f"{where}: {p}" for p in at.page.evaluate(HEADER_PROBLEMS)]


def idle_problems(at: BenchPage, who: str) -> list[str]:
    """The idle screen: each device's state shown once (the header's pills), the page fits."""
    at.goto("/")
    expect(at.page.locator("#code")).to_be_visible()
    problems = header_problems(at, f"{who} idle")
    devices = at.page.locator(".topbar #devices [data-device]")
    expect(devices.first).to_be_visible()
    for name in devices.evaluate_all("(pills) => pills.map((p) => p.dataset.device)"):
        shown = at.page.locator(f"[data-device={name}]:visible").count()
        if shown != 1:
            problems.append(f"{who} idle: the {name}'s state is shown {shown} times")
    size = page_size(at.page)
    if size["height"] > SMALL["height"] or size["width"] > SMALL["width"]:
        problems.append(f"{who} idle: the page is {size['width']}x{size['height']} px at 1280x800")
    at.shot(f"idle-{who}-1280x800")
    return problems


def test_the_header_is_one_row_and_the_idle_screen_shows_devices_once_at_1280x800(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    operator = open_bench(bench, SMALL)
    operator.sign_in()
    problems = idle_problems(operator, "operator")

    at = open_bench(bench, SMALL)
    supervisor_shots(at)
    sign_in_with_password(at, supervisor)
    problems += idle_problems(at, "supervisor")
    for path in ("/review/", "/analytics/"):
        at.goto(path)
        problems += header_problems(at, f"supervisor {path}")
        at.shot(f"header-{path.strip('/')}-1280x800")

    zh = chinese_supervisor(open_bench, bench, supervisor)
    problems += idle_problems(zh, "zh-supervisor")
    zh.goto("/review/")
    problems += header_problems(zh, "zh-supervisor /review/")

    name = f"e2e.admin.{os.getpid()}"
    password = "admin-password-e2e-1"
    _cli(bench.workdir, _env({}), "user", "add", name, "--role", "admin", "--name", "Site Administrator",
         stdin=password + "\n")
    admin = open_bench(bench, SMALL)
    sign_in_with_password(admin, Supervisor(name, password))
    problems += idle_problems(admin, "admin")
    assert not problems, "\n".join(problems)
