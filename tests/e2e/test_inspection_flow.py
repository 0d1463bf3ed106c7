"""An operator inspects parcels in Chromium against `station run --demo`: match, wrong item, scale down."""

from __future__ import annotations

import hashlib
import json
import re

from playwright.sync_api import expect

from station.demo import WRONG_ITEM_GTIN
from tests.e2e.bench_page import OpenBench
from tests.e2e.server import BenchServer


def test_operator_inspects_a_matching_parcel_end_to_end(open_bench: OpenBench, bench: BenchServer) -> None:
    parcel = bench.take_parcel("headphones")
    at = open_bench(bench)
    at.sign_in()
    inspection_id = at.inspect_matching_parcel(parcel.label)
    expect(at.page.locator("#done .sort-line")).to_have_count(1)
    assert parcel.rma_id in at.page.locator("main").inner_text()
    at.put_away()
    (unit,) = bench.query("SELECT lpn, destination, sorted_at FROM inspection_unit "
                          "WHERE inspection_id = ?", inspection_id)
    assert unit["lpn"] and unit["destination"] and unit["sorted_at"]

    (row,) = bench.query("SELECT state, weight_source, measured_weight_mg, expected_weight_mg, grade, flags"
                         " FROM inspection WHERE id = ?", inspection_id)
    assert row["state"] == "completed"
    assert row["weight_source"] == "scale"
    assert abs(row["measured_weight_mg"] - row["expected_weight_mg"]) < 10_000
    assert row["grade"] in "ABCD"
    assert json.loads(row["flags"]) == []
    scans = bench.query("SELECT result, serial FROM scan WHERE inspection_id = ?", inspection_id)
    assert [(s["result"], s["serial"]) for s in scans] == [("match", "HP200-A1B2C3")]
    photos = bench.query("SELECT angle, sha256, size_bytes, storage_key FROM photo WHERE inspection_id = ?",
                         inspection_id)
    assert len(photos) >= 4, [p["angle"] for p in photos]
    assert len({p["angle"] for p in photos}) == len(photos)
    stored = {path.name: path for path in bench.photo_dir.rglob("*") if path.is_file()}
    for photo in photos:
        files = [p for name, p in stored.items() if photo["sha256"] in name or name in photo["storage_key"]]
        assert files, f"photo {photo['angle']} ({photo['storage_key']}) not under {bench.photo_dir}"
        data = files[0].read_bytes()
        assert len(data) == photo["size_bytes"]
        assert hashlib.sha256(data).hexdigest() == photo["sha256"]


def test_wrong_item_shows_red_verdict_and_the_parcel_is_flagged(open_bench: OpenBench, bench: BenchServer) -> None:
    parcel = bench.take_parcel("kettle")
    at = open_bench(bench)
    at.sign_in()
    inspection_id = at.receive(parcel.label)
    at.weigh_as_expected()
    verdict = at.scan_item(WRONG_ITEM_GTIN)
    assert "mismatch" in verdict.split()
    expect(at.page.locator("#verdict-title")).to_have_text("Wrong item")
    colour = at.page.locator("#verdict").evaluate("(v) => getComputedStyle(v).backgroundColor")
    red, green, blue = (int(c) for c in re.findall(r"\d+", colour)[:3])
    assert red > green and red > blue, f"verdict background {colour} is not red"
    at.shot("wrong-item")
    at.finish_items()
    at.take_photos()
    at.checklist()
    heading = at.confirm()
    assert "⚑" in heading

    (row,) = bench.query("SELECT state, flags, verdicts FROM inspection WHERE id = ?", inspection_id)
    assert row["state"] == "flagged", dict(row)
    scans = bench.query("SELECT result, raw FROM scan WHERE inspection_id = ?", inspection_id)
    assert [(s["result"], s["raw"]) for s in scans] == [("mismatch", WRONG_ITEM_GTIN)]


