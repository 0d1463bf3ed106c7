"""E2E fixtures: `station run --demo` as real subprocesses, Debian's Chromium, screenshots, console errors."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.server import BenchServer, ExtraOperator, start_bench, three_item_rma

if TYPE_CHECKING:  # Playwright is imported lazily: without it the tests skip (fail on CI)
    from playwright.sync_api import ViewportSize

    from tests.e2e.bench_page import BenchPage, OpenBench

CHROMIUM = Path("/usr/bin/chromium")
#: Flags for a machine without internet (never download browsers, never phone home).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
#: The zh-CN walk-through signs in as its own operator: switching language stores it per person.
ZH_OPERATOR = ExtraOperator("e2e.zh", "BADGE-ZH-0001", "246810")
#: `station run --demo` prints `  supervisor demo.supervisor  password X` (a new password each start).
SUPERVISOR_LINE = re.compile(r"^\s*supervisor\s+(\S+)\s+password\s+(\S+)\s*$", re.M)


@dataclass(frozen=True)
class Supervisor:
    """A supervisor's password sign-in, as the demo printed it."""

    username: str
    password: str


def sign_in_with_password(at: BenchPage, person: Supervisor) -> None:
    """Sign in on /auth/password (the page's language, if switched before, is kept)."""
    at.goto("/auth/password")
    at.page.fill("#username", person.username)
    at.page.fill("#password", person.password)
    at.page.locator("form[action$='/auth/password'] button.primary").click()
    at.page.wait_for_url(lambda url: "/auth/" not in url)


def supervisor_shots(at: BenchPage) -> None:
    """The supervisor's screenshots go to their own folder (the operator's tab numbers its own)."""
    at.shots = at.shots / "supervisor"
    at.shots.mkdir(exist_ok=True)


def long_page_shot(at: BenchPage, name: str) -> Path:
    """A numbered screenshot of the viewport, and the whole scrolled page next to it (`-full`)."""
    path = at.shot(name)
    full = path.with_name(f"{path.stem}-full.png")
    at.page.screenshot(path=str(full), full_page=True)
    return full


def _require_browser() -> None:
    """Missing Chromium or Playwright: a failure on CI, a skip on a developer machine."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[dev]')"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run on CI: {problem}")
        pytest.skip(problem)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
        item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the call phase's report on the test item, so the browser fixture can tell a failure."""
    report = yield
    if report.when == "call":
        item.e2e_call_report = report  # type: ignore[attr-defined]
    return report


@pytest.fixture(scope="session")
def bench() -> Iterator[BenchServer]:
    """The shared demo bench: 3 printed demo returns + 24 imported ones + one of three items."""
    _require_browser()
    workdir = Path(tempfile.mkdtemp(prefix="station-e2e-"))
    server = start_bench(workdir, extra_parcels=24, operators=(ZH_OPERATOR,),
                         extra_rmas=(three_item_rma(f"E2E{os.getpid()}T"),))
    yield server
    server.stop()
    assert server.process.returncode == 0, f"bench exited with {server.process.returncode}\n{server.log_tail()}"
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def supervisor(bench: BenchServer) -> Supervisor:
    """The shared bench's demo supervisor, parsed from what `station run --demo` printed."""
    printed = (bench.workdir / "stdout.log").read_text()
    match = SUPERVISOR_LINE.search(printed)
    assert match, f"no supervisor password in the demo output:\n{printed}"
    return Supervisor(*match.groups())


@pytest.fixture(scope="session")
def locking_bench() -> Iterator[BenchServer]:
    """A second bench whose screen locks after 10 s idle (the smallest allowed)."""
    _require_browser()
    workdir = Path(tempfile.mkdtemp(prefix="station-e2e-lock-"))
    server = start_bench(workdir, idle_lock_s=10)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver




@pytest.fixture(scope="session")
def chromium(playwright_driver: object) -> Iterator[object]:
    """One Debian Chromium per test process; every bench opened gets its own fresh context."""
    from playwright.sync_api import Playwright

    assert isinstance(playwright_driver, Playwright)
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def open_bench(chromium: object, request: pytest.FixtureRequest) -> Iterator[OpenBench]:
    """Open a bench in a fresh Chromium context (its own cookies and storage, like a new
    profile); fails the test on any console error."""
    from playwright.sync_api import Browser

    from tests.e2e.bench_page import BenchPage

    assert isinstance(chromium, Browser)
    shots = SCREENSHOTS / request.node.name.replace("/", "_")
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    opened: list[tuple[BenchPage, object]] = []
    errors: list[str] = []

    def open_(server: BenchServer, viewport: ViewportSize | None = None,
              touch: bool = False) -> BenchPage:
        context = chromium.new_context(viewport=viewport or VIEWPORT, locale="en-US",
                                       has_touch=touch)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text} ({m.location})")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        bench_page = BenchPage(page, server, shots, errors)
        opened.append((bench_page, context))
        return bench_page

    yield open_
    report = getattr(request.node, "e2e_call_report", None)
    for bench_page, context in opened:
        if report is not None and report.failed:
            bench_page.shot("failure")  # what the operator saw when the test failed
            print(f"failed at {bench_page.page.url}\n{bench_page.server.log_tail()}")
        bench_page.leave_bench_free()
        context.close()  # type: ignore[attr-defined]
    assert not errors, "browser console errors:\n" + "\n".join(errors)
