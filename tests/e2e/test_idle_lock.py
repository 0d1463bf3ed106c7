"""An idle bench locks itself; the operator's badge + PIN unlock it and the open parcel is still there."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.bench_page import OpenBench
from tests.e2e.server import BenchServer


def test_idle_bench_locks_and_badge_pin_unlock_returns_to_the_parcel(
        open_bench: OpenBench, locking_bench: BenchServer) -> None:
    parcel = locking_bench.take_parcel("headphones")
    at = open_bench(locking_bench)
    at.sign_in()
    at.receive(parcel.label)
    parcel_url = at.page.url

    at.page.wait_for_url("**/auth/lock", timeout=25_000)  # idle lock 10 s, no touch, no key
    expect(at.page.locator("#badge")).to_be_focused()
    at.shot("locked")
    at.goto("/bench/")  # the server holds the lock too, not only the page
    at.page.wait_for_url("**/auth/lock")

    at.page.fill("#badge", locking_bench.badge)
    at.type_pin(locking_bench.pin)
    at.page.locator("[data-keypad-for=pin] button[type=submit]").click()
    at.page.wait_for_url(re.compile(r"/bench/i/\w+/parcel$"))
    assert at.page.url == parcel_url
    at.shot("unlocked")
    at.flag("e2e: idle lock test done")
    expect(at.page.locator("main h1")).to_contain_text("⚑")