def test_scale_unplugged_mid_inspection_then_typed_weight(open_bench: OpenBench, bench: BenchServer) -> None:
    parcel = bench.take_parcel("t-shirt")
    at = open_bench(bench)
    at.sign_in()
    inspection_id = at.receive(parcel.label)
    at.page.locator("a.button[href$='/weigh']").click()
    at.wait_step("weigh")
    expect(at.page.locator(".topbar [data-device=scale]")).to_have_class(re.compile(r"\bready\b"))

    at.unplug("scale")
    scale_pill = at.page.locator(".topbar [data-device=scale]")
    expect(scale_pill).to_have_class(re.compile(r"\b(disconnected|error)\b"))
    expect(at.page.locator("#scale-down-note")).to_have_class(re.compile(r"\bwarning\b"))
    expect(at.page.locator("#stable")).to_have_class(re.compile(r"\bno\b"))
    expect(at.page.locator("#accept-weight")).to_be_disabled()
    expect(at.page.locator("#weight")).to_have_text("–")
    expect(at.page.locator("#band-verdict")).to_have_text("")  # no judging a reading the scale no longer gives
    expect(at.page.locator("#needle")).to_be_hidden()
    at.shot("weigh-scale-down")

    at.page.fill("#grams", "362.5")
    at.page.locator("#manual-weight").click()
    at.wait_step("items")
    expect(at.page.locator("main .tag.flag")).to_have_count(1)
    (row,) = bench.query("SELECT state, weight_source, measured_weight_mg, flags FROM inspection WHERE id = ?",
                         inspection_id)
    assert (row["state"], row["weight_source"], row["measured_weight_mg"]) == ("weighed", "manual", 362_500)
    assert "manual_weight" in json.loads(row["flags"])

    at.unplug("scale", "replug")
    expect(scale_pill).to_have_class(re.compile(r"\bready\b"), timeout=15_000)
    at.scan_expected_items(typed_sku=parcel.sku)  # typed entry, as when the scanner fails too
    at.finish_items()

    # A blurry picture is held back with a retake prompt; nothing is stored until it is kept.
    with at.page.expect_response("**/bench/sim/picture") as applied:  # answers once frames show it
        at.demo_click("[data-sim=picture][data-quality=blurry]")
    assert applied.value.json()["applied"]
    at.page.locator(".angle:not(.taken) button").first.click()
    prompt = at.page.locator(".angle .doubt")  # answered in place, no page load
    expect(prompt).to_contain_text("blurry")
    at.shot("photo-retake-prompt")
    assert bench.query("SELECT id FROM photo WHERE inspection_id = ?", inspection_id) == []
    with at.page.expect_response("**/bench/sim/picture") as applied:
        at.demo_click("[data-sim=picture][data-quality=sharp]")
    assert applied.value.json()["applied"]
    at.page.locator(".angle:not(.taken) form button").first.click()  # Retake, now sharp
    expect(at.page.locator(".angle.taken")).to_have_count(1)
    (photo,) = bench.query("SELECT quality FROM photo WHERE inspection_id = ?", inspection_id)
    assert json.loads(photo["quality"])["problems"] == []

    at.take_photos()
    at.checklist()
    at.confirm()
    (row,) = bench.query("SELECT state, flags FROM inspection WHERE id = ?", inspection_id)
    assert row["state"] in ("completed", "flagged")
    assert "manual_weight" in json.loads(row["flags"])


def test_demo_panel_item_button_matches_a_return_without_serials(open_bench: OpenBench, bench: BenchServer) -> None:
    """The panel's item code for an item without serial is its retail barcode, which must match."""
    parcel = bench.take_parcel("kettle")
    at = open_bench(bench)
    at.sign_in()
    at.receive(parcel.label, typed=True)
    at.weigh_as_expected()
    (code,) = at.demo_scan_buttons("item")
    verdict = at.scan_item(code)
    at.shot("item-scanned")
    assert "match" in verdict.split(), at.page.locator("#verdict").inner_text()
    at.flag("e2e: demo item scan checked")
