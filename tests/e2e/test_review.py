"""A supervisor works a flagged wrong-item case in Chromium: queue, photos, integrity, evidence pack, decision."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile

from playwright.sync_api import expect

from station.demo import WRONG_ITEM_GTIN
from tests.e2e.bench_page import BenchPage, OpenBench
from tests.e2e.conftest import Supervisor, long_page_shot, sign_in_with_password, supervisor_shots
from tests.e2e.server import BenchServer


def flag_wrong_item(at: BenchPage, label: str) -> str:
    """An operator scans the wrong item, finishes the inspection, and the bench flags it."""
    at.sign_in()
    inspection_id = at.receive(label)
    at.weigh_as_expected()
    assert "mismatch" in at.scan_item(WRONG_ITEM_GTIN).split()
    at.finish_items()
    at.take_photos()
    at.checklist()
    assert "⚑" in at.confirm()
    return inspection_id


def test_operator_opening_the_review_queue_gets_the_403_page(open_bench: OpenBench, bench: BenchServer) -> None:
    at = open_bench(bench)
    at.sign_in()
    response = at.page.goto(bench.url.rstrip("/") + "/review/")
    assert response is not None and response.status == 403
    expect(at.page.locator("main h1")).to_have_text("403")
    expect(at.page.locator("main .flash.error")).to_be_visible()
    expect(at.page.locator("table.queue")).to_have_count(0)
    at.shot("review-403")
    # Chromium logs the 403 document load itself as a console error: that one is what we asked for.
    at.console_errors[:] = [e for e in at.console_errors if "status of 403" not in e]


def test_supervisor_works_a_flagged_wrong_item_case_from_queue_to_decision(
        open_bench: OpenBench, bench: BenchServer, supervisor: Supervisor) -> None:
    parcel = bench.take_parcel("headphones")
    inspection_id = flag_wrong_item(open_bench(bench), parcel.label)
    (row,) = bench.query("SELECT state, grade, flags FROM inspection WHERE id = ?", inspection_id)
    assert row["state"] == "flagged", dict(row)
    bench_grade = row["grade"]

    at = open_bench(bench)
    supervisor_shots(at)
    sign_in_with_password(at, supervisor)
    at.page.locator(".topbar .mainnav a[href$='/review/']").click()
    at.page.wait_for_url(re.compile(r"/review/$"))
    case = at.page.locator(f"table.queue tbody tr:has(a[href$='/inspections/{inspection_id}'])")
    expect(case).to_have_count(1)
    expect(case.locator(".tag.flag").first).to_be_visible()
    expect(case).to_contain_text(parcel.rma_id)
    at.shot("queue")

    case.locator(f"a[href$='/inspections/{inspection_id}']").click()
    at.page.wait_for_url(f"**/review/inspections/{inspection_id}")
    expect(at.page.locator("main h1")).to_have_text(parcel.rma_id)
    expect(at.page.locator("main .tag.flag").first).to_be_visible()
    expect(at.page.locator("li.scan-mismatch code")).to_have_text(f"GTIN {WRONG_ITEM_GTIN.zfill(14)}")
    thumbs = at.page.locator(".gallery .thumb-button")
    photo_count = len(bench.query("SELECT id FROM photo WHERE inspection_id = ?", inspection_id))
    assert photo_count >= 1
    expect(thumbs).to_have_count(photo_count)
    at.page.wait_for_function(
        "() => [...document.querySelectorAll('.gallery img.thumb')].every((i) => i.complete && i.naturalWidth > 0)")
    long_page_shot(at, "inspection")

    # The lightbox: the full-size original, zoomed by a tap on it, closed again.
    thumbs.first.click()
    lightbox = at.page.locator("dialog#lightbox")
    expect(lightbox).to_be_visible()
    at.page.wait_for_function(
        "() => { const i = document.getElementById('lightbox-img'); return i.complete && i.naturalWidth > 0; }")
    at.page.locator("#lightbox-img").click()
    expect(at.page.locator("#lightbox-img")).to_have_class(re.compile(r"\bzoomed\b"))
    at.shot("lightbox-zoomed")
    lightbox.locator("form[method=dialog] button").click()
    expect(lightbox).to_be_hidden()

    # The integrity check re-hashes the stored original on the server.
    first_photo = at.page.locator(".gallery figure.photo").first
    first_photo.locator("[data-verify]").click()
    expect(first_photo.locator(".verify-result")).to_have_attribute("data-status", "ok")
    at.shot("integrity-ok")

    # The evidence pack: every photo in the manifest is in the ZIP with the hash the manifest gives.
    with at.page.expect_download() as download_info:
        at.page.locator("a#evidence-pack").click()
    download = download_info.value
    assert download.suggested_filename == f"evidence-{parcel.rma_id}.zip"
    pack_path = at.shots / download.suggested_filename
    download.save_as(pack_path)
    with zipfile.ZipFile(pack_path) as pack:
        manifest = json.loads(pack.read("manifest.json"))
        assert manifest["inspection"]["inspection_id"] == inspection_id
        assert len(manifest["photos"]) == photo_count
        for photo in manifest["photos"]:
            assert hashlib.sha256(pack.read(photo["file"])).hexdigest() == photo["sha256"], photo["file"]
            assert photo["sha256_verified"] is True
        stored = {r["sha256"] for r in bench.query("SELECT sha256 FROM photo WHERE inspection_id = ?",
                                                   inspection_id)}
        assert {p["sha256"] for p in manifest["photos"]} == stored
        assert "summary.html" in pack.namelist()

    # The decision: override the grade, with the reason; the case leaves the queue.
    new_grade = "D" if bench_grade != "D" else "C"
    form = at.page.locator("#decision-form")
    form.locator("label[for=d-override]").click()
    expect(at.page.locator("#d-override")).to_be_checked()
    at.page.select_option("#r-grade", new_grade)
    at.page.fill("#r-note", "e2e: the customer sent back a different product; grade D for the wrong item")
    long_page_shot(at, "decision")
    at.page.locator("#decide").click()
    at.page.wait_for_url(re.compile(r"/review/$"))
    expect(at.page.locator("#messages .flash.success")).to_be_visible()
    expect(at.page.locator(f"a[href$='/inspections/{inspection_id}']")).to_have_count(0)
    at.shot("queue-after")

    (row,) = bench.query("SELECT state, grade, review FROM inspection WHERE id = ?", inspection_id)
    assert (row["state"], row["grade"]) == ("reviewed", new_grade), dict(row)
    assert "different product" in row["review"]
    actions = [r["action"] for r in bench.query(
        "SELECT action FROM audit_event WHERE entity_id = ? ORDER BY seq", inspection_id)]
    assert any("review" in a for a in actions), actions
